// LangGraph names each checkpoint it creates (one per step, five per turn of our graph) with a
// UUIDv6 from @langchain/core, whose random bits come from crypto.getRandomValues, 16 bytes a
// call. In Node 20 every call runs a synchronous crypto job (a native object per call): a few
// microseconds each, more than the rest of the id costs. No option passes another id source.
//
// `usePooledRandomValues()` serves small Uint8Array requests (up to 64 bytes, what UUIDs take)
// from a 4 KiB pool that the original getRandomValues refills, as Node's own randomUUID() does
// with its cache: the same CSPRNG's bytes, each handed out once and wiped from the pool as it is,
// one native call per 256 ids. Every other request (other array types, larger sizes, a detached
// call) goes to the original unchanged, errors included.

import type { webcrypto } from "node:crypto";

type Crypto = webcrypto.Crypto;
type RandomArray = Parameters<Crypto["getRandomValues"]>[0];

/** Largest request served from the pool, bytes. */
const MAX_POOLED_BYTES = 64;
/** Pool size, bytes: 256 UUIDs per refill. */
const POOL_BYTES = 4096;
/** Marks a Crypto whose getRandomValues is already pooled. */
const INSTALLED = Symbol.for("switchboard:pooled-random-values");

/** Pools small getRandomValues requests on `target` (the global Web Crypto by default); once per object. */
export function usePooledRandomValues(target: Crypto = globalThis.crypto): void {
  const marked = target as Crypto & { [INSTALLED]?: true };
  if (marked[INSTALLED]) return;
  const original = target.getRandomValues;
  const pool = new Uint8Array(POOL_BYTES);
  let next = POOL_BYTES;
  function getRandomValues(this: unknown, array: RandomArray): RandomArray {
    if (this === target && array instanceof Uint8Array && array.byteLength <= MAX_POOLED_BYTES) {
      const n = array.byteLength;
      if (next + n > POOL_BYTES) {
        original.call(target, pool);
        next = 0;
      }
      // A plain loop: for 16 bytes, cheaper than a subarray view to copy from and a fill.
      for (let i = 0; i < n; i++, next++) {
        array[i] = pool[next]!;
        pool[next] = 0;
      }
      return array;
    }
    return original.call(this as Crypto, array);
  }
  Object.defineProperty(target, "getRandomValues", { value: getRandomValues, configurable: true, writable: true });
  marked[INSTALLED] = true;
}
