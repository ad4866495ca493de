// Summarizes a V8 .cpuprofile (from `node --cpu-prof`): self time by function and by package,
// and inclusive time of the functions whose name matches a filter.
//
//   node dist/bench/profile/cpu-profile-summary.js <file.cpuprofile> [--top N] [--match regex]
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { CpuProfile } from "./tracing-attribution.js";

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: "string", default: "40" }, match: { type: "string" } },
});
const file = positionals[0];
if (!file) throw new Error("usage: cpu-profile-summary <file.cpuprofile> [--top N] [--match regex]");
const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
const top = Number(args.top);

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

/** Where a script lives: the package under node_modules, our own dist folder, or node itself. */
function owner(url: string): string {
  if (!url) return "(native/vm)";
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + 13).split("/");
    return rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1]}` : (rest[0] ?? url);
  }
  if (url.startsWith("node:")) return "node:*";
  const dist = url.indexOf("/dist/");
  return dist >= 0
    ? url
        .slice(dist + 6)
        .split("/")
        .slice(0, 2)
        .join("/")
    : url;
}
function label(n: CpuProfile["nodes"][number]): string {
  const f = n.callFrame;
  const at = f.url
    ? `${f.url.slice(f.url.lastIndexOf("node_modules/") >= 0 ? f.url.lastIndexOf("node_modules/") + 13 : Math.max(0, f.url.lastIndexOf("/dist/")))}:${f.lineNumber + 1}`
    : "";
  return `${f.functionName || "(anonymous)"} ${at}`;
}
const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;

function printTop(title: string, m: Map<string, number>): void {
  console.log(`\n${title}`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${pct(v)}  ${(v / 1000).toFixed(0).padStart(7)} ms  ${k}`);
}

const selfByFn = new Map<string, number>();
const selfByPkg = new Map<string, number>();
for (const [id, us] of selfUs) {
  const n = byId.get(id);
  if (!n) continue;
  selfByFn.set(label(n), (selfByFn.get(label(n)) ?? 0) + us);
  const pkg = owner(n.callFrame.url);
  selfByPkg.set(pkg, (selfByPkg.get(pkg) ?? 0) + us);
}
console.log(`total sampled: ${(total / 1000).toFixed(0)} ms`);
printTop("self time by package", selfByPkg);
printTop("self time by function", selfByFn);

// Inclusive time: a sample counts once for every distinct function label on its stack.
const inclusive = new Map<string, number>();
for (const [id, us] of selfUs) {
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const n = byId.get(cur);
    if (!n) break;
    const l = label(n);
    if (seen.has(l)) continue;
    seen.add(l);
    inclusive.set(l, (inclusive.get(l) ?? 0) + us);
  }
}
const filter = args.match ? new RegExp(args.match) : null;
printTop(
  `inclusive time${filter ? ` (${filter.source})` : ""}`,
  new Map([...inclusive].filter(([k]) => (filter ? filter.test(k) : true))),
);
