// GET /api/public/v2/observations: Langfuse v4's read API, observations-first. Rows newest first,
// one page of `limit`, `meta.cursor` for the next page (absent on the last), as
// web/src/pages/api/public/v2/observations/index.ts answers.
import type { IncomingMessage, ServerResponse } from "node:http";
import { sendJson } from "./http-responses.js";
import { encodeCursor, parseObservationsV2Query } from "./observations-v2-query.js";
import { toObservationV2, type ObservationsV2Response } from "./observations-v2-view.js";
import { methodNotAllowed, requireApiAuth } from "./public-api-routes.js";
import type { ReceiverContext } from "./receiver-context.js";

export const OBSERVATIONS_V2_PATH = "/api/public/v2/observations";

/** Handles GET /api/public/v2/observations. Returns false for other paths. */
export function handleObservationsV2(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
  ctx: ReceiverContext,
): boolean {
  if (path !== OBSERVATIONS_V2_PATH) return false;
  if (req.method !== "GET") throw methodNotAllowed("GET");
  requireApiAuth(req, ctx);
  const q = parseObservationsV2Query(query);
  // One row more than asked tells whether another page exists.
  const rows = ctx.store.listRows(q.filter, q.cursor, q.limit + 1);
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  const options = { groups: q.groups, fullMetadata: q.groups.has("io") || q.expandMetadata.length > 0 };
  const body: ObservationsV2Response = {
    data: page.map((row) => toObservationV2(row, options)),
    meta:
      rows.length > q.limit && last
        ? {
            cursor: encodeCursor({
              startTime: last.start_time,
              traceId: last.trace_id,
              id: last.id,
              rowId: last.row_id,
            }),
          }
        : {},
  };
  sendJson(res, 200, body);
  return true;
}
