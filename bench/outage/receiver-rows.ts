// Every row the receiver holds, by trace, read through Langfuse v4's read API
// (GET /api/public/v2/observations, core fields, cursor pages): what the crash run compares
// with the turns that were answered.
import { RECEIVER_PUBLIC_KEY, RECEIVER_SECRET_KEY } from "../receiver-process.js";
import type { StoredTrace } from "./crash-window.js";

interface Row {
  id: string;
  traceId: string | null;
  parentObservationId: string | null;
  endTime: string | null;
}

export async function receiverRowsByTrace(
  baseUrl: string,
  maxPages = 1000,
): Promise<Map<string, StoredTrace & { rows: Row[]; ids: Set<string> }>> {
  const auth = `Basic ${Buffer.from(`${RECEIVER_PUBLIC_KEY}:${RECEIVER_SECRET_KEY}`).toString("base64")}`;
  const byTrace = new Map<string, { rows: Row[]; ids: Set<string> }>();
  let cursor: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const query = new URLSearchParams({ fields: "core", limit: "1000", ...(cursor ? { cursor } : {}) });
    const res = await fetch(`${baseUrl}/api/public/v2/observations?${query}`, {
      headers: { authorization: auth },
      signal: AbortSignal.timeout(30_000),
    });
    if (res.status !== 200)
      throw new Error(`GET /api/public/v2/observations: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
    const body = (await res.json()) as { data: Row[]; meta: { cursor?: string } };
    for (const row of body.data) {
      const key = row.traceId ?? "";
      let entry = byTrace.get(key);
      if (!entry) byTrace.set(key, (entry = { rows: [], ids: new Set() }));
      entry.rows.push(row);
      entry.ids.add(row.id);
    }
    if (body.meta.cursor === undefined) return byTrace;
    cursor = body.meta.cursor;
  }
  throw new Error(`more than ${maxPages} pages of rows`);
}
