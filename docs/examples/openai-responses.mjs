import OpenAI from "openai";

const client = new OpenAI({
  baseURL: process.env.SWITCHBOARD_URL ?? "http://127.0.0.1:3000/v1",
  apiKey: process.env.SWITCHBOARD_API_KEY ?? "none",
});

const response = await client.responses.create({
  model: "switchboard-router",
  input: "I was charged twice for my order",
});
console.log(response.output_text);

// Continue the conversation from that response, streamed.
const followUp = await client.responses.create({
  model: "switchboard-router",
  input: "Can you refund one of them?",
  previous_response_id: response.id,
  stream: true,
});
for await (const event of followUp) {
  if (event.type === "response.output_text.delta") process.stdout.write(event.delta);
  if (event.type === "response.completed") console.log(`\n[${event.response.usage.total_tokens} tokens]`);
}

// Any response this service produced can be fetched again.
const again = await client.responses.retrieve(response.id);
console.log(again.status);
