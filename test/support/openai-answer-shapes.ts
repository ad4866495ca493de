// What a 200 from the OpenAI-compatible endpoints must look like, plain and streamed, restated
// from OpenAI's API reference (the fields official clients and the AI SDK read), for the fuzz
// suites: a 200 whose body a client cannot read is as much a failure as a 500.
import assert from "node:assert/strict";
import { SESSION_ID_PATTERN } from "../../src/chat/session-id.js";
import { parseSse } from "./start-service.js";

const TRACE_ID = /^[0-9a-f]{32}$/;

function assertSwitchboard(fields: any, where: string, traced: boolean): void {
  assert.match(fields?.session_id, SESSION_ID_PATTERN, `${where}: switchboard.session_id`);
  if (traced) assert.match(fields.trace_id, TRACE_ID, `${where}: switchboard.trace_id`);
}

function assertUsage(usage: any, names: [string, string, string], where: string): void {
  for (const name of names) assert.ok(Number.isInteger(usage?.[name]) && usage[name] >= 0, `${where}: usage.${name}`);
  assert.equal(usage[names[2]], usage[names[0]] + usage[names[1]], `${where}: usage total`);
}

/** A `chat.completion`: one choice holding the assistant's non-empty text. */
export function assertChatCompletion(json: any, where: string, traced = false): void {
  assert.equal(json.object, "chat.completion", where);
  assert.match(json.id, /^chatcmpl-/, where);
  assert.ok(Number.isInteger(json.created), where);
  assert.equal(json.choices.length, 1, where);
  const [choice] = json.choices;
  assert.equal(choice.index, 0, where);
  assert.equal(choice.message.role, "assistant", where);
  assert.ok(typeof choice.message.content === "string" && choice.message.content.length > 0, where);
  assert.ok(["stop", "length", "content_filter"].includes(choice.finish_reason), where);
  assertUsage(json.usage, ["prompt_tokens", "completion_tokens", "total_tokens"], where);
  assertSwitchboard(json.switchboard, where, traced);
}

/** A streamed completion: chunks of one id whose deltas add up to the text, one finish reason, then [DONE]. */
export function assertChatCompletionStream(text: string, where: string, traced = false): void {
  const data = text
    .split("\n\n")
    .filter(Boolean)
    .map((block) => block.replace(/^data: /, ""));
  assert.equal(data.at(-1), "[DONE]", `${where}: ${text.slice(-200)}`);
  const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as any);
  assert.ok(chunks.length >= 2, where);
  assert.ok(
    chunks.every((c) => c.object === "chat.completion.chunk" && c.id === chunks[0].id),
    where,
  );
  assert.ok(!chunks.some((c) => c.error), `${where}: an error chunk in a 200 stream: ${text.slice(0, 300)}`);
  const finishes = chunks.filter((c) => c.choices?.[0]?.finish_reason);
  assert.equal(finishes.length, 1, where);
  const content = chunks.map((c) => c.choices?.[0]?.delta?.content ?? "").join("");
  assert.ok(content.length > 0, `${where}: no text streamed`);
  assertSwitchboard(finishes[0].switchboard, where, traced);
}

/** A Response: completed (or incomplete at the token limit), one assistant message with output_text. */
export function assertResponse(json: any, where: string, traced = false): void {
  assert.equal(json.object, "response", where);
  assert.match(json.id, /^resp_[0-9a-f]{32}$/, where);
  assert.ok(["completed", "incomplete"].includes(json.status), where);
  assert.equal(json.error, null, where);
  assert.equal(json.output.length, 1, where);
  const [item] = json.output;
  assert.equal(item.type, "message", where);
  assert.equal(item.role, "assistant", where);
  assert.equal(item.content[0].type, "output_text", where);
  assert.ok(typeof item.content[0].text === "string" && item.content[0].text.length > 0, where);
  assertUsage(json.usage, ["input_tokens", "output_tokens", "total_tokens"], where);
  assertSwitchboard(json.switchboard, where, traced);
}

/** A streamed Response: numbered events from response.created to response.completed, whose deltas add up to the text. */
export function assertResponseStream(text: string, where: string, traced = false): void {
  const events = parseSse(text);
  assert.ok(events.length >= 4, where);
  assert.deepEqual(
    events.map((e) => e.data.sequence_number),
    events.map((_, i) => i),
    `${where}: sequence numbers`,
  );
  assert.ok(
    events.every((e) => e.event === e.data.type),
    where,
  );
  assert.equal(events[0]!.event, "response.created", where);
  const last = events.at(-1)!;
  assert.ok(["response.completed", "response.incomplete"].includes(last.event), `${where}: ended with ${last.event}`);
  assert.ok(!events.some((e) => e.event === "error" || e.event === "response.failed"), where);
  const deltas = events
    .filter((e) => e.event === "response.output_text.delta")
    .map((e) => e.data.delta)
    .join("");
  const done = events.find((e) => e.event === "response.output_text.done");
  assert.equal(deltas, done?.data.text, `${where}: deltas add up to the text`);
  assertResponse(last.data.response, where, traced);
}
