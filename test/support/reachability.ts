// Whether objects a test let go of are really gone: V8's collector, exposed at run time (tests run
// without --expose-gc), run until every WeakRef is cleared or a few rounds have passed.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** How many of `refs` still reach their object after up to `rounds` collections. */
export async function stillReachable(refs: readonly WeakRef<object>[], rounds = 10): Promise<number> {
  const alive = () => refs.filter((r) => r.deref() !== undefined).length;
  // A turn of the event loop between collections lets finished promises and timers let go.
  for (let i = 0; i < rounds && alive() > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    gc();
  }
  return alive();
}
