// The durable journal, written behind: a sealed batch is held in memory for a short delay and
// reaches the file only if Langfuse has not acknowledged it by then. With Langfuse answering,
// which is almost always, a batch is delivered and forgotten without a byte on disk: measured,
// writing every batch to SQLite, marking it sent and deleting it (with secure_delete and the
// log's checkpoints) was about half of the whole pipeline's CPU per request. What it costs: a
// crash (kill -9) can lose the spans of batches younger than the delay that Langfuse had not yet
// acknowledged. Outages and restarts lose nothing: what waits longer than the delay is written,
// and a graceful shutdown writes everything still held.
import type { Encoded } from "../encoding/span-format.js";
import type { BatchJournal, JournalEntry, JournalRead, KeptBatch } from "./batch-journal.js";
import type { SqliteJournal } from "./sqlite-journal.js";

/** The file underneath: the SQLite journal, or anything that writes entries under ids it is given. */
export type FileJournal = BatchJournal & Pick<SqliteJournal, "appendAs" | "nextId">;

export interface WriteBehindOptions {
  /** How long a batch is held in memory before it is written (ms). */
  delayMs: number;
  /** Most payload bytes held in memory; past it the oldest held batches are written at once. */
  maxHeldBytes: number;
  /** The clock the delay is measured on. */
  now: () => number;
}

interface Held extends KeptBatch {
  dueAt: number;
  /** Lets go of the payload's buffer (the batch buffer pool's), once the journal is done with it. */
  release: (() => void) | undefined;
}

/** A batch to hold: with `release`, its buffer is held as it is and let go through it; without, copied. */
export interface BatchToHold {
  payload: Encoded;
  count: number;
  release?: (() => void) | undefined;
}

/** True for a journal that holds batches in memory before writing them (see `persistDue`). */
export function writesBehind(journal: BatchJournal): journal is WriteBehindJournal {
  return journal instanceof WriteBehindJournal;
}

/**
 * A durable journal that holds new batches in memory and writes them to the file underneath when
 * they are due. Every read sees both (ids are given here, above every id of the file, so an entry
 * keeps its id when it is written); every write to a held batch (marked, removed, split) stays in
 * memory. Writing is `persistDue`'s, called by the journal keeper, which handles a failing disk
 * for every journal write alike.
 */
export class WriteBehindJournal implements BatchJournal {
  readonly durable = true;
  readonly #file: FileJournal;
  readonly #options: WriteBehindOptions;
  /** Held batches by id; insertion order is id order, so the oldest comes first. */
  readonly #held = new Map<number, Held>();
  #heldBytes = 0;
  #heldSpans = 0;
  #nextId: number;

  constructor(file: FileJournal, options: WriteBehindOptions) {
    this.#file = file;
    this.#options = options;
    this.#nextId = file.nextId();
  }

  get bytes(): number {
    return this.#file.bytes + this.#heldBytes;
  }

  get entries(): number {
    return this.#file.entries + this.#held.size;
  }

  get spans(): number {
    return this.#file.spans + this.#heldSpans;
  }

  /** Bytes of the batches held (their buffers may be the live lane's too: an upper bound). */
  get memoryBytes(): number {
    return this.#heldBytes;
  }

  /** Spans of the batches held in memory, not yet written. */
  get heldSpans(): number {
    return this.#heldSpans;
  }

  /**
   * Holds batches. One given with `release` is held in its own buffer (copying a megabyte costs
   * about what writing it would: fresh memory is page faults and collection); one without is
   * copied, since its buffer may be reused before the batch is written.
   */
  append(batches: readonly BatchToHold[]): JournalEntry[] {
    const dueAt = this.#options.now() + this.#options.delayMs;
    return batches.map(({ payload, count, release }) => {
      const entry: JournalEntry = { id: this.#nextId++, count, bytes: byteLength(payload), maybeStored: false };
      this.#held.set(entry.id, { entry, payload: release ? payload : copyOf(payload), dueAt, release });
      this.#heldBytes += entry.bytes;
      this.#heldSpans += count;
      return { ...entry };
    });
  }

  read(id: number): JournalRead {
    const held = this.#held.get(id);
    return held ? { ok: true, payload: held.payload } : this.#file.read(id);
  }

  setMaybeStored(id: number, maybeStored: boolean): void {
    const held = this.#held.get(id);
    if (held) held.entry.maybeStored = maybeStored;
    else this.#file.setMaybeStored(id, maybeStored);
  }

  remove(id: number): void {
    if (!this.#forget(id)) this.#file.remove(id);
  }

  replace(id: number, batches: readonly { payload: Encoded; count: number }[]): JournalEntry[] {
    const held = this.#held.get(id);
    if (held) {
      // The halves (copied) are as old as the batch they replace, whose buffer is let go after.
      const halves = this.append(batches);
      for (const half of halves) this.#held.get(half.id)!.dueAt = held.dueAt;
      this.#forget(id);
      return halves;
    }
    // A batch already in the file is split there, in one write; the file gives the halves ids
    // above every held one only once those are written too.
    this.persistDue(Infinity);
    const halves = this.#file.replace(id, batches);
    for (const half of halves) this.#nextId = Math.max(this.#nextId, half.id + 1);
    return halves;
  }

  scan(afterId: number, limit: number): JournalEntry[] {
    // Every id in the file is below every held one (a split in the file writes what is held
    // first, and held ids continue above its halves): the file's entries, then the held ones.
    const out = this.#file.scan(afterId, limit);
    for (const [id, held] of this.#held) {
      if (out.length >= limit) break;
      if (id > afterId) out.push({ ...held.entry });
    }
    return out;
  }

  /**
   * Writes the held batches that are due at `now` (Infinity: all), and the oldest past the memory
   * bound, in one transaction: how many it wrote, and when the next held batch is due (Infinity:
   * none held). Throws when the file fails (the batches stay held).
   */
  persistDue(now: number): { written: number; nextAt: number } {
    const due: Held[] = [];
    let bytes = this.#heldBytes;
    for (const held of this.#held.values()) {
      if (held.dueAt > now && bytes <= this.#options.maxHeldBytes) break;
      due.push(held);
      bytes -= held.entry.bytes;
    }
    if (due.length > 0) {
      this.#file.appendAs(due);
      for (const held of due) this.#forget(held.entry.id);
    }
    const next = this.#held.values().next();
    return { written: due.length, nextAt: next.done ? Infinity : next.value.dueAt };
  }

  /** Takes the held batches out, copied (but those `keep` names): the file failed, another journal takes them. */
  takeHeld(keep: (id: number) => boolean): KeptBatch[] {
    const taken: KeptBatch[] = [];
    for (const held of [...this.#held.values()]) {
      if (keep(held.entry.id)) continue;
      taken.push({ entry: { ...held.entry }, payload: held.release ? copyOf(held.payload) : held.payload });
      this.#forget(held.entry.id);
    }
    return taken;
  }

  /** Writes everything held, then closes the file; throws when the write fails (the file is closed all the same). */
  close(): void {
    try {
      this.persistDue(Infinity);
    } finally {
      this.#file.close();
    }
  }

  #forget(id: number): boolean {
    const held = this.#held.get(id);
    if (!held) return false;
    this.#held.delete(id);
    this.#heldBytes -= held.entry.bytes;
    this.#heldSpans -= held.entry.count;
    held.release?.();
    return true;
  }
}

function byteLength(payload: Encoded): number {
  return typeof payload === "string" ? Buffer.byteLength(payload) : payload.byteLength;
}

/** A copy of the bytes (a Buffer's `slice` would be a view of the same memory). */
function copyOf(payload: Encoded): Encoded {
  return typeof payload === "string" ? payload : Buffer.from(payload);
}
