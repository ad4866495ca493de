import type { Encoded } from "../encoding/span-format.js";
import type { BatchJournal, JournalEntry, JournalRead } from "./batch-journal.js";

/**
 * The journal when no folder can be written: the same bookkeeping, in memory. A crash loses it
 * all; everything else (retries, backlog, accounting) behaves as with the durable journal.
 */
export class MemoryJournal implements BatchJournal {
  readonly durable = false;
  readonly #rows = new Map<number, { entry: JournalEntry; payload: Encoded }>();
  #nextId: number;
  #bytes = 0;
  #spans = 0;

  /** `firstId`: where ids start (above another journal's, when this one takes over from it). */
  constructor(firstId = 1) {
    this.#nextId = firstId;
  }

  get spans(): number {
    return this.#spans;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** All of it. */
  get memoryBytes(): number {
    return this.#bytes;
  }

  get entries(): number {
    return this.#rows.size;
  }

  append(batches: readonly { payload: Encoded; count: number }[]): JournalEntry[] {
    return batches.map(({ payload, count }) => {
      const entry: JournalEntry = {
        id: this.#nextId++,
        count,
        bytes: typeof payload === "string" ? Buffer.byteLength(payload) : payload.byteLength,
        maybeStored: false,
      };
      // A copy: the payload's buffer is reused once the delivery is done with it.
      this.#rows.set(entry.id, { entry, payload: typeof payload === "string" ? payload : Buffer.from(payload) });
      this.#bytes += entry.bytes;
      this.#spans += count;
      return { ...entry };
    });
  }

  read(id: number): JournalRead {
    const row = this.#rows.get(id);
    return row ? { ok: true, payload: row.payload } : { ok: false, reason: "missing" };
  }

  setMaybeStored(id: number, maybeStored: boolean): void {
    const row = this.#rows.get(id);
    if (row) row.entry.maybeStored = maybeStored;
  }

  remove(id: number): void {
    const row = this.#rows.get(id);
    if (!row) return;
    this.#rows.delete(id);
    this.#bytes -= row.entry.bytes;
    this.#spans -= row.entry.count;
  }

  replace(id: number, batches: readonly { payload: Encoded; count: number }[]): JournalEntry[] {
    this.remove(id);
    return this.append(batches);
  }

  scan(afterId: number, limit: number): JournalEntry[] {
    const out: JournalEntry[] = [];
    // Map iteration is insertion order, and ids only grow: oldest first.
    for (const [id, row] of this.#rows) {
      if (id <= afterId) continue;
      out.push({ ...row.entry });
      if (out.length >= limit) break;
    }
    return out;
  }

  close(): void {}
}
