import type { Masker } from "./masker.js";

// Mainland China mobile numbers, optionally with +86 / 0086: 1[3-9] and nine more digits,
// standing alone (not the middle of a longer number such as an order id).
const CN_MOBILE = /(?<![\d+])(?:(?:\+|00)86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)/g;
// International numbers written with a leading +: 8-15 digits (E.164) with the usual separators.
const INTERNATIONAL = /(?<![\w+])\+\d[\d ().-]{6,22}\d(?!\d)/g;
// North American style without a country code: (555) 123-4567, 555-123-4567, 555.123.4567.
const NANP = /(?<!\d)(?:\(\d{3}\) ?|\d{3}[-.])\d{3}[-.]\d{4}(?!\d)/g;

function digitCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) n++;
  return n;
}

export const maskPhones: Masker = (text) =>
  text
    .replace(CN_MOBILE, "[phone]")
    .replace(INTERNATIONAL, (m) => {
      const n = digitCount(m);
      return n >= 8 && n <= 15 ? "[phone]" : m;
    })
    .replace(NANP, "[phone]");
