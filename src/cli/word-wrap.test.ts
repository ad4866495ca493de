import { test } from "node:test";
import assert from "node:assert/strict";
import stringWidth from "string-width";
import { StreamingWordWrap } from "./word-wrap.js";

/** The text wrapped to `width`, fed in pieces of `piece` characters (as tokens stream in). */
function wrapped(text: string, width: number | null, piece: number): string {
  let out = "";
  const wrap = new StreamingWordWrap((t) => (out += t), width);
  for (let i = 0; i < text.length; i += piece) wrap.push(text.slice(i, i + piece));
  wrap.end();
  return out;
}

const ENGLISH =
  "Orders desk here. I can see order 1234: it left our warehouse yesterday and should reach you by Thursday. If it has not arrived by then, reply here and I will open an investigation with the carrier straight away.";

test("no line runs past the width and no word is broken, however the text is cut into tokens", () => {
  for (const width of [20, 33, 80])
    for (const piece of [1, 3, 7, 1000]) {
      const out = wrapped(ENGLISH, width, piece);
      const lines = out.split("\n");
      for (const line of lines) assert.ok(stringWidth(line) <= width, `width ${width}, piece ${piece}: "${line}"`);
      assert.deepEqual(out.split(/\s+/), ENGLISH.split(/\s+/), "every word whole, in order");
      if (width < 80) assert.ok(lines.length > 2, "it did wrap");
      assert.ok(
        lines.every((l) => !l.startsWith(" ")),
        "a wrapped line does not start with the space it replaced",
      );
    }
});

test("lines are filled: a word moves down only when it does not fit", () => {
  const out = wrapped("aaa bbb ccc ddd", 7, 2);
  assert.equal(out, "aaa bbb\nccc ddd");
});

test("Chinese text breaks between characters by their width (two columns each), never before closing punctuation", () => {
  const text = "您的订单已经发货，预计明天送达。如有问题，请随时联系我们。";
  for (const piece of [1, 2, 5]) {
    const out = wrapped(text, 10, piece);
    const lines = out.split("\n");
    for (const line of lines) assert.ok(stringWidth(line) <= 10, `"${line}" (${stringWidth(line)} columns)`);
    assert.equal(lines.join(""), text, "nothing added or lost");
    assert.ok(
      lines.every((l) => !/^[，。]/.test(l)),
      `no line starts with closing punctuation:\n${out}`,
    );
  }
});

test("line breaks and indentation in the reply are kept; a word longer than a line is cut since it fits nowhere", () => {
  assert.equal(wrapped("Steps:\n  1. restart\n  2. log in", 40, 3), "Steps:\n  1. restart\n  2. log in");
  const long = "x".repeat(25);
  assert.equal(wrapped(`see ${long} now`, 10, 4), `see\n${"x".repeat(10)}\n${"x".repeat(10)}\n${"x".repeat(5)} now`);
});

test("without a width (not a terminal) the text passes through as it is", () => {
  assert.equal(wrapped(ENGLISH, null, 5), ENGLISH);
});
