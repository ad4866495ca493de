import type { Encoded } from "../encoding/span-format.js";
/** One batch as the journal lists it, without its payload. */
export interface JournalEntry {
  id: number;
  /** Spans in the batch. */
  count: number;
  /** Payload size, UTF-8 bytes. */
  bytes: number;
  /**
   * True when an attempt to send it was started and did not end in a clear "not stored": Langfuse
   * may hold it already, so sending it again may store it twice (counted as a re-send).
   */
  maybeStored: boolean;
}

/** A batch with its entry, as a journal keeps it. */
export interface KeptBatch {
  entry: JournalEntry;
  payload: Encoded;
}

/** What the journal hands back for one entry. */
export type JournalRead = { ok: true; payload: Encoded } | { ok: false; reason: "missing" | "corrupt" };

/**
 * Where batches wait until Langfuse has them: written when a batch is sealed (or, written behind,
 * once it has waited a short delay unacknowledged: write-behind-journal.ts), removed when it is
 * acknowledged (or given up). The durable one (SQLite) is what makes a crash lose only the spans
 * not yet sealed; the memory one is the fallback when no folder can be written.
 */
export interface BatchJournal {
  /** True when entries survive a crash of the process. */
  readonly durable: boolean;
  /** Payload bytes, entries and spans held. */
  readonly bytes: number;
  readonly entries: number;
  readonly spans: number;
  /** Payload bytes the journal itself holds in memory (the memory journal: all; the durable one: none). */
  readonly memoryBytes: number;
  /** Appends batches in one write; throws when the store fails (full disk, I/O error). */
  append(batches: readonly { payload: Encoded; count: number }[]): JournalEntry[];
  read(id: number): JournalRead;
  /** Records that a send of `id` may have stored it (or, with false, that it surely did not). */
  setMaybeStored(id: number, maybeStored: boolean): void;
  /** Removes an entry; a missing one is ignored. */
  remove(id: number): void;
  /** Replaces one entry by others in one write (a batch split in two). */
  replace(id: number, batches: readonly { payload: Encoded; count: number }[]): JournalEntry[];
  /** Entries with an id above `afterId`, oldest first. */
  scan(afterId: number, limit: number): JournalEntry[];
  close(): void;
}
