// What a route is, declared where the route is registered (Fastify's route `config`), so the
// security hooks (register-security.ts) read it instead of keeping a list of paths: a route they
// have never heard of is checked as it says it should be. A route that declares nothing is
// treated as the safest kind: behind the API's keys, counted against the rate limit.
import type { FastifyRequest } from "fastify";

/** Who may call a route: anyone (probes), the metrics scraper's key, or the API's keys. */
export type RouteAccess = "open" | "metrics" | "api";

/**
 * Whether a route answers with an event stream, held against MAX_STREAMS_PER_KEY while open:
 * never, always, or when the JSON body asks for one (`"stream": true`, the OpenAI endpoints).
 */
export type RouteStreaming = "never" | "always" | "when_body_asks";

declare module "fastify" {
  interface FastifyContextConfig {
    /** Who may call the route; absent: the API's keys. */
    access?: RouteAccess;
    /** Counted against RATE_LIMIT_PER_MINUTE; absent: true. */
    limited?: boolean;
    /** Whether it streams (and so takes a stream slot); absent: never. */
    streaming?: RouteStreaming;
  }
}

/** What the security hooks enforce for one route. */
export interface RouteKind {
  access: RouteAccess;
  limited: boolean;
  streaming: RouteStreaming;
}

/** Route options declaring each kind of route the service has; pass one as a route's options. */
export const ROUTE = {
  /** Load balancers' and orchestrators' probes: never behind a key or a limit. */
  probe: { config: { access: "open", limited: false, streaming: "never" } },
  /** /metrics: its own key (or closed, or public), not rate limited. */
  metrics: { config: { access: "metrics", limited: false, streaming: "never" } },
  /** An API route answering JSON. */
  api: { config: { access: "api", limited: true, streaming: "never" } },
  /** An API route answering with an event stream. */
  eventStream: { config: { access: "api", limited: true, streaming: "always" } },
  /** An API route that streams when its body says `"stream": true`. */
  streamWhenAsked: { config: { access: "api", limited: true, streaming: "when_body_asks" } },
} as const satisfies Record<string, { config: RouteKind }>;

/** The kind of the request's route; whatever it leaves out (or a 404, which has no route) fails safe. */
export function routeKindOf(request: FastifyRequest): RouteKind {
  const config = request.routeOptions.config as Partial<RouteKind> | undefined;
  return {
    access: config?.access ?? "api",
    limited: config?.limited ?? true,
    streaming: config?.streaming ?? "never",
  };
}

/** Whether this request holds an event stream open (read once its body is parsed). */
export function opensStream(request: FastifyRequest, kind: RouteKind): boolean {
  if (kind.streaming === "always") return true;
  if (kind.streaming === "never") return false;
  const body = request.body as { stream?: unknown } | null | undefined;
  return typeof body === "object" && body !== null && body.stream === true;
}
