// Switchboard's tracing pipeline in another Node service, on its own: one trace per request,
// a span per step, a generation per model call, each encoded once as it ends and exported to
// Langfuse off the request's stack (timers and sockets of the same thread), every batch journaled
// on disk until Langfuse has it. `npm run typecheck` checks this file.
import { Registry } from "prom-client";
import { createTracing } from "../../src/tracing/index.js";

const registry = new Registry(); // the pipeline's switchboard_tracing_* metrics, for your /metrics
const tracing = await createTracing(
  {
    publicKey: process.env["LANGFUSE_PUBLIC_KEY"] ?? "",
    secretKey: process.env["LANGFUSE_SECRET_KEY"] ?? "",
    baseUrl: "https://cloud.langfuse.com",
    serviceName: "support-bot",
    version: "1.4.0",
    environment: "production",
    journalDir: "./data/trace-journal", // without it: memory only (a crash loses what is not sent)
    mask: "email,phone",
  },
  registry,
  console, // any logger with warn, info and error (pino works as it is)
);

export async function answer(userId: string, sessionId: string, question: string): Promise<string> {
  const turn = tracing.startTurn({ userId, sessionId, message: question, endpoint: "ask" });
  const step = turn.startNode("answer", { question });
  const input = [{ role: "user", content: question }];
  const generation = step.startGeneration("llm", { model: "gpt-4o-mini", parameters: { temperature: 0 }, input });
  try {
    const reply = "Your order ships tomorrow."; // your model call here
    generation.end({ content: reply, usage_metadata: { input_tokens: 12, output_tokens: 6 } });
    step.end();
    turn.end({ output: reply });
    return reply;
  } catch (err) {
    generation.fail(err);
    step.end(err);
    turn.end({ error: err });
    throw err;
  }
}

// On SIGTERM: send what is held (the rest stays in the journal for the next start).
process.once("SIGTERM", () => void tracing.shutdown().then(() => process.exit(0)));
