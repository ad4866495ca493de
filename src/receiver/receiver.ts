// The local Langfuse-compatible receiver: an HTTP server that takes OTLP spans on Langfuse's
// ingestion endpoint, stores them in SQLite as Langfuse v4 does (one row per span, no dedup), and
// answers Langfuse's v2 observations API plus the legacy trace and observation endpoints.
// Plain node:http: the ingestion path is one route, and nothing between the socket and the
// handler costs anything.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { AddressInfo } from "node:net";
import { BasicAuthChecker, type ApiKeyPair } from "./basic-auth.js";
import { handleControl } from "./control-routes.js";
import { FaultController, type ReceiverFaultControl, type ReceiverFaults } from "./faults.js";
import { HttpError, sendError, sendJson } from "./http-responses.js";
import { handleIngest } from "./ingest-handler.js";
import { handleObservationsV2 } from "./observations-v2-route.js";
import { handlePublicApi } from "./public-api-routes.js";
import { silentLogger, type ReceiverContext, type ReceiverLogger } from "./receiver-context.js";
import { StatsCounter, type ReceiverStats } from "./receiver-stats.js";
import { SpanStore } from "./span-store.js";
import { handleViewerApi } from "./viewer/viewer-api.js";
import { handleViewerAssets } from "./viewer/viewer-assets.js";

export type { ApiKeyPair } from "./basic-auth.js";
export type { AfterStore, ReceiverFaultControl, ReceiverFaults } from "./faults.js";
export type { ReceiverInfo } from "./control-routes.js";
export type { ObservationFieldGroup, ObservationV2, ObservationsV2Response } from "./observations-v2-view.js";
export type { ReceiverLogger } from "./receiver-context.js";
export type { ReceiverStats } from "./receiver-stats.js";

export const INGEST_PATH = "/api/public/otel/v1/traces";
export const DEFAULT_BODY_LIMIT_BYTES = 64 * 1024 * 1024;

export interface ReceiverOptions {
  /** Interface to listen on. Default "127.0.0.1": reachable from this machine only. */
  host?: string;
  /** TCP port; 0 (the default) takes a free one, read it back from `receiver.port`. */
  port?: number;
  /** SQLite database file (its directory is created), or ":memory:" (the default). */
  dbPath?: string;
  /**
   * Key pairs accepted in `Authorization: Basic base64(publicKey:secretKey)`, on ingestion and
   * on the public API. Absent or empty: only the dev pair pk-lf-local / sk-lf-local.
   */
  keys?: ApiKeyPair[];
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
  /** Runtime fault control of the ingestion endpoint (also `PUT /_receiver/faults`). */
  readonly faults: ReceiverFaultControl;
  /** Counters since start or the last reset (also `GET /_receiver/stats`). */
  stats(): ReceiverStats;
  /** Deletes every stored row and zeroes the counters (also `DELETE /_receiver/data`). */
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
  if (dbPath !== ":memory:") mkdirSync(dirname(dbPath), { recursive: true });

  const store = new SpanStore(dbPath);
  const stats = new StatsCounter();
  const faults = new FaultController(options.faults);
  const waiting = new Set<() => void>();
  const hung = new Set<ServerResponse>();
  let closing = false;

  const ctx: ReceiverContext = {
    store,
    auth: new BasicAuthChecker(options.keys ?? []),
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
    stats.snapshot(
      store.isOpen
        ? store.counts()
        : { traces: 0, observations: 0, observationIds: 0, duplicateRows: 0, duplicatedIds: 0 },
    );
  const reset = (): void => {
    store.wipe();
    stats.reset();
  };

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { path, query } = splitUrl(req.url ?? "/");
    try {
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
      if (handleObservationsV2(req, res, path, query, ctx)) return;
      if (handlePublicApi(req, res, path, query, ctx)) return;
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
  await listen(server, options.port ?? 0, host);
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host;

  let closed: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    faults,
    stats: snapshot,
    reset,
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing = true;
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
