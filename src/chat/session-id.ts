/**
 * Session ids: 1-128 characters of A-Z a-z 0-9 . _ : @ -. They appear in URLs, headers and
 * logs, so they stay plain ASCII, and they never contain "/": that is what keeps the tenant
 * prefix of a checkpoint thread id (see sessionThreadId) unambiguous.
 */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9._:@-]{1,128}$/;

export const SESSION_ID_RULE = "1-128 characters of A-Z a-z 0-9 . _ : @ -";

export function isValidSessionId(id: string): boolean {
  return SESSION_ID_PATTERN.test(id);
}
