/**
 * Where a turn's timing goes for endpoints that report it (the Server-Timing header): filled by
 * ChatService when the turn ends, read by the route.
 */
export class TurnTiming {
  /** Main-thread time the turn's tracing calls took, ms (0 when the turn was not traced). */
  tracingMs = 0;

  /** The Server-Timing header value. */
  get serverTiming(): string {
    return `tracing;dur=${this.tracingMs.toFixed(3)};desc="tracing on the request path"`;
  }
}
