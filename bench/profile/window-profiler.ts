// Loaded into a service by `node --import` (bench/profile/tracing-share.ts does). SIGUSR2 steps
// it through two windows of the harness's choosing, one profiler at a time so neither's overhead
// lands in the other's figures: the first starts V8's CPU profiler; the second stops it, writes
// cpu.cpuprofile to WINDOW_PROFILE_DIR and starts the sampling heap profiler (collected objects
// kept: every allocation of the window counts, not only what survived it); the third stops that,
// writes heap.heapprofile, then `done`. No start-up or warm-up in the profiles, and nothing of
// this in the service's own code.
import { Session } from "node:inspector/promises";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.env["WINDOW_PROFILE_DIR"];
/** Microseconds between CPU samples: a 20 s window gives tens of thousands. */
const CPU_SAMPLING_US = 500;
/** Mean bytes between allocation samples (V8's default is 32 KiB). */
const HEAP_SAMPLING_BYTES = 16 * 1024;

if (dir) {
  const session = new Session();
  session.connect();
  const steps = [startCpu, stopCpuStartHeap, stopHeap];
  let next = 0;
  let busy = false;
  process.on("SIGUSR2", () => {
    const step = steps[next];
    if (busy || !step) return;
    busy = true;
    step().then(
      () => {
        next++;
        busy = false;
      },
      (err: unknown) => {
        writeFileSync(join(dir, "error"), String(err), { mode: 0o600 });
        busy = false;
      },
    );
  });

  async function startCpu(): Promise<void> {
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: CPU_SAMPLING_US });
    await session.post("Profiler.start");
  }

  async function stopCpuStartHeap(): Promise<void> {
    const { profile } = await session.post("Profiler.stop");
    writeFileSync(join(dir!, "cpu.cpuprofile"), JSON.stringify(profile), { mode: 0o600 });
    await session.post("HeapProfiler.enable");
    await session.post("HeapProfiler.startSampling", {
      samplingInterval: HEAP_SAMPLING_BYTES,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  }

  async function stopHeap(): Promise<void> {
    const { profile } = await session.post("HeapProfiler.stopSampling");
    writeFileSync(join(dir!, "heap.heapprofile"), JSON.stringify(profile), { mode: 0o600 });
    writeFileSync(join(dir!, "done"), "", { mode: 0o600 });
  }
}
