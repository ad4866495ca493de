import OpenAI from "openai";

const baseURL = process.env.SWITCHBOARD_URL ?? "http://127.0.0.1:3000/v1";
const apiKey = process.env.SWITCHBOARD_API_KEY ?? "none";
const client = new OpenAI({ baseURL, apiKey });

const response = await client.responses.create({
  model: "switchboard-router",
  input: "I was charged twice for my order",
  user: "alice",
});
console.log(response.output_text);

// The user gives the answer a thumbs down: feedback on the response's id, sent to the native API
// of the same service (the OpenAI base URL without its /v1), with the same key.
const res = await fetch(`${baseURL.replace(/\/v1\/?$/, "")}/api/v1/feedback`, {
  method: "POST",
  headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
  body: JSON.stringify({ response_id: response.id, value: false, comment: "the refund never arrived" }),
});
if (res.status !== 202) throw new Error(`feedback refused: ${res.status} ${await res.text()}`);
const { score_id, trace_id } = await res.json();
console.log(`feedback recorded: score ${score_id} on trace ${trace_id}`);
