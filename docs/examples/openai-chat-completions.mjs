import OpenAI from "openai";

const client = new OpenAI({
  baseURL: process.env.SWITCHBOARD_URL ?? "http://127.0.0.1:3000/v1",
  // Any string while the service runs without API_KEYS; else one of its keys.
  apiKey: process.env.SWITCHBOARD_API_KEY ?? "none",
});

// One answer. `user` names the end user; their conversation continues on the next request.
const completion = await client.chat.completions.create({
  model: "switchboard-router",
  messages: [{ role: "user", content: "Where is my order 1234?" }],
  user: "alice",
  max_tokens: 200,
});
console.log(completion.choices[0].message.content);
console.log("answered by", completion.switchboard.agent);

// Streamed, with the usage in a last chunk.
const stream = await client.chat.completions.create({
  model: "switchboard-router",
  messages: [{ role: "user", content: "Can you change the delivery address?" }],
  user: "alice",
  stream: true,
  stream_options: { include_usage: true },
});
for await (const chunk of stream) {
  process.stdout.write(chunk.choices[0]?.delta.content ?? "");
  if (chunk.usage) console.log(`\n[${chunk.usage.total_tokens} tokens]`);
}
