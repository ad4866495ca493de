import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { createLogger } from "./logger.js";

/** A destination that keeps what is written. */
function sink(): { stream: Writable & { write(chunk: string): boolean }; text: () => string } {
  let text = "";
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream: stream as Writable & { write(chunk: string): boolean }, text: () => text };
}

describe("createLogger", () => {
  it("writes one JSON object per line off a terminal, with secrets redacted", () => {
    const out = sink();
    const logger = createLogger({ pretty: false, destination: out.stream });
    logger.info({ port: 3000, config: { apiKey: "sk-secret" } }, "switchboard ready");
    const line = JSON.parse(out.text().trim()) as Record<string, any>;
    assert.equal(line["msg"], "switchboard ready");
    assert.equal(line["port"], 3000);
    assert.equal(line["config"].apiKey, "[redacted]");
  });

  it("writes human-readable lines on a terminal: level, message and fields, not JSON", () => {
    const out = sink();
    const logger = createLogger({ pretty: true, destination: out.stream });
    logger.warn({ port: 3000, config: { apiKey: "sk-secret" } }, "port taken");
    const text = out.text();
    assert.match(text, /WARN/);
    assert.match(text, /port taken/);
    assert.match(text, /port: 3000/);
    assert.ok(!text.includes("sk-secret"));
    assert.throws(() => JSON.parse(text.trim()));
  });
});
