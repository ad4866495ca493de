// Who may talk to the receiver. Every route but the health check and the identity check needs
// the key pair: Basic auth (`Authorization: Basic base64(publicKey:secretKey)`, as Langfuse), or,
// for the viewer's pages and its read API only, the session cookie its login link sets (a local
// dev server's one-click login: the link is logged at start-up). Only loopback Host headers are
// answered (and the hosts configured), so a web page cannot reach the receiver by rebinding its
// own name to 127.0.0.1.
import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { ApiKeyPair, BasicAuthChecker } from "./basic-auth.js";
import { HttpError } from "./http-responses.js";

export const LOGIN_PATH = "/ui/login";
const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

/** The host name of a Host header, without its port, lower-cased. */
export function hostName(header: string): string {
  const host = header.trim().toLowerCase();
  if (host.startsWith("[")) return host.slice(0, host.indexOf("]") + 1);
  const colon = host.indexOf(":");
  return colon === -1 ? host : host.slice(0, colon);
}

function derive(secretKey: string, purpose: string): string {
  return createHmac("sha256", secretKey).update(`switchboard-receiver:${purpose}`).digest("base64url");
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieValue(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export interface AccessOptions {
  auth: BasicAuthChecker;
  /** The pair the login link and the session cookie are derived from. */
  keys: ApiKeyPair;
  /** Host names answered besides the loopback ones (e.g. a container's service name). */
  allowedHosts: readonly string[];
  port: number;
}

export class ReceiverAccess {
  readonly #allowedHosts: Set<string>;
  /** The login link's token: knowing it is knowing the secret key's HMAC, not the key. */
  readonly loginToken: string;
  readonly #session: string;
  /** Per port: cookies are not kept apart by port, two receivers' sessions must be. */
  readonly cookieName: string;

  readonly #options: AccessOptions;

  constructor(options: AccessOptions) {
    this.#options = options;
    this.#allowedHosts = new Set([...LOOPBACK_HOSTS, ...options.allowedHosts.map((h) => hostName(h))]);
    this.loginToken = derive(options.keys.secretKey, "viewer-login");
    this.#session = derive(options.keys.secretKey, "viewer-session");
    this.cookieName = `switchboard_receiver_${options.port}`;
  }

  /** 403 unless the Host header names this machine's loopback (or a configured host). */
  checkHost(req: IncomingMessage): void {
    const host = req.headers.host;
    if (host !== undefined && this.#allowedHosts.has(hostName(host))) return;
    throw new HttpError(
      403,
      `Host "${host ?? ""}" is not accepted: the receiver answers only requests addressed to 127.0.0.1, localhost or [::1] (set RECEIVER_ALLOWED_HOSTS to add names)`,
      {},
      null,
    );
  }

  hasApiKey(req: IncomingMessage): boolean {
    return this.#options.auth.accepts(req.headers.authorization);
  }

  hasSession(req: IncomingMessage): boolean {
    const value = cookieValue(req, this.cookieName);
    return value !== undefined && sameText(value, this.#session);
  }

  /** True when `token` is the login link's. */
  isLoginToken(token: string | null): boolean {
    return token !== null && sameText(token, this.loginToken);
  }

  /** The Set-Cookie of a logged-in browser: HttpOnly, SameSite=Lax, for this receiver's paths. */
  sessionCookie(): string {
    return `${this.cookieName}=${this.#session}; Path=/; HttpOnly; SameSite=Lax`;
  }

  /** The viewer's one-click login link on `baseUrl`, going to `next` (a viewer path) after. */
  loginUrl(baseUrl: string, next = "/ui/"): string {
    const query = new URLSearchParams({ token: this.loginToken });
    if (next !== "/ui/") query.set("next", next);
    return `${baseUrl.replace(/\/+$/, "")}${LOGIN_PATH}?${query}`;
  }
}

/**
 * Langfuse's answer to a request without valid credentials: 401 `{ message }`, the message
 * Langfuse gives (ApiAuthService.verifyAuthHeaderAndReturnScope).
 */
export function unauthorized(req: IncomingMessage, extraHeaders: Record<string, string> = {}): HttpError {
  const message = req.headers.authorization
    ? "Invalid credentials. Confirm that you've configured the correct host."
    : "No authorization header";
  return new HttpError(401, message, extraHeaders, null);
}
