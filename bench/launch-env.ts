// The one launch environment of every launcher of `node dist/src/main.js` (the load benchmark's,
// the scale-out and session benchmarks', the tests'), so none starts a service users never run.
// It imports nothing, so test/support/ can import it without pulling in the benchmark harness.

/**
 * What `npm start` sets before Node starts (see package.json): glibc's mmap threshold fixed at
 * 512 KiB. Left to itself, glibc raises the threshold each time a large block is freed, after which
 * blocks up to that size come from its heap and stay there, fragmented: with Langfuse slow, hung,
 * down or failing, the traced service's worst peak RSS was 22-37 MB over off's. Fixed at 512 KiB,
 * blocks that large are returned to the system when freed (docs/deployment.md, "Memory", has the
 * measurements). Benchmarks and tests start the service as users start it; a value in the
 * harness's environment wins, as it does for npm start.
 */
export const LAUNCH_ENV: Readonly<Record<string, string>> = { MALLOC_MMAP_THRESHOLD_: "524288" };

/** LAUNCH_ENV, each value as the harness's environment overrides it. */
export function launchEnv(base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return Object.fromEntries(Object.entries(LAUNCH_ENV).map(([k, v]) => [k, base[k] ?? v]));
}
