// The rounds of a paired cell: one window after the other, each one loaded, then drained, before
// the next one opens. All services of a cell share the service core(s): a window opened while the
// previous service still exports the previous window's spans would share the core with that
// export work, and the previous window would not be charged for it.
import type { RunResult } from "./result-schema.js";
import type { PlannedWindow } from "./paired-plan.js";

export interface WindowSteps<Loaded> {
  /** Loads the window's service; resolves when its load has ended. */
  load(window: PlannedWindow): Promise<Loaded>;
  /** Waits (bounded) until that service's pipeline holds nothing more, and makes the window's result. */
  drain(window: PlannedWindow, loaded: Loaded): Promise<RunResult>;
  /** The result of a window whose load or drain failed. */
  failed(window: PlannedWindow, error: unknown): RunResult;
}

export interface RoundHooks {
  aborted(): boolean;
  begin?(window: PlannedWindow, index: number): void;
  end?(run: RunResult): void;
}

/** Runs the windows in order, strictly one at a time: load, drain, then the next window. */
export async function measureRounds<Loaded>(
  windows: readonly PlannedWindow[],
  steps: WindowSteps<Loaded>,
  hooks: RoundHooks,
): Promise<RunResult[]> {
  const results: RunResult[] = [];
  for (const [i, window] of windows.entries()) {
    if (hooks.aborted()) break;
    hooks.begin?.(window, i);
    let run: RunResult;
    try {
      run = await steps.drain(window, await steps.load(window));
    } catch (err) {
      run = steps.failed(window, err);
    }
    results.push(run);
    hooks.end?.(run);
  }
  return results;
}
