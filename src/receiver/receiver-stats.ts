// Counters of what the ingestion endpoint saw, for tests and benchmarks to compare with what
// the client believes it sent.
import type { StoreCounts } from "./span-store.js";

/** Keys of `requests.byIngestionVersion` beyond this many distinct header values become "other". */
const MAX_VERSION_KEYS = 16;

export interface ReceiverStats {
  requests: {
    /** Ingestion requests received (any outcome, including hung ones). */
    total: number;
    /** Ingestion responses by HTTP status, e.g. { "200": 10, "503": 5 }. */
    byStatus: Record<string, number>;
    /** Ingestion requests left unanswered by the hang fault (nothing stored). */
    hung: number;
    /** Requests whose spans were stored and then not answered normally (the afterStore fault). */
    afterStore: { hung: number; reset: number };
    /**
     * Ingestion requests by their `x-langfuse-ingestion-version` header value, "none" without
     * one; "4" and "none" are always present.
     */
    byIngestionVersion: Record<string, number>;
  };
  spans: {
    /** Spans in stored requests (re-sends included): each became a row. */
    received: number;
    /** Spans whose id was new (received - duplicates). */
    unique: number;
    /** Rows received whose observation id already existed: re-sends, stored again as in Langfuse v4. */
    duplicates: number;
  };
  /** What the store holds now (it may hold data from before this process when dbPath is a file). */
  store: StoreCounts;
  bytes: {
    /** Request body bytes as sent on the wire (compressed when gzip). */
    received: number;
    /** Body bytes after decompression. */
    decoded: number;
  };
  /** POST /api/public/scores: what it stored, and what the store holds now. */
  scores: {
    /** Scores stored under an id that was new. */
    created: number;
    /** Scores stored under an id already held: the same score again (a retry) or a change; never a second score. */
    updated: number;
    /** Accepted (200) but not stored, as Langfuse drops them: a configId the receiver has no config for. */
    dropped: number;
    /** Scores held now. */
    stored: number;
  };
  /** Prompts held now: distinct names and versions. */
  prompts: { names: number; versions: number };
}

/** What the scores and prompts tables hold, for the snapshot. */
export interface ApiStoreCounts {
  scores: number;
  prompts: { names: number; versions: number };
}

export class StatsCounter {
  requestsTotal = 0;
  requestsHung = 0;
  afterStoreHung = 0;
  afterStoreReset = 0;
  readonly #byIngestionVersion = new Map<string, number>();
  readonly byStatus = new Map<number, number>();
  spansReceived = 0;
  spansDuplicate = 0;
  bytesReceived = 0;
  bytesDecoded = 0;
  scoresCreated = 0;
  scoresUpdated = 0;
  scoresDropped = 0;

  countStatus(status: number): void {
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
  }

  /** @param version the header value, null when absent */
  countIngestionVersion(version: string | null): void {
    let key = version ?? "none";
    // Header values are client input: bounded in length and in distinct keys.
    if (key.length > 16 || (!this.#byIngestionVersion.has(key) && this.#byIngestionVersion.size >= MAX_VERSION_KEYS))
      key = "other";
    this.#byIngestionVersion.set(key, (this.#byIngestionVersion.get(key) ?? 0) + 1);
  }

  reset(): void {
    this.requestsTotal = 0;
    this.requestsHung = 0;
    this.afterStoreHung = 0;
    this.afterStoreReset = 0;
    this.#byIngestionVersion.clear();
    this.byStatus.clear();
    this.spansReceived = 0;
    this.spansDuplicate = 0;
    this.bytesReceived = 0;
    this.bytesDecoded = 0;
    this.scoresCreated = 0;
    this.scoresUpdated = 0;
    this.scoresDropped = 0;
  }

  snapshot(store: StoreCounts, api: ApiStoreCounts): ReceiverStats {
    return {
      requests: {
        total: this.requestsTotal,
        byStatus: Object.fromEntries([...this.byStatus].map(([status, n]) => [String(status), n])),
        hung: this.requestsHung,
        afterStore: { hung: this.afterStoreHung, reset: this.afterStoreReset },
        byIngestionVersion: { "4": 0, none: 0, ...Object.fromEntries(this.#byIngestionVersion) },
      },
      spans: {
        received: this.spansReceived,
        unique: this.spansReceived - this.spansDuplicate,
        duplicates: this.spansDuplicate,
      },
      store,
      bytes: { received: this.bytesReceived, decoded: this.bytesDecoded },
      scores: {
        created: this.scoresCreated,
        updated: this.scoresUpdated,
        dropped: this.scoresDropped,
        stored: api.scores,
      },
      prompts: api.prompts,
    };
  }
}
