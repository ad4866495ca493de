import { ChatOpenAI } from "@langchain/openai";

const connection = {
  model: "switchboard-router",
  apiKey: process.env.SWITCHBOARD_API_KEY ?? "none",
  configuration: { baseURL: process.env.SWITCHBOARD_URL ?? "http://127.0.0.1:3000/v1" },
};

// Chat completions; `user` names the end user, whose conversation Switchboard keeps.
const model = new ChatOpenAI({ ...connection, user: "dana" });
const reply = await model.invoke("Where is my order 1234?");
console.log(reply.text);
for await (const chunk of await model.stream("Can you change the delivery address?")) {
  process.stdout.write(chunk.text);
}
console.log();

// The Responses API.
const responsesModel = new ChatOpenAI({ ...connection, useResponsesApi: true });
const answer = await responsesModel.invoke("I was charged twice");
console.log(answer.text);
