// Every row a receiver holds, grouped by trace, read through Langfuse v4's read API (what a user
// would read from Langfuse): a span stored twice is two rows here.
import { DEV_KEY_PAIR } from "../../src/receiver/basic-auth.js";
import { listObservations, type ObservationV2 } from "./observations-api.js";

export interface TraceRows {
  /** Rows stored for the trace (a span sent twice counts twice). */
  rows: ObservationV2[];
  /** Distinct observation ids among them. */
  ids: Set<string>;
}

/** Reads all rows (core, basic and time fields), bounded to `maxRows`. */
export async function rowsByTrace(
  receiverUrl: string,
  auth: { publicKey: string; secretKey: string } = DEV_KEY_PAIR,
  maxRows = 200_000,
): Promise<Map<string, TraceRows>> {
  const rows = await listObservations(receiverUrl, auth, {
    fields: ["basic", "time"],
    pageSize: 1000,
    maxPages: Math.ceil(maxRows / 1000),
    timeoutMs: 30_000,
  });
  const byTrace = new Map<string, TraceRows>();
  for (const row of rows) {
    const traceId = row.traceId ?? "";
    let entry = byTrace.get(traceId);
    if (!entry) byTrace.set(traceId, (entry = { rows: [], ids: new Set() }));
    entry.rows.push(row);
    entry.ids.add(row.id);
  }
  return byTrace;
}
