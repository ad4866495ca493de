import { AsyncLocalStorage } from "node:async_hooks";

/** Who is asking: the id of the API key the request carried (null when keys are off). */
export interface Principal {
  keyId: string | null;
}

/**
 * The principal of the request being handled, bound around each route handler by the HTTP
 * layer. ChatService reads it to scope sessions to the key, so every route that runs turns or
 * reads sessions (native, OpenAI-compatible, any added later) gets the same isolation without
 * each having to remember to pass the key along.
 */
export const principalContext = new AsyncLocalStorage<Principal>();

export function currentKeyId(): string | null {
  return principalContext.getStore()?.keyId ?? null;
}
