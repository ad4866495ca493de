// LangChain keeps the config of the runnable being run in an AsyncLocalStorage, so that nested
// calls inherit it: `AsyncLocalStorageProviderSingleton.runWithConfig(config, fn)` runs `fn`
// with a LangSmith `RunTree` as the store, the config under `extra[Symbol.for("lc:child_config")]`.
// When no LangSmith tracer is in the callbacks, @langchain/core 1.x builds that RunTree anyway
// (`tracingEnabled: false`), on every call that does not pass its third argument: LangGraph does
// so for every node, channel write and routing step, 15 times per turn of our graph. Each RunTree
// reads 8 environment variables, formats two timestamps and draws a UUIDv7 through
// crypto.getRandomValues: a fifth to a quarter of an untraced turn's CPU as bench/profile measured
// it, for an object nobody reads but for its config and `tracingEnabled: false`. No option turns
// it off. The callback configuration built on each call to look for a LangSmith tracer read 2 to
// 6 more environment variables; it is skipped where no tracer can be found.
//
// `useUntracedRunContexts()` replaces `runWithConfig` on LangChain's singleton with the same
// function, except that where the library would build that RunTree it stores a light context
// instead: an object of the RunTree class (the library's own `isRunTree` and `instanceof RunTree`
// hold, so `setContextVariable` still copies it, and `createChild` works on it) that carries what
// is read back: the config, `tracingEnabled: false`, the context variables. When a LangSmith
// tracer is in the callbacks, its own run tree is used exactly as before. Before replacing
// anything it runs the library's function once and checks that the store still has that shape;
// on any other version it leaves LangChain as it is.
import { AsyncLocalStorageProviderSingleton, _CONTEXT_VARIABLES_KEY } from "@langchain/core/singletons";
import { CallbackManager, type Callbacks } from "@langchain/core/callbacks/manager";

type Provider = typeof AsyncLocalStorageProviderSingleton;
type RunWithConfig = Provider["runWithConfig"];
type RunConfig = { callbacks?: Callbacks; tags?: string[]; metadata?: Record<string, unknown> } | undefined;
type Store = Record<PropertyKey, unknown> & { extra?: Record<PropertyKey, unknown>; tracingEnabled?: boolean };

/** Where LangChain keeps a runnable's config on the store (@langchain/core's LC_CHILD_KEY). */
const LC_CHILD_KEY = Symbol.for("lc:child_config");
/** Marks a provider whose runWithConfig is already ours. */
const INSTALLED = Symbol.for("switchboard:untraced-run-contexts");

interface UntracedRun {
  name: string;
  tracingEnabled: false;
  execution_order: number;
  child_execution_order: number;
  child_runs: unknown[];
  extra: Record<PropertyKey, unknown>;
}

/**
 * The RunTree the library builds in `runWithConfig`, read from one real call; null when its shape
 * is not the one this workaround relies on (a different @langchain/core or langsmith).
 */
function probeRunTree(provider: Provider, original: RunWithConfig): object | null {
  const config = { tags: [] };
  let store: Store | undefined;
  try {
    store = original.call(provider, config, () => provider.getInstance().getStore(), false) as Store | undefined;
  } catch {
    return null;
  }
  const isRunTree =
    store !== undefined &&
    typeof store["createChild"] === "function" &&
    typeof store["postRun"] === "function" &&
    store.tracingEnabled === false &&
    store.extra?.[LC_CHILD_KEY] === config;
  return isRunTree ? (Object.getPrototypeOf(store) as object) : null;
}

/**
 * Stops LangChain from building a LangSmith RunTree for every runnable call when no LangSmith
 * tracer is involved (see the top of this file). Once per process; returns whether it is on.
 */
export function useUntracedRunContexts(provider: Provider = AsyncLocalStorageProviderSingleton): boolean {
  const marked = provider as Provider & { [INSTALLED]?: boolean };
  if (marked[INSTALLED] !== undefined) return marked[INSTALLED];
  const original = provider.runWithConfig;
  const runTreePrototype = probeRunTree(provider, original);
  marked[INSTALLED] = runTreePrototype !== null;
  if (!runTreePrototype) return false;

  // A light context: same class as the RunTree it stands for, without its ids, timestamps and
  // environment lookups. The fields RunTree's own methods need (createChild) are set.
  const Untraced = function (this: UntracedRun, config: unknown) {
    this.name = "<runnable_lambda>";
    this.tracingEnabled = false;
    this.execution_order = 1;
    this.child_execution_order = 1;
    this.child_runs = [];
    this.extra = { [LC_CHILD_KEY]: config };
  } as unknown as new (config: unknown) => UntracedRun & Store;
  Untraced.prototype = Object.create(runTreePrototype) as object;

  /** The LangSmith tracer of `config`'s callbacks and the run it continues, as @langchain/core finds them. */
  const tracerRun = (config: RunConfig) => {
    const callbackManager = CallbackManager._configureSync(
      config?.callbacks,
      undefined,
      config?.tags,
      undefined,
      config?.metadata,
    );
    const parentRunId = callbackManager?.getParentRunId();
    const tracer = callbackManager?.handlers?.find((handler) => handler?.name === "langchain_tracer") as
      { getRunTreeWithTracingConfig(id: string): Store | undefined } | undefined;
    return tracer && parentRunId ? { tracer, parentRunId } : null;
  };

  // @langchain/core's runWithConfig, with `new RunTree({ name: "<runnable_lambda>", tracingEnabled:
  // false })` replaced by the light context.
  const runWithConfig = function <T>(
    this: Provider,
    config: RunConfig,
    callback: () => T,
    avoidCreatingRootRunTree?: boolean,
  ): T {
    const storage = this.getInstance();
    const previousValue = storage.getStore() as Store | undefined;
    // A tracer's run needs a parent run id: from the callbacks' manager, or (when LangSmith
    // tracing is on) the id of the run tree in the store. Without callbacks and with no id in
    // the store (none, a light context, context variables only) there is none, so the callback
    // configuration, which reads 2 to 6 environment variables, is not built just to find that.
    const traced = config?.callbacks === undefined && previousValue?.["id"] === undefined ? null : tracerRun(config);
    let runTree: Store | undefined;
    if (traced) {
      runTree = traced.tracer.getRunTreeWithTracingConfig(traced.parentRunId);
      if (runTree) runTree.extra = { ...runTree.extra, [LC_CHILD_KEY]: config };
    } else if (!avoidCreatingRootRunTree) {
      runTree = new Untraced(config);
    }
    if (previousValue !== undefined && previousValue[_CONTEXT_VARIABLES_KEY] !== undefined) {
      runTree ??= {};
      runTree[_CONTEXT_VARIABLES_KEY] = previousValue[_CONTEXT_VARIABLES_KEY];
    }
    return storage.run(runTree, callback);
  };
  provider.runWithConfig = runWithConfig as RunWithConfig;
  return true;
}
