// Serves the trace viewer's page and its bundle (built by `npm run build` into dist/viewer/) on
// the receiver. Every /ui/* page path answers the same index.html: the browser app routes.
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { HttpError, sendBytes } from "../http-responses.js";
import { findPackageRoot } from "../package-info.js";
import { VIEWER_BASE_PATH } from "./viewer-links.js";

const CONTENT_TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
};

/** dist/viewer of this checkout (src/receiver/viewer under tsx, dist/src/receiver/viewer when compiled). */
const viewerDir = join(findPackageRoot(import.meta.url), "dist", "viewer");

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Switchboard traces</title>
<p style="font:16px system-ui;margin:3em">The trace viewer is not built yet: run <code>npm run build</code>, then reload.</p>`;

async function sendFile(res: ServerResponse, file: string, contentType: string): Promise<boolean> {
  try {
    const body = await readFile(file);
    // Rebuilt bundles keep their names, so the browser must revalidate rather than cache.
    res.setHeader("cache-control", "no-cache");
    sendBytes(res, 200, contentType, body);
    return true;
  } catch {
    return false;
  }
}

/** `/`, `/ui` and `/ui/*`: the viewer's pages and bundle. */
export function isViewerPage(path: string): boolean {
  return path === "/" || path === VIEWER_BASE_PATH || path.startsWith(`${VIEWER_BASE_PATH}/`);
}

const LOGIN_REQUIRED = `<!doctype html><meta charset="utf-8"><title>Switchboard traces: log in</title>
<div style="font:16px/1.5 system-ui;margin:3em;max-width:44em">
<h1 style="font-size:20px">This trace viewer needs its key pair</h1>
<p>Open the <b>login link</b> the receiver printed when it started (<code>npm start</code> logs it as
<code>viewerLogin</code>, <code>npm run receiver</code> as <code>login</code>), or reload and sign in with the receiver's
public key as user name and its secret key as password. Both are kept in <code>receiver-keys.json</code> in the
receiver's data folder (<code>./data</code> by default).</p></div>`;

/** The viewer's Basic challenge: a browser asks for the key pair (public key as user name). */
export const LOGIN_CHALLENGE: Readonly<Record<string, string>> = Object.freeze({
  "www-authenticate": 'Basic realm="Switchboard trace receiver", charset="UTF-8"',
});

/** 401 for a viewer page without credentials: the browser asks for the key pair, or shows how to log in. */
export function sendLoginRequired(res: ServerResponse, body = LOGIN_REQUIRED): void {
  if (res.headersSent || res.destroyed) return;
  const bytes = Buffer.from(body);
  res.writeHead(401, {
    ...LOGIN_CHALLENGE,
    "content-type": "text/html; charset=utf-8",
    "content-length": bytes.byteLength,
  });
  res.end(bytes);
}

/** Handles GET / (redirects to the viewer), /ui and /ui/* pages and /ui/assets/*. False for other paths. */
export async function handleViewerAssets(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
  if (!isViewerPage(path)) return false;
  if (req.method !== "GET" && req.method !== "HEAD")
    throw new HttpError(405, `${req.method} is not allowed on ${path}`, { allow: "GET" });
  if (path === "/" || path === VIEWER_BASE_PATH) {
    res.writeHead(302, { location: `${VIEWER_BASE_PATH}/` });
    res.end();
    return true;
  }
  const asset = /^\/ui\/assets\/([A-Za-z0-9._-]+)$/.exec(path)?.[1];
  if (asset !== undefined) {
    const type = CONTENT_TYPES[asset.slice(asset.lastIndexOf("."))];
    if (type && (await sendFile(res, join(viewerDir, "assets", asset), type))) return true;
    throw new HttpError(404, `no viewer asset ${asset}`);
  }
  if (await sendFile(res, join(viewerDir, "index.html"), "text/html; charset=utf-8")) return true;
  sendBytes(res, 503, "text/html; charset=utf-8", Buffer.from(NOT_BUILT));
  return true;
}
