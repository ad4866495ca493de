// The scores and prompts APIs under the receiver's faults (faults.ts): the route does its work
// and says what to answer; this decides whether the request is answered, fails, waits or hangs,
// and whether its answer is lost after the work was done (the unknown outcome a client's retry
// must survive without duplicates).
import type { IncomingMessage, ServerResponse } from "node:http";
import type { FaultEndpoint } from "./faults.js";
import { HttpError, sendJson } from "./http-responses.js";
import type { ReceiverContext } from "./receiver-context.js";

/** What a route answers: a status and a JSON body (none for 204). */
export interface ApiAnswer {
  status: number;
  body?: unknown;
}

export async function answerUnderFaults(
  ctx: ReceiverContext,
  endpoint: FaultEndpoint,
  req: IncomingMessage,
  res: ServerResponse,
  work: () => Promise<ApiAnswer>,
): Promise<void> {
  const decision = ctx.faults.decide(endpoint);
  if (decision.kind === "hang") {
    ctx.holdForever(res);
    return;
  }
  if (decision.kind === "fail") {
    await ctx.sleep(decision.delayMs);
    const headers: Record<string, string> =
      decision.retryAfterSeconds === null ? {} : { "retry-after": String(decision.retryAfterSeconds) };
    throw new HttpError(decision.status, "injected failure (receiver fault)", headers);
  }
  const answer = await work();
  await ctx.sleep(decision.delayMs);
  if (decision.afterStore === "hang") {
    ctx.holdForever(res);
    return;
  }
  if (decision.afterStore === "reset") {
    req.socket.destroy();
    return;
  }
  if (answer.body === undefined) {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(answer.status);
    res.end();
    return;
  }
  sendJson(res, answer.status, answer.body);
}
