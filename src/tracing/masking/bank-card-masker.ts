import { isLuhnValid } from "./luhn.js";
import type { Masker } from "./masker.js";

// 13-19 digits, optionally grouped by single spaces or dashes ("4111 1111 1111 1111").
const CANDIDATE = /(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)/g;

export const maskBankCards: Masker = (text) =>
  text.replace(CANDIDATE, (m) => {
    const digits = m.replace(/[ -]/g, "");
    return digits.length >= 13 && digits.length <= 19 && isLuhnValid(digits) ? "[bank_card]" : m;
  });
