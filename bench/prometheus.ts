// Parsing of the Prometheus text exposition format (what the service's /metrics returns), and
// the few look-ups the benchmark needs.

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\S+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy;

function unescapeLabel(value: string): string {
  return value.replace(/\\(["\\n])/g, (_m, c: string) => (c === "n" ? "\n" : c));
}

function parseValue(text: string): number {
  switch (text) {
    case "+Inf":
      return Number.POSITIVE_INFINITY;
    case "-Inf":
      return Number.NEGATIVE_INFINITY;
    case "NaN":
      return Number.NaN;
    default:
      return Number(text);
  }
}

function parseLabels(text: string): Record<string, string> | null {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  let consumed = 0;
  let match: RegExpExecArray | null;
  while ((match = LABEL.exec(text)) !== null) {
    labels[match[1]!] = unescapeLabel(match[2]!);
    consumed = LABEL.lastIndex;
  }
  return consumed === text.trim().length || text.trim() === "" ? labels : null;
}

/** Names declared with `# TYPE name kind`, including metrics that have no sample yet. */
export function declaredMetrics(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/^#\s*TYPE\s+([a-zA-Z_:][a-zA-Z0-9_:]*)\s/gm)) names.add(m[1]!);
  return names;
}

/** Every sample of the text; comments, blank and malformed lines are skipped. */
export function parsePrometheusText(text: string): PromSample[] {
  const samples: PromSample[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels = m[3] === undefined ? {} : parseLabels(m[3]);
    if (labels === null) continue;
    const value = parseValue(m[4]!);
    if (Number.isNaN(value) && m[4] !== "NaN") continue;
    samples.push({ name: m[1]!, labels, value });
  }
  return samples;
}

/** A parsed scrape with look-ups by metric name. */
export class MetricsSnapshot {
  readonly #byName = new Map<string, PromSample[]>();

  /** Declared metric names: a declared metric without samples (a labelled counter never incremented) sums to 0. */
  readonly #declared: ReadonlySet<string>;

  constructor(
    readonly samples: readonly PromSample[],
    declared: ReadonlySet<string> = new Set(),
  ) {
    this.#declared = declared;
    for (const s of samples) {
      const list = this.#byName.get(s.name);
      if (list) list.push(s);
      else this.#byName.set(s.name, [s]);
    }
  }

  static parse(text: string): MetricsSnapshot {
    return new MetricsSnapshot(parsePrometheusText(text), declaredMetrics(text));
  }

  has(name: string): boolean {
    return this.#byName.has(name) || this.#declared.has(name);
  }

  /** Sum over every series of the metric (optionally only those matching `where`); null when absent. */
  sum(name: string, where: Record<string, string> = {}): number | null {
    const list = this.#byName.get(name);
    if (!list) return this.#declared.has(name) ? 0 : null;
    let total = 0;
    for (const s of list) {
      if (Object.entries(where).every(([k, v]) => s.labels[k] === v)) total += s.value;
    }
    return total;
  }

  /** The metric split by one label: { labelValue: sum }. Empty when absent. */
  byLabel(name: string, label: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.#byName.get(name) ?? []) {
      const key = s.labels[label] ?? "";
      out[key] = (out[key] ?? 0) + s.value;
    }
    return out;
  }
}
