/**
 * Session ids that name a member of Object.prototype ("__proto__", "constructor", "toString",
 * ...) or "prototype". Checkpointers that key plain objects by thread id (LangGraph's
 * MemorySaver) would read Object.prototype for them and write into it on the next checkpoint;
 * MemorySaver now throws for some of them instead (a 500). No real session has such an id, so
 * they are refused before any store sees them: 400 on a turn, 404 on a read.
 */
export function isReservedSessionId(id: string): boolean {
  return id in Object.prototype || id === "prototype";
}
