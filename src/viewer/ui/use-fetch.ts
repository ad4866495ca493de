// Loads data for a page, again whenever `key` changes, and optionally every `refreshMs`
// (paused while the tab is hidden). Keeps showing the last data while a refresh runs.
import { useEffect, useState } from "preact/hooks";

export interface Fetched<T> {
  data: T | null;
  error: Error | null;
  /** When the data last arrived. */
  updatedAt: Date | null;
}

export function useFetch<T>(load: () => Promise<T>, key: string, refreshMs?: number): Fetched<T> {
  const [state, setState] = useState<Fetched<T>>({ data: null, error: null, updatedAt: null });
  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      if (!document.hidden || state.data === null) {
        try {
          const data = await load();
          if (!cancelled) setState({ data, error: null, updatedAt: new Date() });
        } catch (error) {
          if (!cancelled) setState((s) => ({ ...s, error: error as Error }));
        }
      }
      if (!cancelled && refreshMs) timer = setTimeout(run, refreshMs);
    };
    setState((s) => ({ ...s, error: null }));
    void run();
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
    // `load` is a new closure every render; `key` says when what it loads changed.
  }, [key, refreshMs]);
  return state;
}
