// The trace list: newest first, filtered by user, session, name and time range (kept in the
// URL, so a filtered view can be shared or reloaded), refreshed every few seconds.
import { useState } from "preact/hooks";
import { fetchTraces, type TraceFilters, type TraceSummary } from "./api.js";
import {
  formatAgo,
  formatClock,
  formatCost,
  formatDate,
  formatDuration,
  formatTokens,
  shortSessionId,
} from "./format.js";
import { Link, navigate } from "./router.js";
import { ClarificationBadge, DuplicatesBadge, OutcomeBadge, outcomeClass } from "./turn-status.js";
import { useFetch } from "./use-fetch.js";
import { sessionPagePath, tracePagePath, traceListPath } from "../../receiver/viewer/viewer-links.js";

const PAGE_SIZE = 50;
const REFRESH_MS = 3000;
const FILTER_KEYS: Array<keyof TraceFilters> = ["userId", "sessionId", "name", "from", "to"];

function filtersOf(query: URLSearchParams): TraceFilters {
  return {
    userId: query.get("userId") ?? "",
    sessionId: query.get("sessionId") ?? "",
    name: query.get("name") ?? "",
    from: query.get("from") ?? "",
    to: query.get("to") ?? "",
  };
}

function listHref(filters: TraceFilters, page = 1): string {
  const q = new URLSearchParams();
  for (const key of FILTER_KEYS) if (filters[key]) q.set(key, filters[key]);
  if (page > 1) q.set("page", String(page));
  const text = q.toString();
  return text ? `${traceListPath()}?${text}` : traceListPath();
}

function FilterBar(props: { filters: TraceFilters; names: string[] }) {
  // Keyed by the applied filters: navigating (back, a user link) starts a fresh form from them.
  const [draft, setDraft] = useState(props.filters);
  const field = (
    key: keyof TraceFilters,
    label: string,
    type: "text" | "datetime-local" = "text",
    placeholder = "",
  ) => (
    <label class="filter">
      <span>{label}</span>
      <input
        name={key}
        type={type}
        value={draft[key]}
        placeholder={placeholder}
        list={key === "name" ? "trace-names" : undefined}
        onInput={(e) => setDraft({ ...draft, [key]: (e.target as HTMLInputElement).value })}
      />
    </label>
  );
  return (
    <form
      class="filters"
      onSubmit={(e) => {
        e.preventDefault();
        navigate(listHref(draft));
      }}
    >
      {field("userId", "User", "text", "any user")}
      {field("sessionId", "Session", "text", "any session")}
      {field("name", "Name", "text", "any name")}
      <datalist id="trace-names">
        {props.names.map((n) => (
          <option value={n} />
        ))}
      </datalist>
      {field("from", "From", "datetime-local")}
      {field("to", "To", "datetime-local")}
      <div class="filter-actions">
        <button type="submit" class="primary">
          Apply
        </button>
        <button
          type="button"
          onClick={() => navigate(listHref({ userId: "", sessionId: "", name: "", from: "", to: "" }))}
        >
          Clear
        </button>
      </div>
    </form>
  );
}

function Row(props: { trace: TraceSummary; filters: TraceFilters }) {
  const t = props.trace;
  const intent = typeof t.metadata["intent"] === "string" ? t.metadata["intent"] : null;
  const agent = typeof t.metadata["agent"] === "string" ? t.metadata["agent"] : null;
  return (
    <tr class={outcomeClass(t)} data-trace-id={t.id}>
      <td class="time" title={`${new Date(t.timestamp).toLocaleString()} (${formatAgo(t.timestamp)})`}>
        <span class="date">{formatDate(t.timestamp)}</span> <span class="clock">{formatClock(t.timestamp)}</span>
      </td>
      <td class="name-cell">
        <Link href={tracePagePath(t.id)} class="trace-link">
          {t.name ?? "(unnamed)"}
        </Link>
        {agent && <span class="chip">{intent ? `${intent} → ${agent}` : agent}</span>}
        <ClarificationBadge summary={t} />
        <DuplicatesBadge summary={t} />
        {t.inputPreview && <div class="preview">{t.inputPreview}</div>}
      </td>
      <td class="wrap user" data-label="user">
        {t.userId ? (
          <Link href={listHref({ ...props.filters, userId: t.userId })}>{t.userId}</Link>
        ) : (
          <span class="muted">–</span>
        )}
      </td>
      <td class="mono wrap session" data-label="session">
        {t.sessionId ? (
          <Link href={sessionPagePath(t.sessionId)} title={t.sessionId}>
            {shortSessionId(t.sessionId)}
          </Link>
        ) : (
          <span class="muted">–</span>
        )}
      </td>
      <td class="num col-wide">{formatDuration(t.latency)}</td>
      <td class="num col-wide">{t.observationCount}</td>
      <td class="num col-wide" title={`${t.usage.input} in / ${t.usage.output} out`}>
        {t.usage.total > 0 ? formatTokens(t.usage.total) : <span class="muted">–</span>}
      </td>
      <td class="num col-wide cost">{t.totalCost > 0 ? formatCost(t.totalCost) : <span class="muted">–</span>}</td>
      <td class="status">
        <OutcomeBadge summary={t} />
      </td>
    </tr>
  );
}

export function TraceListPage(props: { query: URLSearchParams }) {
  const filters = filtersOf(props.query);
  const page = Math.max(1, Number(props.query.get("page") ?? "1") || 1);
  const [live, setLive] = useState(true);
  const key = `${listHref(filters, page)}`;
  const { data, error, updatedAt } = useFetch(
    () => fetchTraces(filters, page, PAGE_SIZE),
    key,
    live ? REFRESH_MS : undefined,
  );
  const active = FILTER_KEYS.filter((k) => filters[k]).length;
  return (
    <main>
      <div class="page-head">
        <h1>Traces</h1>
        <div class="refresh">
          <label>
            <input type="checkbox" checked={live} onChange={(e) => setLive((e.target as HTMLInputElement).checked)} />{" "}
            live
          </label>
          <span class="muted">
            {updatedAt ? `updated ${updatedAt.toLocaleTimeString([], { hour12: false })}` : "loading…"}
          </span>
        </div>
      </div>
      <FilterBar key={listHref(filters)} filters={filters} names={data?.names ?? []} />
      {error && <div class="error-box">Could not load traces: {error.message}</div>}
      {data && (
        <>
          <div class="list-meta muted">
            {data.meta.totalItems.toLocaleString("en-US")} trace{data.meta.totalItems === 1 ? "" : "s"}
            {active > 0 ? " matching the filters" : ""}, newest first
          </div>
          {data.data.length === 0 ? (
            <div class="empty">
              {active > 0
                ? "No trace matches these filters."
                : "No traces yet. Send a chat message and it shows up here."}
            </div>
          ) : (
            <table class="traces">
              <thead>
                <tr>
                  <th>Time</th>
                  <th>Name</th>
                  <th>User</th>
                  <th>Session</th>
                  <th class="num col-wide">Duration</th>
                  <th class="num col-wide">Obs.</th>
                  <th class="num col-wide">Tokens</th>
                  <th class="num col-wide">Cost</th>
                  <th>Status</th>
                </tr>
              </thead>
              <tbody>
                {data.data.map((t) => (
                  <Row key={t.id} trace={t} filters={filters} />
                ))}
              </tbody>
            </table>
          )}
          {data.meta.totalPages > 1 && (
            <div class="pager">
              {page > 1 ? <Link href={listHref(filters, page - 1)}>← newer</Link> : <span />}
              <span class="muted">
                page {page} of {data.meta.totalPages}
              </span>
              {page < data.meta.totalPages ? <Link href={listHref(filters, page + 1)}>older →</Link> : <span />}
            </div>
          )}
        </>
      )}
    </main>
  );
}
