import { test } from "node:test";
import assert from "node:assert/strict";
import { isValidCnId } from "./cn-id-checksum.js";
import { createMasker, parseMaskNames } from "./create-masker.js";
import { compileMaskPatterns } from "./custom-pattern-masker.js";
import { isLuhnValid } from "./luhn.js";

const all = createMasker("all", undefined)!;

test("emails", () => {
  assert.equal(all("mail alice.smith+tag@example.co.uk now"), "mail [email] now");
  assert.equal(all("x@y is not an address"), "x@y is not an address");
});

test("phone numbers: mainland China mobile, international, North American", () => {
  assert.equal(all("call 13812345678."), "call [phone].");
  assert.equal(all("+86 138 1234 5678"), "[phone]");
  assert.equal(all("008613812345678"), "[phone]");
  assert.equal(all("London +44 20 7946 0958, Berlin +49 (30) 123456"), "London [phone], Berlin [phone]");
  assert.equal(all("(555) 123-4567 or 555-123-4567"), "[phone] or [phone]");
  assert.equal(all("order 12345678901234 shipped"), "order 12345678901234 shipped", "a long number is not a phone");
  assert.equal(all("id 213812345678"), "id 213812345678", "1[3-9] inside a longer number is not a mobile");
  assert.equal(all("version +1.2"), "version +1.2");
});

test("Chinese resident ID numbers need a valid checksum", () => {
  assert.ok(isValidCnId("11010519491231002X"));
  assert.ok(!isValidCnId("110105194912310021"));
  assert.equal(all("身份证 11010519491231002X 已登记"), "身份证 [cn_id] 已登记");
  assert.equal(all("ref 110105194912310021"), "ref 110105194912310021");
});

test("bank card numbers need the Luhn check; 13-19 digits, spaces or dashes allowed", () => {
  assert.ok(isLuhnValid("4111111111111111"));
  assert.ok(!isLuhnValid("4111111111111112"));
  assert.equal(all("card 4111 1111 1111 1111 ok"), "card [bank_card] ok");
  assert.equal(all("card 4111-1111-1111-1111"), "card [bank_card]");
  assert.equal(all("卡号6011000990139424，谢谢"), "卡号[bank_card]，谢谢");
  assert.equal(all("tracking 4111111111111112"), "tracking 4111111111111112");
});

test("names select maskers; all, none, unknown names", () => {
  assert.deepEqual(parseMaskNames("none"), []);
  assert.deepEqual(parseMaskNames(" Email , phone "), ["email", "phone"]);
  assert.equal(parseMaskNames("all").length, 4);
  assert.throws(() => parseMaskNames("email,ssn"), /unknown masker "ssn"/);
  assert.equal(createMasker("none", undefined), undefined);
  const emailOnly = createMasker("email", undefined)!;
  assert.equal(emailOnly("a@b.io 13812345678"), "[email] 13812345678");
});

test("custom patterns, separated by ;;", () => {
  const m = createMasker("none", "ORD-\\d{6};;secret-[a-z]+")!;
  assert.equal(m("ORD-123456 and secret-sauce"), "[masked] and [masked]");
  assert.throws(() => compileMaskPatterns("ok;;(unclosed"), /pattern 2 is not a valid regular expression/);
  assert.throws(() => compileMaskPatterns("a*"), /matches the empty string/);
  // Stateful global regexes must not skip matches between calls.
  assert.equal(m("ORD-000001"), "[masked]");
  assert.equal(m("ORD-000002"), "[masked]");
});

test("maskers stay fast on hostile input", () => {
  const started = performance.now();
  all("1".repeat(200_000));
  all("a@".repeat(50_000));
  all("+1 ".repeat(50_000));
  all("a.".repeat(50_000) + "@");
  assert.ok(performance.now() - started < 2000, `${performance.now() - started} ms`);
});
