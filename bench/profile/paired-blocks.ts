// Before/after from blocks run alternately in one window: block i of the baseline and block i of
// the current build ran back to back, so their ratio cancels most of what the machine's other
// load did to both. The median of those ratios (and its quartiles, as the spread) is the figure to
// read on a shared machine; the two builds' separate medians still move with the load.
import { percentile } from "../stats.js";

export interface PairedComparison {
  /** Block pairs compared. */
  blocks: number;
  /** Median of current / baseline over the block pairs, and its quartiles. */
  ratioMedian: number;
  ratioP25: number;
  ratioP75: number;
  /** Median of baseline - current over the block pairs (what the current build saves), us. */
  savedUsMedian: number;
  savedUsP25: number;
  savedUsP75: number;
}

/** Compares per-block means (us) of two builds whose blocks alternated; null without pairs. */
export function pairedComparison(baseline: readonly number[], current: readonly number[]): PairedComparison | null {
  const n = Math.min(baseline.length, current.length);
  if (n === 0) return null;
  const ratios: number[] = [];
  const saved: number[] = [];
  for (let i = 0; i < n; i++) {
    ratios.push(current[i]! / baseline[i]!);
    saved.push(baseline[i]! - current[i]!);
  }
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  return {
    blocks: n,
    ratioMedian: r3(percentile(ratios, 50)),
    ratioP25: r3(percentile(ratios, 25)),
    ratioP75: r3(percentile(ratios, 75)),
    savedUsMedian: Math.round(percentile(saved, 50)),
    savedUsP25: Math.round(percentile(saved, 25)),
    savedUsP75: Math.round(percentile(saved, 75)),
  };
}

/** A build's name in reports: the folder holding its dist/ (…/steps/3/dist -> "3"). */
export function buildName(distDir: string): string {
  const parts = distDir.replace(/\/+$/, "").split("/");
  return parts.at(-1) === "dist" ? (parts.at(-2) ?? distDir) : (parts.at(-1) ?? distDir);
}

/**
 * The paired comparisons of builds measured in one window, first to last: each against the
 * first ("current/baseline" when there are two) and, from the third on, against the one before.
 */
export function pairedLines(builds: readonly { name: string; blockMeans: number[] }[]) {
  const lines: ({ variant: string } & PairedComparison)[] = [];
  const [first] = builds;
  if (!first) return lines;
  builds.slice(1).forEach((b, i) => {
    const vsFirst = pairedComparison(first.blockMeans, b.blockMeans);
    if (vsFirst) lines.push({ variant: `${b.name}/${first.name}`, ...vsFirst });
    const previous = builds[i]!;
    const vsPrevious = previous !== first ? pairedComparison(previous.blockMeans, b.blockMeans) : null;
    if (vsPrevious) lines.push({ variant: `${b.name}/${previous.name}`, ...vsPrevious });
  });
  return lines;
}
