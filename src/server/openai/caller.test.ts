import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { runningSessionOf as sessionOfUser } from "../../chat/running-session.js";
import { callerOf } from "./caller.js";

describe("callerOf / sessionOfUser", () => {
  it("users of session-id characters keep a readable session; any other string is hashed into a valid one", () => {
    assert.equal(sessionOfUser("alice@example.com"), "openai:alice@example.com");
    assert.equal(sessionOfUser("a".repeat(64)), `openai:${"a".repeat(64)}`);
    const hashed = sessionOfUser("José Müller");
    assert.equal(hashed, `openai-sha256:${createHash("sha256").update("José Müller", "utf8").digest("hex")}`);
    for (const user of ["a b", "用户🚀", "x/y", "__proto__ ", "\u0000"]) {
      assert.match(sessionOfUser(user), /^openai-sha256:[0-9a-f]{64}$/);
      assert.ok(sessionOfUser(user).length <= 128);
    }
    assert.notEqual(sessionOfUser("a b"), sessionOfUser("a  b"));
  });

  it("headers win over the user field; an empty user is no user; bad headers are a 400 naming them", () => {
    // The running session is the turn's user's: X-User-Id's, not the user field's.
    assert.deepEqual(callerOf({ "x-user-id": "hdr", "x-session-id": "s-1" }, "field user"), {
      userId: "hdr",
      headerSession: "s-1",
      userSession: "openai:hdr",
    });
    assert.throws(
      () => callerOf({ "x-user-id": "mallory", "x-session-id": "openai:victim" }, undefined),
      (err: any) => err.status === 400 && err.field === "x-session-id" && /reserved/.test(err.message),
    );
    assert.equal(callerOf({ "x-session-id": "openai:eve" }, "eve").headerSession, "openai:eve");
    assert.deepEqual(callerOf({}, "bob"), { userId: "bob", headerSession: undefined, userSession: "openai:bob" });
    assert.deepEqual(callerOf({}, ""), { userId: null, headerSession: undefined, userSession: undefined });
    assert.deepEqual(callerOf({}, null), { userId: null, headerSession: undefined, userSession: undefined });
    assert.throws(
      () => callerOf({ "x-session-id": "bad id" }, undefined),
      (err: any) => err.status === 400 && err.field === "x-session-id",
    );
  });
});
