// Numbers and times as the viewer shows them.

export function formatDuration(seconds: number): string {
  const ms = seconds * 1000;
  if (ms < 1) return "<1 ms";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${Math.floor(ms / 60_000)} m ${Math.round((ms % 60_000) / 1000)} s`;
}

/** The date part of a time, always shown (traces of several days sit in one list). */
export function formatDate(iso: string): string {
  const d = new Date(iso);
  const sameYear = d.getFullYear() === new Date().getFullYear();
  return d.toLocaleDateString(
    [],
    sameYear ? { month: "short", day: "numeric" } : { year: "numeric", month: "short", day: "numeric" },
  );
}

export function formatClock(iso: string): string {
  return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
}

/** Date and time, e.g. "Mar 4 14:02:11". */
export function formatTime(iso: string): string {
  return `${formatDate(iso)} ${formatClock(iso)}`;
}

/** Time with milliseconds, for observation timings. */
export function formatPreciseTime(iso: string): string {
  const d = new Date(iso);
  const time = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  return `${time}.${String(d.getMilliseconds()).padStart(3, "0")}`;
}

export function formatAgo(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

export function formatTokens(n: number): string {
  return n >= 10_000 ? `${(n / 1000).toFixed(1)}k` : n.toLocaleString("en-US");
}

/** Ids up to this long are shown whole. */
const WHOLE_ID_CHARS = 24;

/**
 * A session id short enough for a list cell that still tells sessions apart: whole when short;
 * else its prefix (`openai:`), the start and the end of the rest, which is where ids differ
 * (`openai:alice-from-…-support`, `6f1c2b3a…9e0f`). Show the whole id as a title.
 */
export function shortSessionId(id: string): string {
  if (id.length <= WHOLE_ID_CHARS) return id;
  const colon = id.indexOf(":");
  const prefix = colon > 0 && colon <= 12 ? id.slice(0, colon + 1) : "";
  const rest = id.slice(prefix.length);
  if (rest.length <= WHOLE_ID_CHARS - 4) return id;
  return `${prefix}${rest.slice(0, 10)}…${rest.slice(-8)}`;
}

/** USD as Langfuse shows small costs: up to 6 decimals, at least 2, "$0" for nothing. */
export function formatCost(usd: number): string {
  if (usd === 0) return "$0";
  if (usd < 0.000001) return "<$0.000001";
  const text = usd.toFixed(usd >= 1 ? 2 : 6).replace(/0+$/, "");
  const [whole, fraction = ""] = text.split(".");
  return `$${whole}.${fraction.padEnd(2, "0")}`;
}
