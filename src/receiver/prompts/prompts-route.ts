// Langfuse's public prompts API (web/src/features/prompts/server/handlers/*.ts):
//   POST   /api/public/v2/prompts                                  create a version (201)
//   GET    /api/public/v2/prompts                                  list prompts (one row per name)
//   GET    /api/public/v2/prompts/{name}?label=|version=           one version (label production by default)
//   DELETE /api/public/v2/prompts/{name}[?label=|version=]         delete versions (204)
//   PATCH  /api/public/v2/prompts/{name}/versions/{version}        add labels to a version
// Same status codes and bodies: zod's issues as `{ message: "Invalid request data", error }`,
// `{ message, error: "LangfuseNotFoundError" | "InvalidRequestError" }`, and the 401 each handler
// gives (the prompts handlers name UnauthorizedError; the label route, built on
// createAuthedProjectAPIRoute, sends only the message).
import type { IncomingMessage, ServerResponse } from "node:http";
import { answerUnderFaults, type ApiAnswer } from "../fault-answer.js";
import { decodePathSegment, HttpError, parseRequest } from "../http-responses.js";
import { readApiBody } from "../http-request-body.js";
import { methodNotAllowed } from "../public-api-routes.js";
import { queryObject } from "../query-object.js";
import { unauthorized } from "../receiver-access.js";
import type { ReceiverContext } from "../receiver-context.js";
import {
  createPromptSchema,
  getPromptQuerySchema,
  listPromptsQuerySchema,
  PRODUCTION_LABEL,
  updateLabelsSchema,
} from "./prompt-schemas.js";
import { withActive } from "./prompt-store.js";

export const PROMPTS_PATH = "/api/public/v2/prompts";
const ROUTE = /^\/api\/public\/v2\/prompts(?:\/([^/]+)(?:\/versions\/([^/]+))?)?$/;

function notFound(message: string): HttpError {
  return new HttpError(404, message, {}, "LangfuseNotFoundError");
}

/** authorizePromptRequestOrThrow: Langfuse's UnauthorizedError (named in the body), or a 403 for a public key alone. */
function requirePromptAuth(req: IncomingMessage, ctx: ReceiverContext): void {
  if (ctx.auth.accepts(req.headers.authorization)) return;
  if (ctx.auth.acceptsPublicKey(req.headers.authorization)) {
    throw new HttpError(
      403,
      `Access denied - need to use basic auth with secret key to ${req.method} prompts`,
      {},
      "ForbiddenError",
    );
  }
  throw new HttpError(401, unauthorized(req).message, {}, "UnauthorizedError");
}

function getOne(name: string, query: URLSearchParams, ctx: ReceiverContext): ApiAnswer {
  const { version, label } = parseRequest(getPromptQuerySchema, { ...queryObject(query), promptName: name });
  if (version && label) throw new HttpError(400, "Cannot specify both version and label", {}, "InvalidRequestError");
  // getPromptByName tests `if (version)`: version 0 reads the label instead, as in Langfuse.
  const prompt = version ? ctx.prompts.byNumber(name, version) : ctx.prompts.withLabel(name, label ?? PRODUCTION_LABEL);
  if (!prompt) {
    throw notFound(
      `Prompt not found: '${name}'${version ? ` with version ${version}` : ` with label '${label ?? PRODUCTION_LABEL}'`}`,
    );
  }
  return { status: 200, body: withActive(prompt) };
}

function deleteVersions(name: string, query: URLSearchParams, ctx: ReceiverContext): ApiAnswer {
  const { version, label } = parseRequest(getPromptQuerySchema, { ...queryObject(query), promptName: name });
  if (version && label) throw new HttpError(400, "Cannot specify both version and label", {}, "InvalidRequestError");
  const deleted = ctx.prompts.delete(name, { version: version || undefined, label: label || undefined });
  if (deleted === 0) throw notFound("Prompt not found");
  return { status: 204 };
}

async function create(req: IncomingMessage, ctx: ReceiverContext): Promise<ApiAnswer> {
  const input = parseRequest(createPromptSchema, await readApiBody(req));
  return { status: 201, body: ctx.prompts.create(input) };
}

function list(query: URLSearchParams, ctx: ReceiverContext): ApiAnswer {
  const q = parseRequest(listPromptsQuerySchema, queryObject(query));
  const { data, totalItems } = ctx.prompts.list(q);
  const meta = { page: q.page, limit: q.limit, totalPages: Math.ceil(totalItems / q.limit), totalItems };
  // `pagination` repeats `meta`: Langfuse keeps it for clients of its first /v2/prompts release.
  return { status: 200, body: { data, meta, pagination: meta } };
}

async function addLabels(
  req: IncomingMessage,
  name: string,
  rawVersion: string,
  ctx: ReceiverContext,
): Promise<ApiAnswer> {
  const { newLabels } = parseRequest(updateLabelsSchema, await readApiBody(req));
  const version = Number(rawVersion);
  const updated = Number.isInteger(version) ? ctx.prompts.addLabels(name, version, newLabels) : null;
  if (!updated) throw notFound(`Prompt '${name}' version ${rawVersion} not found in project`);
  return { status: 200, body: updated };
}

/** Handles /api/public/v2/prompts[/{name}[/versions/{version}]]. Returns false for other paths. */
export async function handlePrompts(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
  ctx: ReceiverContext,
): Promise<boolean> {
  const match = ROUTE.exec(path);
  if (!match) return false;
  const [, rawName, rawVersion] = match;
  const name = rawName === undefined ? undefined : decodePathSegment(rawName, "InvalidRequestError");
  let work: () => Promise<ApiAnswer>;
  if (name === undefined) {
    if (req.method !== "GET" && req.method !== "POST") throw methodNotAllowed("GET, POST");
    requirePromptAuth(req, ctx);
    work = req.method === "POST" ? () => create(req, ctx) : async () => list(query, ctx);
  } else if (rawVersion === undefined) {
    if (req.method !== "GET" && req.method !== "DELETE") throw methodNotAllowed("GET, DELETE");
    requirePromptAuth(req, ctx);
    work = req.method === "GET" ? async () => getOne(name, query, ctx) : async () => deleteVersions(name, query, ctx);
  } else {
    if (req.method !== "PATCH") throw methodNotAllowed("PATCH");
    if (!ctx.auth.accepts(req.headers.authorization)) throw unauthorized(req);
    const version = decodePathSegment(rawVersion, "InvalidRequestError");
    work = () => addLabels(req, name, version, ctx);
  }
  await answerUnderFaults(ctx, "prompts", req, res, work);
  return true;
}
