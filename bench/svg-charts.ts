// Dependency-free SVG charts (plain string building) for docs/performance.md.

export interface Series {
  name: string;
  values: readonly (number | null)[];
}

const PALETTE = [
  "#4e79a7",
  "#f28e2b",
  "#e15759",
  "#76b7b2",
  "#59a14f",
  "#edc948",
  "#b07aa1",
  "#ff9da7",
  "#9c755f",
  "#bab0ac",
];
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** "Nice" axis ticks from 0 to at least `max`. */
export function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0) || !Number.isFinite(max)) return [0, 1];
  const rough = max / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const ticks: number[] = [];
  for (let v = 0; v < max + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function fmtTick(v: number): string {
  if (v === 0) return "0";
  if (Math.abs(v) >= 1000) return `${Number((v / 1000).toPrecision(3))}k`;
  return String(Number(v.toPrecision(3)));
}

interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

function frame(width: number, height: number, legendRows: number): Frame {
  return { width, height, left: 64, right: 16, top: 40 + legendRows * 18, bottom: 56 };
}

function header(f: Frame, title: string): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${f.width}" height="${f.height}" viewBox="0 0 ${f.width} ${f.height}" ${FONT} font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${f.width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="600">${escapeXml(title)}</text>`,
  ];
}

function legend(f: Frame, names: readonly string[]): string[] {
  const out: string[] = [];
  const perRow = Math.max(1, Math.floor((f.width - f.left - f.right) / 140));
  names.forEach((name, i) => {
    const x = f.left + (i % perRow) * 140;
    const y = 34 + Math.floor(i / perRow) * 18;
    out.push(`<rect x="${x}" y="${y - 9}" width="10" height="10" fill="${PALETTE[i % PALETTE.length]}"/>`);
    out.push(`<text x="${x + 14}" y="${y}">${escapeXml(name)}</text>`);
  });
  return out;
}

function yAxis(f: Frame, ticks: number[], yLabel: string): { out: string[]; y: (v: number) => number } {
  const top = ticks[ticks.length - 1]!;
  const plotH = f.height - f.top - f.bottom;
  const y = (v: number) => f.top + plotH - (Math.max(0, v) / top) * plotH;
  const out: string[] = [];
  for (const t of ticks) {
    out.push(
      `<line x1="${f.left}" x2="${f.width - f.right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" stroke="#e5e5e5"/>`,
    );
    out.push(`<text x="${f.left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end" fill="#555">${fmtTick(t)}</text>`);
  }
  const midY = f.top + plotH / 2;
  out.push(
    `<text x="14" y="${midY}" text-anchor="middle" transform="rotate(-90 14 ${midY})" fill="#333">${escapeXml(yLabel)}</text>`,
  );
  out.push(`<line x1="${f.left}" x2="${f.left}" y1="${f.top}" y2="${f.top + plotH}" stroke="#999"/>`);
  out.push(
    `<line x1="${f.left}" x2="${f.width - f.right}" y1="${f.top + plotH}" y2="${f.top + plotH}" stroke="#999"/>`,
  );
  return { out, y };
}

function legendRows(width: number, names: number): number {
  return Math.ceil(names / Math.max(1, Math.floor((width - 80) / 140)));
}

/** Bars grouped by category (e.g. scenarios), one bar per series (e.g. p50/p95/p99). */
export function groupedBarChart(options: {
  title: string;
  groups: readonly string[];
  series: readonly Series[];
  yLabel: string;
  width?: number;
  height?: number;
}): string {
  const width = options.width ?? 760;
  const f = frame(width, options.height ?? 360, legendRows(width, options.series.length));
  const all = options.series.flatMap((s) => s.values).filter((v): v is number => v !== null && Number.isFinite(v));
  const ticks = niceTicks(Math.max(0, ...all));
  const axis = yAxis(f, ticks, options.yLabel);
  const out = [
    ...header(f, options.title),
    ...legend(
      f,
      options.series.map((s) => s.name),
    ),
    ...axis.out,
  ];
  const plotW = f.width - f.left - f.right;
  const groupW = plotW / Math.max(1, options.groups.length);
  const barW = Math.max(2, (groupW * 0.8) / Math.max(1, options.series.length));
  const baseY = f.height - f.bottom;
  options.groups.forEach((group, g) => {
    const x0 = f.left + g * groupW + groupW * 0.1;
    options.series.forEach((s, i) => {
      const v = s.values[g];
      if (v === null || v === undefined || !Number.isFinite(v)) return;
      const y = axis.y(v);
      out.push(
        `<rect x="${(x0 + i * barW).toFixed(1)}" y="${y.toFixed(1)}" width="${(barW - 1).toFixed(1)}" height="${Math.max(0, baseY - y).toFixed(1)}" fill="${PALETTE[i % PALETTE.length]}"><title>${escapeXml(`${group} ${s.name}: ${fmtTick(v)}`)}</title></rect>`,
      );
    });
    const cx = f.left + g * groupW + groupW / 2;
    out.push(
      `<text x="${cx.toFixed(1)}" y="${baseY + 16}" text-anchor="middle" fill="#333">${escapeXml(group)}</text>`,
    );
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}

/** Lines over a categorical x axis (e.g. connection counts), one line per series. */
export function lineChart(options: {
  title: string;
  x: readonly (number | string)[];
  series: readonly Series[];
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
}): string {
  const width = options.width ?? 760;
  const f = frame(width, options.height ?? 360, legendRows(width, options.series.length));
  const all = options.series.flatMap((s) => s.values).filter((v): v is number => v !== null && Number.isFinite(v));
  const ticks = niceTicks(Math.max(0, ...all));
  const axis = yAxis(f, ticks, options.yLabel);
  const out = [
    ...header(f, options.title),
    ...legend(
      f,
      options.series.map((s) => s.name),
    ),
    ...axis.out,
  ];
  const plotW = f.width - f.left - f.right;
  const step = plotW / Math.max(1, options.x.length);
  const xAt = (i: number) => f.left + step * (i + 0.5);
  const baseY = f.height - f.bottom;
  options.x.forEach((x, i) =>
    out.push(
      `<text x="${xAt(i).toFixed(1)}" y="${baseY + 16}" text-anchor="middle" fill="#333">${escapeXml(String(x))}</text>`,
    ),
  );
  out.push(
    `<text x="${f.left + plotW / 2}" y="${baseY + 36}" text-anchor="middle" fill="#333">${escapeXml(options.xLabel)}</text>`,
  );
  options.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    const points = s.values.map((v, j) =>
      v === null || !Number.isFinite(v) ? null : `${xAt(j).toFixed(1)},${axis.y(v).toFixed(1)}`,
    );
    const segments: string[][] = [[]];
    for (const p of points) {
      if (p === null) segments.push([]);
      else segments[segments.length - 1]!.push(p);
    }
    for (const seg of segments)
      if (seg.length > 1)
        out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${seg.join(" ")}"/>`);
    s.values.forEach((v, j) => {
      if (v === null || !Number.isFinite(v)) return;
      out.push(
        `<circle cx="${xAt(j).toFixed(1)}" cy="${axis.y(v).toFixed(1)}" r="3.5" fill="${color}"><title>${escapeXml(`${s.name} @ ${options.x[j]}: ${fmtTick(v)}`)}</title></circle>`,
      );
    });
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}
