// Counters of what the ingestion endpoint saw, for tests and benchmarks to compare with what
// the client believes it sent.

export interface ReceiverStats {
  requests: {
    /** Ingestion requests received (any outcome, including hung ones). */
    total: number;
    /** Ingestion responses by HTTP status, e.g. { "200": 10, "503": 5 }. */
    byStatus: Record<string, number>;
    /** Ingestion requests left unanswered by the hang fault. */
    hung: number;
  };
  spans: {
    /** Spans in stored requests (re-sends included). */
    received: number;
    /** Spans whose id was new (received - duplicates). */
    unique: number;
    /** Spans whose id was already stored: re-sends, stored once. */
    duplicates: number;
  };
  /** Rows in the store now (it may hold data from before this process when dbPath is a file). */
  store: {
    traces: number;
    observations: number;
  };
  bytes: {
    /** Request body bytes as sent on the wire (compressed when gzip). */
    received: number;
    /** Body bytes after decompression. */
    decoded: number;
  };
}

export class StatsCounter {
  requestsTotal = 0;
  requestsHung = 0;
  readonly byStatus = new Map<number, number>();
  spansReceived = 0;
  spansDuplicate = 0;
  bytesReceived = 0;
  bytesDecoded = 0;

  countStatus(status: number): void {
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
  }

  reset(): void {
    this.requestsTotal = 0;
    this.requestsHung = 0;
    this.byStatus.clear();
    this.spansReceived = 0;
    this.spansDuplicate = 0;
    this.bytesReceived = 0;
    this.bytesDecoded = 0;
  }

  snapshot(store: { traces: number; observations: number }): ReceiverStats {
    return {
      requests: {
        total: this.requestsTotal,
        byStatus: Object.fromEntries([...this.byStatus].map(([status, n]) => [String(status), n])),
        hung: this.requestsHung,
      },
      spans: {
        received: this.spansReceived,
        unique: this.spansReceived - this.spansDuplicate,
        duplicates: this.spansDuplicate,
      },
      store,
      bytes: { received: this.bytesReceived, decoded: this.bytesDecoded },
    };
  }
}
