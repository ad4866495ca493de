/**
 * The owner recorded in a session's state: the user, prefixed with the API key's id when keys
 * are on. User ids cannot contain "/", so a keyed owner never equals a plain user id, and a
 * session made without keys is not reachable once keys are required (and vice versa).
 */
export function sessionOwner(userId: string, keyId: string | null): string {
  return keyId ? `key:${keyId}/${userId}` : userId;
}
