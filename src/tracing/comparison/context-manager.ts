import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { ROOT_CONTEXT, context, createContextKey } from "@opentelemetry/api";

const PROBE_KEY = createContextKey("switchboard.sdk.context-probe");

/** True when the OTel context API has a working (propagating) context manager. */
export function hasWorkingContextManager(): boolean {
  const probe = ROOT_CONTEXT.setValue(PROBE_KEY, true);
  return context.with(probe, () => context.active().getValue(PROBE_KEY) === true);
}

/**
 * The Langfuse SDK finds parents and propagated trace attributes (user, session, tags) through
 * the active OTel context. Without a registered context manager `context.with` is a no-op and
 * every observation is exported as its own trace with no user or session (stack-facts.md).
 *
 * We register an AsyncLocalStorage manager on the context API only, not the provider globally
 * (the provider stays isolated via setLangfuseTracerProvider). Idempotent: if one that works is
 * already registered (by us, or by an APM), it is left alone. The probe is functional rather than
 * a flag because the API offers no getter for the registered manager.
 *
 * Returns false when no working manager could be installed (the caller reports it).
 */
export function ensureContextManager(): boolean {
  if (hasWorkingContextManager()) return true;
  const manager = new AsyncLocalStorageContextManager().enable();
  if (!context.setGlobalContextManager(manager)) manager.disable();
  return hasWorkingContextManager();
}
