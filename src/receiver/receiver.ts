// The local Langfuse-compatible receiver: an HTTP server that takes OTLP spans on Langfuse's
// ingestion endpoint, stores them in SQLite as Langfuse v4 does (one row per span, no dedup), and
// answers Langfuse's v2 observations API plus the legacy trace and observation endpoints; it also
// serves Langfuse's prompts and scores APIs from the same file.
// Plain node:http: the ingestion path is one route, and nothing between the socket and the
// handler costs anything. Locked (receiver-access.ts): a key pair on every route but the health
// and identity checks, loopback Host headers only, control routes only when enabled.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { closeSync, openSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { BasicAuthChecker, DEV_KEY_PAIR, type ApiKeyPair } from "./basic-auth.js";
import { handleControl, handleInfo } from "./control-routes.js";
import { FaultController, type ReceiverFaultControl, type ReceiverFaults } from "./faults.js";
import { HttpError, sendError, sendJson } from "./http-responses.js";
import { handleIngest } from "./ingest-handler.js";
import { handleObservationsV2 } from "./observations-v2-route.js";
import { handlePublicApi } from "./public-api-routes.js";
import { ReceiverAccess, unauthorized } from "./receiver-access.js";
import { silentLogger, type ReceiverContext, type ReceiverLogger } from "./receiver-context.js";
import { dataFolderOf, generateKeyPair, loadOrCreateKeyPair, makePrivateFolder } from "./receiver-keys.js";
import { StatsCounter, type ReceiverStats } from "./receiver-stats.js";
import { UsageBackfill } from "./pricing/usage-backfill.js";
import { PromptStore } from "./prompts/prompt-store.js";
import { handlePrompts } from "./prompts/prompts-route.js";
import { ScoreStore } from "./scores/score-store.js";
import { handleScores } from "./scores/scores-route.js";
import { SpanStore } from "./span-store.js";
import { TraceSweeper } from "./trace-sweeper.js";
import { handleLogin, handleViewerApi, VIEWER_API_PATH } from "./viewer/viewer-api.js";
import { handleViewerAssets, isViewerPage, LOGIN_CHALLENGE, sendLoginRequired } from "./viewer/viewer-assets.js";

export type { ApiKeyPair } from "./basic-auth.js";
export type { AfterStore, ReceiverFaultControl, ReceiverFaults } from "./faults.js";
export type { ReceiverInfo } from "./control-routes.js";
export type { ObservationFieldGroup, ObservationV2, ObservationsV2Response } from "./observations-v2-view.js";
export type { ReceiverLogger } from "./receiver-context.js";
export type { ReceiverStats } from "./receiver-stats.js";

export const INGEST_PATH = "/api/public/otel/v1/traces";
export const DEFAULT_BODY_LIMIT_BYTES = 64 * 1024 * 1024;
/** How long the local receiver keeps a trace by default: a week of development. */
export const DEFAULT_TRACE_TTL_HOURS = 168;

export interface ReceiverOptions {
  /** Interface to listen on. Default "127.0.0.1": reachable from this machine only. */
  host?: string;
  /** TCP port; 0 (the default) takes a free one, read it back from `receiver.port`. */
  port?: number;
  /** SQLite database file (its directory is created), or ":memory:" (the default). */
  dbPath?: string;
  /**
   * Key pairs accepted in `Authorization: Basic base64(publicKey:secretKey)` on every route but
   * the health and identity checks; the first one's secret signs the viewer's login link.
   * "generated": a random pair made at the first start on the data folder (dbPath's folder) and
   * kept there in receiver-keys.json (0600), or a random pair in memory with ":memory:": what
   * `npm run receiver` and the service's embedded receiver use. Absent: only the fixed dev pair
   * pk-lf-local / sk-lf-local, for tests that start a receiver in code.
   */
  keys?: ApiKeyPair[] | "generated";
  /** Host names answered besides 127.0.0.1, localhost and [::1] (DNS rebinding: others get 403). */
  allowedHosts?: string[];
  /** PUT /_receiver/faults and DELETE /_receiver/data over HTTP (default false: tests turn them on). */
  controlRoutes?: boolean;
  /**
   * Traces whose first observation started longer ago than this are deleted by a background
   * sweep. 0 keeps everything. Default: no expiry (the standalone receiver and the service
   * pass DEFAULT_TRACE_TTL_HOURS).
   */
  traceTtlMs?: number;
  /** How often the sweep runs (default: a tenth of the TTL, at most 10 minutes, at least 1 s). */
  sweepIntervalMs?: number;
  /** Faults in force from the start (default none); change them later with `receiver.faults`. */
  faults?: Partial<ReceiverFaults>;
  /** Largest accepted request body, compressed and decompressed alike. Default 64 MiB. */
  bodyLimitBytes?: number;
  /** pino-compatible logger. Default: silent. Credentials are never logged. */
  logger?: ReceiverLogger;
}

export interface Receiver {
  /** Base URL, e.g. "http://127.0.0.1:43121": use it as the Langfuse base URL. */
  readonly url: string;
  readonly port: number;
  /** The key pair to export and read with (the first accepted one). */
  readonly keys: ApiKeyPair;
  /** Where the generated key pair is kept; null when it was given, or lives in memory only. */
  readonly keysFile: string | null;
  /** True when this start made the key pair (the first start on its data folder). */
  readonly keysCreated: boolean;
  /** The viewer's one-click login link (sets a session cookie, then opens `next`, default the trace list). */
  loginUrl(next?: string): string;
  /** Deletes the traces older than the TTL now; resolves to the number of traces deleted. */
  sweep(): Promise<number>;
  /** Resolves when every row stored without usage so far has had its tokens counted and is priced. */
  tokensCounted(): Promise<void>;
  /** Runtime fault control of the ingestion endpoint (also `PUT /_receiver/faults`). */
  readonly faults: ReceiverFaultControl;
  /** Counters since start or the last reset (also `GET /_receiver/stats`). */
  stats(): ReceiverStats;
  /** Deletes every stored row, score and prompt and zeroes the counters (also `DELETE /_receiver/data`). */
  reset(): void;
  /**
   * Stops at once: no new connections, open ones (keep-alive, delayed, hung) are cut off, the
   * store is closed. Idempotent.
   */
  close(): Promise<void>;
}

function splitUrl(rawUrl: string): { path: string; query: URLSearchParams } {
  const q = rawUrl.indexOf("?");
  return q === -1
    ? { path: rawUrl, query: new URLSearchParams() }
    : { path: rawUrl.slice(0, q), query: new URLSearchParams(rawUrl.slice(q + 1)) };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

export async function startReceiver(options: ReceiverOptions = {}): Promise<Receiver> {
  const host = options.host ?? "127.0.0.1";
  const dbPath = options.dbPath ?? ":memory:";
  const logger = options.logger ?? silentLogger;
  const dataFolder = dataFolderOf(dbPath);
  if (dataFolder !== null) {
    makePrivateFolder(dataFolder);
    // Created 0600 before SQLite opens it; SQLite gives its -wal and -shm files the same mode.
    closeSync(openSync(dbPath, "a", 0o600));
  }
  let keyPairs: ApiKeyPair[];
  let keysFile: string | null = null;
  let keysCreated = false;
  if (options.keys === "generated") {
    if (dataFolder === null) {
      keyPairs = [generateKeyPair()];
      keysCreated = true;
    } else {
      const stored = loadOrCreateKeyPair(dataFolder);
      keyPairs = [stored.keys];
      keysFile = stored.file;
      keysCreated = stored.created;
    }
  } else {
    keyPairs = options.keys && options.keys.length > 0 ? options.keys : [DEV_KEY_PAIR];
  }
  const auth = new BasicAuthChecker(keyPairs);

  const store = new SpanStore(dbPath);
  const prompts = new PromptStore(store.database);
  const scores = new ScoreStore(store.database);
  store.linkPrompts((name, version) => prompts.idOfVersion(name, version));
  const usageBackfill = new UsageBackfill(store, logger);
  const stats = new StatsCounter();
  const faults = new FaultController(options.faults);
  const waiting = new Set<() => void>();
  const hung = new Set<ServerResponse>();
  let closing = false;

  // The port is known once listening; the access policy is made then (its cookie name has it).
  const bound: { access?: ReceiverAccess } = {};
  const ctx: ReceiverContext = {
    store,
    prompts,
    scores,
    usageBackfill,
    auth,
    get access(): ReceiverAccess {
      return bound.access!;
    },
    controlRoutes: options.controlRoutes ?? false,
    faults,
    stats,
    logger,
    bodyLimitBytes: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    isClosing: () => closing,
    sleep(ms) {
      if (ms <= 0 || closing) return Promise.resolve();
      return new Promise((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          waiting.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, ms);
        waiting.add(wake);
      });
    },
    holdForever(res) {
      hung.add(res);
      res.once("close", () => hung.delete(res));
    },
  };

  const snapshot = (): ReceiverStats =>
    store.isOpen
      ? stats.snapshot(store.counts(), { scores: scores.count(), prompts: prompts.counts() })
      : stats.snapshot(
          { traces: 0, observations: 0, observationIds: 0, duplicateRows: 0, duplicatedIds: 0 },
          { scores: 0, prompts: { names: 0, versions: 0 } },
        );
  const reset = (): void => {
    store.wipe();
    scores.wipe();
    prompts.wipe();
    stats.reset();
  };

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { path, query } = splitUrl(req.url ?? "/");
    try {
      ctx.access.checkHost(req);
      if (path === INGEST_PATH) {
        if (req.method !== "POST")
          throw new HttpError(405, `${req.method} is not allowed on ${path}`, { allow: "POST" });
        await handleIngest(req, res, ctx);
        return;
      }
      if (closing) throw new HttpError(503, "receiver is shutting down");
      if (path === "/api/public/health") {
        sendJson(res, 200, { status: "OK", version: "switchboard-receiver" });
        return;
      }
      if (handleInfo(req, res, path, ctx)) return;
      if (handleLogin(req, res, path, query, ctx)) return;
      if (path.startsWith("/api/public/")) {
        if (handleObservationsV2(req, res, path, query, ctx)) return;
        if (await handleScores(req, res, path, query, ctx)) return;
        if (await handlePrompts(req, res, path, query, ctx)) return;
        if (handlePublicApi(req, res, path, query, ctx)) return;
        throw new HttpError(404, `no route for ${req.method} ${path}`, {}, "LangfuseNotFoundError");
      }
      // The viewer: its pages and its read API take the login link's session or the key pair.
      const viewerRead = isViewerPage(path) || path.startsWith(`${VIEWER_API_PATH}/`);
      const withKey = ctx.access.hasApiKey(req);
      const withSession = viewerRead && ctx.access.hasSession(req);
      if (!withKey && !withSession) {
        if (isViewerPage(path)) {
          sendLoginRequired(res);
          return;
        }
        if (path.startsWith("/_receiver/")) throw unauthorized(req, viewerRead ? LOGIN_CHALLENGE : {});
      }
      // A browser that answered the key-pair prompt gets the session too: its page's own
      // requests (the viewer's API) then need no prompt of their own.
      if (withKey && !withSession && isViewerPage(path)) res.setHeader("set-cookie", ctx.access.sessionCookie());
      if (handleViewerApi(req, res, path, query, ctx)) return;
      if (await handleControl(req, res, path, query, ctx, { stats: snapshot, reset })) return;
      // The trace viewer (docs/viewer.md): pages and bundle, reading /_receiver/viewer/*.
      if (await handleViewerAssets(req, res, path)) return;
      throw new HttpError(404, `no route for ${req.method} ${path}`);
    } catch (err) {
      if (err instanceof HttpError) {
        sendError(res, err);
      } else {
        logger.error({ err, path }, "request failed");
        sendError(res, new HttpError(500, "internal error"));
      }
    }
  }

  const server = createServer((req, res) => void route(req, res));
  try {
    await listen(server, options.port ?? 0, host);
  } catch (err) {
    store.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host;
  const url = `http://${urlHost}:${port}`;
  const boundHost = host === "0.0.0.0" || host === "::" ? [] : [host];
  const access = new ReceiverAccess({
    auth,
    keys: keyPairs[0]!,
    allowedHosts: [...boundHost, ...(options.allowedHosts ?? [])],
    port,
  });
  bound.access = access;
  const sweeper = new TraceSweeper(store, scores, logger, options.traceTtlMs ?? 0, options.sweepIntervalMs);

  let closed: Promise<void> | undefined;
  return {
    url,
    port,
    keys: keyPairs[0]!,
    keysFile,
    keysCreated,
    loginUrl: (next) => access.loginUrl(url, next),
    sweep: () => sweeper.sweep(),
    tokensCounted: () => usageBackfill.idle(),
    faults,
    stats: snapshot,
    reset,
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing = true;
        sweeper.stop();
        void usageBackfill.close();
        for (const wake of [...waiting]) wake();
        server.close(() => {
          store.close();
          resolve();
        });
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
