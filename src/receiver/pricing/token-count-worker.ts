// The token counter's worker thread: counts a row's input and output tokens (token-count.ts) off
// the receiver's event loop, where loading an encoding would stall ingestion (and, for the
// service's embedded receiver, the service) for seconds.
import { parentPort } from "node:worker_threads";
import { tokenCount, type Tokenizer } from "./token-count.js";

export interface CountRequest {
  id: number;
  tokenizer: Tokenizer;
  input: string | null;
  output: string | null;
}

export type CountReply = { id: number; input?: number; output?: number } | { id: number; error: string };

parentPort?.on("message", (request: CountRequest) => {
  let reply: CountReply;
  try {
    reply = {
      id: request.id,
      input: tokenCount(request.tokenizer, request.input),
      output: tokenCount(request.tokenizer, request.output),
    };
  } catch (err) {
    reply = { id: request.id, error: (err as Error).message };
  }
  parentPort!.postMessage(reply);
});
