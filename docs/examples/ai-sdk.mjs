import { createOpenAI } from "@ai-sdk/openai";
import { generateText, streamText } from "ai";

const switchboard = createOpenAI({
  baseURL: process.env.SWITCHBOARD_URL ?? "http://127.0.0.1:3000/v1",
  apiKey: process.env.SWITCHBOARD_API_KEY ?? "none",
});

// The default model speaks the Responses API.
const first = await generateText({
  model: switchboard("switchboard-router"),
  prompt: "The app crashes when I log in",
});
console.log(first.text);

// Continue that conversation, streamed.
const next = streamText({
  model: switchboard("switchboard-router"),
  prompt: "It happens on Android 14",
  providerOptions: { openai: { previousResponseId: first.response.id } },
});
for await (const delta of next.textStream) process.stdout.write(delta);
console.log(`\n[${(await next.usage).totalTokens} tokens]`);

// Chat completions, with the end user named.
const chat = await generateText({
  model: switchboard.chat("switchboard-router"),
  prompt: "Where is my order 1234?",
  providerOptions: { openai: { user: "carol" } },
});
console.log(chat.text);
