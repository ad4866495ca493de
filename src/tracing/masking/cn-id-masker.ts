import { isValidCnId } from "./cn-id-checksum.js";
import type { Masker } from "./masker.js";

const CANDIDATE = /(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])/g;

export const maskCnIds: Masker = (text) => text.replace(CANDIDATE, (m) => (isValidCnId(m) ? "[cn_id]" : m));
