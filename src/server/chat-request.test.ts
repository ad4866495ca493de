import { test } from "node:test";
import assert from "node:assert/strict";
import { parseChatRequest } from "./chat-request.js";

test("each message limit is its own: schemas built once per limit never answer with another limit", () => {
  const long = { message: "x".repeat(150), user_id: "u" };
  assert.equal(parseChatRequest(long, 200).message, long.message);
  assert.throws(() => parseChatRequest(long, 100), {
    code: "invalid_request",
    field: "message",
    message: "message is too long: 150 characters, at most 100",
  });
  // The first limit's schema, built before the second, still answers with its own limit.
  assert.equal(parseChatRequest(long, 200).message, long.message);
  assert.throws(() => parseChatRequest({ ...long, message: "x".repeat(201) }, 200), {
    message: "message is too long: 201 characters, at most 200",
  });
  assert.deepEqual(parseChatRequest({ message: "  hi  ", user_id: "u", session_id: null }, 100), {
    message: "hi",
    user_id: "u",
    session_id: undefined,
  });
});
