import { createHash, timingSafeEqual } from "node:crypto";

const HASHED = /^sha256:([0-9a-fA-F]{64})$/;

/** sha256 of a key, as raw bytes: every comparison is between two 32-byte digests. */
export function keyDigest(key: string): Buffer {
  return createHash("sha256").update(key, "utf8").digest();
}

/**
 * A key's public id: the first 12 hex of its sha256. Stored with a session's owner and usable in
 * logs, because it cannot be turned back into the key.
 */
export function keyId(digest: Buffer): string {
  return digest.toString("hex").slice(0, 12);
}

/** Splits API_KEYS; throws naming the entry's position (never its text) when one is malformed. */
export function parseApiKeyList(raw: string): Buffer[] {
  const entries = raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  return entries.map((entry, i) => {
    if (entry.startsWith("sha256:")) {
      const m = HASHED.exec(entry);
      if (!m) throw new Error(`entry ${i + 1} starts with sha256: but is not followed by 64 hex digits`);
      return Buffer.from(m[1]!, "hex");
    }
    if (entry.length < 16) throw new Error(`entry ${i + 1} is shorter than 16 characters; use long random keys`);
    return keyDigest(entry);
  });
}

/**
 * The configured API keys, held only as sha256 digests (a memory dump or a log line of this
 * object shows no key). Checking a presented key compares its digest against every configured
 * digest with timingSafeEqual, without stopping early, so timing tells nothing about which or
 * how many bytes matched.
 */
export class ApiKeySet {
  readonly #digests: Buffer[];

  constructor(digests: Buffer[]) {
    this.#digests = digests;
  }

  static parse(raw: string | undefined): ApiKeySet | null {
    if (!raw || !raw.trim()) return null;
    return new ApiKeySet(parseApiKeyList(raw));
  }

  get size(): number {
    return this.#digests.length;
  }

  /** The key's id when it is one of ours, else null. */
  verify(presented: string): string | null {
    const digest = keyDigest(presented);
    let match = false;
    for (const d of this.#digests) match = timingSafeEqual(d, digest) || match;
    return match ? keyId(digest) : null;
  }

  toJSON(): string {
    return `[${this.#digests.length} API keys]`;
  }
}
