import type { Masker } from "./masker.js";

// Linear-time on any input: a match may only start where a local part starts (the lookbehind),
// so a long run without an address is scanned once, not once per position; the local part is
// bounded (RFC 5321 allows 64; 256 leaves room for sloppy input); each repetition of the domain group starts with a literal dot.
const EMAIL = /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,256}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g;

export const maskEmails: Masker = (text) => (text.includes("@") ? text.replace(EMAIL, "[email]") : text);
