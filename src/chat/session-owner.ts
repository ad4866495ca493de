/**
 * The owner recorded in a session's state: the user, prefixed with the API key's id when keys
 * are on. Sessions of different keys live in different threads (see sessionThreadId); the key
 * in the owner still marks the sessions written before that, which sit under the bare session id.
 */
export function sessionOwner(userId: string, keyId: string | null): string {
  return keyId ? `${keyOwnerPrefix(keyId)}${userId}` : userId;
}

/** Every owner recorded under this key starts with it. */
export function keyOwnerPrefix(keyId: string): string {
  return `key:${keyId}/`;
}
