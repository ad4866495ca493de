/**
 * Session ids that name a member of Object.prototype ("__proto__", "constructor", "toString",
 * ...) or "prototype". Checkpointers that key plain objects by thread id (LangGraph's
 * MemorySaver) would read Object.prototype for them and write into it on the next checkpoint;
 * MemorySaver now throws for some of them instead (a 500). No real session has such an id, so
 * they are refused before any store sees them: 400 on a turn, 404 on a read.
 *
 * A set of the names rather than `id in Object.prototype`: V8 adds a string it looks up as a
 * property name to its string table, so every new session's UUID was entered there (and later
 * swept) just to learn it is not a property.
 */
const RESERVED = new Set([...Object.getOwnPropertyNames(Object.prototype), "prototype"]);

export function isReservedSessionId(id: string): boolean {
  return RESERVED.has(id);
}
