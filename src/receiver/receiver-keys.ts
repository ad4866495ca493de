// The receiver's own key pair: made at random the first time a receiver starts on a data folder
// and kept there (receiver-keys.json, 0600, in a 0700 folder), so a receiver and the service
// that embeds or finds it share it, and nobody else on the machine has it. Langfuse's key format:
// pk-lf-<uuid>, sk-lf-<uuid>.
import { randomUUID } from "node:crypto";
import { chmodSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { ApiKeyPair } from "./basic-auth.js";

export const KEYS_FILE_NAME = "receiver-keys.json";
const FILE_MODE = 0o600;
const DIR_MODE = 0o700;

export class ReceiverKeysError extends Error {
  override readonly name = "ReceiverKeysError";
}

export function generateKeyPair(): ApiKeyPair {
  return { publicKey: `pk-lf-${randomUUID()}`, secretKey: `sk-lf-${randomUUID()}` };
}

/** The data folder of a SQLite file: the folder the key pair lives in. Null for ":memory:". */
export function dataFolderOf(dbPath: string): string | null {
  return dbPath === ":memory:" ? null : dirname(dbPath);
}

export function keysFileOf(dataFolder: string): string {
  return join(dataFolder, KEYS_FILE_NAME);
}

/** Creates a folder (and its parents) 0700; an existing folder is left as it is. */
export function makePrivateFolder(folder: string): void {
  mkdirSync(folder, { recursive: true, mode: DIR_MODE });
}

function parseKeys(text: string, file: string): ApiKeyPair {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ReceiverKeysError(`${file} is not JSON: delete it to make a new key pair`);
  }
  const keys = parsed as Partial<ApiKeyPair> | null;
  if (
    !keys ||
    typeof keys.publicKey !== "string" ||
    typeof keys.secretKey !== "string" ||
    !keys.publicKey ||
    !keys.secretKey
  ) {
    throw new ReceiverKeysError(`${file} has no publicKey and secretKey: delete it to make a new key pair`);
  }
  return { publicKey: keys.publicKey, secretKey: keys.secretKey };
}

/** The key pair kept in `dataFolder`, or null when there is none yet. */
export function readKeyPair(dataFolder: string): ApiKeyPair | null {
  const file = keysFileOf(dataFolder);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new ReceiverKeysError(`cannot read ${file}: ${(err as Error).message}`);
  }
  // A file someone else can read is a shared key: take it back to the owner.
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, FILE_MODE);
  return parseKeys(text, file);
}

export interface StoredKeyPair {
  keys: ApiKeyPair;
  file: string;
  /** True when this call made the pair (the first start on this folder). */
  created: boolean;
}

/**
 * The key pair of `dataFolder`, made and stored on first use. Safe against two processes
 * starting at once: the file appears whole (written aside, then hard-linked into place) and
 * whoever links second reads the first one's pair.
 */
export function loadOrCreateKeyPair(dataFolder: string): StoredKeyPair {
  const file = keysFileOf(dataFolder);
  const existing = readKeyPair(dataFolder);
  if (existing) return { keys: existing, file, created: false };
  makePrivateFolder(dataFolder);
  const keys = generateKeyPair();
  const aside = `${file}.${process.pid}.${randomUUID()}.tmp`;
  writeFileSync(aside, `${JSON.stringify({ ...keys, createdAt: new Date().toISOString() }, null, 2)}\n`, {
    mode: FILE_MODE,
    flag: "wx",
  });
  try {
    linkSync(aside, file);
    return { keys, file, created: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
      throw new ReceiverKeysError(`cannot write ${file}: ${(err as Error).message}`);
    }
    const winner = readKeyPair(dataFolder);
    if (!winner) throw new ReceiverKeysError(`${file} vanished while it was being read`);
    return { keys: winner, file, created: false };
  } finally {
    unlinkSync(aside);
  }
}
