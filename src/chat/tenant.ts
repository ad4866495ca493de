/**
 * A tenant is whoever holds one API key: every session belongs to one. With keys off there is a
 * single tenant, "none". Tenants never see each other's sessions: the same session id (or the
 * same derived `openai:<user>` id) under two keys names two sessions.
 */
export const NO_TENANT = "none";

/** The tenant's name on traces: the key's id (a hash prefix, never the key), or "none". */
export function tenantName(keyId: string | null): string {
  return keyId ?? NO_TENANT;
}

/**
 * The checkpoint thread holding a tenant's session. Keys off: the session id itself, as before
 * tenants existed, so sessions made then are where their users expect them. With a key:
 * "tenant:<key id>/<session id>". Session ids cannot contain "/", so no keyless session id and
 * no other key's thread can be spelled the same; it is done here, once, so every store (SQLite,
 * memory, PostgreSQL) and every endpoint gets it.
 */
export function sessionThreadId(keyId: string | null, sessionId: string): string {
  return keyId ? `tenant:${keyId}/${sessionId}` : sessionId;
}
