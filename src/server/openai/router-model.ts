import { apiError } from "../../chat/chat-errors.js";

/** The one model Switchboard offers: the router, which picks an agent per turn. */
export const ROUTER_MODEL_ID = "switchboard-router";

/** The router as an entry of GET /v1/models. */
export function routerModelEntry() {
  // A fixed creation time: the router "model" is as old as this API, and clients cache lists.
  return { id: ROUTER_MODEL_ID, object: "model" as const, created: 1_767_225_600, owned_by: "switchboard" };
}

/** A request may leave the model out (chat UIs do); one it names must be the router. */
export function checkModel(model: string | undefined): void {
  if (model !== undefined && model !== ROUTER_MODEL_ID) {
    throw apiError("model_not_found", model, ROUTER_MODEL_ID);
  }
}

/** Seconds since the epoch, as OpenAI's `created` / `created_at` fields are. */
export function unixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
