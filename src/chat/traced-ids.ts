/**
 * The user and session ids a trace carries. Langfuse groups its user and session views by these
 * ids alone, across everything a project receives: with API keys on, "carol" under two keys is
 * two people, and the `openai:carol` running session of each key two sessions, so each id is
 * traced as `<tenant>/<id>` (the tenant is the key's id: 12 hex digits, never the key). Without
 * keys there is one tenant, and ids are traced as given.
 */
export function tracedId(keyId: string | null, id: string): string {
  return keyId ? `${keyId}/${id}` : id;
}
