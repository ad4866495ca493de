// One stored row in the JSON shape of Langfuse v4's `GET /api/public/v2/observations`, with
// only the requested field groups. Shapes follow the fern spec (fern/apis/server/definition/
// observations.yml, ObservationV2 in commons.yml) and what the server really returns
// (convertEventsObservation in packages/shared/src/server/repositories/observations_converters.ts,
// enrichObservationsWithModelData in repositories/events.ts, the field-group contract test in
// web/src/__tests__/server/observations-api-v2.servertest.ts): the provided model name is
// `model`, input/output are raw strings, metadata is flat (dotted keys), prices are null.
import type { ObservationRow } from "./span-store.js";

/** Field groups Langfuse defines (OBSERVATION_FIELD_GROUPS_PUBLIC_API); `core` is always included. */
export const OBSERVATION_FIELD_GROUPS = [
  "core",
  "basic",
  "time",
  "io",
  "metadata",
  "model",
  "usage",
  "prompt",
  "metrics",
  "trace_context",
] as const;
export type ObservationFieldGroup = (typeof OBSERVATION_FIELD_GROUPS)[number];
/** What Langfuse returns when `fields` is absent. */
export const DEFAULT_FIELD_GROUPS: readonly ObservationFieldGroup[] = ["core", "basic"];

/** The receiver has one project; Langfuse's ids are cuids. */
export const LOCAL_PROJECT_ID = "local";
/** Langfuse's events_core table keeps metadata values to this many characters. */
export const METADATA_VALUE_CHARS = 200;

export type ObservationLevelV2 = "DEBUG" | "DEFAULT" | "WARNING" | "ERROR";

/** Always present, whatever `fields` asks for. */
export interface ObservationV2Core {
  id: string;
  traceId: string | null;
  /** ISO 8601 with milliseconds. */
  startTime: string;
  endTime: string | null;
  projectId: string;
  /** The physical parent; an app root may keep one. */
  parentObservationId: string | null;
  type: string;
  /** Seconds; Langfuse computes it on every row. */
  latency: number | null;
  /** Seconds; null unless the `time` or `metrics` group is requested (as in Langfuse). */
  timeToFirstToken: number | null;
  /** Model enrichment; always null here (no model price table). */
  modelId: string | null;
  inputPrice: string | null;
  outputPrice: string | null;
  totalPrice: string | null;
}

export interface ObservationV2Basic {
  isRootObservation: boolean;
  name: string | null;
  level: ObservationLevelV2;
  statusMessage: string | null;
  version: string | null;
  environment: string | null;
  bookmarked: boolean;
  public: boolean;
  userId: string | null;
  sessionId: string | null;
}

export interface ObservationV2Time {
  completionStartTime: string | null;
  /** When the receiver stored the row. */
  createdAt: string;
  updatedAt: string;
}

export interface ObservationV2Io {
  /** As sent (the SDK sends JSON text): v2 never parses it. */
  input: string | null;
  output: string | null;
}

export interface ObservationV2Metadata {
  /**
   * Flat: nested objects become dotted keys (`resourceAttributes.service.name`), values are
   * parsed back from text where they are JSON. Holds the observation metadata, the trace
   * metadata over it, `resourceAttributes`, `scope` and, for spans not sent under a
   * `langfuse-sdk` scope, `attributes`.
   */
  metadata: Record<string, unknown>;
}

export interface ObservationV2Model {
  /** The provided model name (the spec calls it providedModelName; the server sends `model`). */
  model: string | null;
  internalModelId: string | null;
  modelParameters: unknown;
}

export interface ObservationV2Usage {
  usageDetails: Record<string, number>;
  costDetails: Record<string, number>;
  totalCost: number;
  usagePricingTierId: string | null;
  usagePricingTierName: string | null;
  /** Sums of the usage keys containing "input" / "output"; `total` as given. */
  inputUsage: number;
  outputUsage: number;
  totalUsage: number;
  inputCost: number | null;
  outputCost: number | null;
}

export interface ObservationV2Prompt {
  promptId: string | null;
  promptName: string | null;
  promptVersion: number | null;
}

export interface ObservationV2TraceContext {
  /** `langfuse.trace.name` of this row, else its own name when it is a root, else null. */
  traceName: string | null;
  tags: string[];
  release: string | null;
}

/** A row as the v2 API returns it: core fields, and the groups' fields when requested. */
export type ObservationV2 = ObservationV2Core &
  Partial<
    ObservationV2Basic &
      ObservationV2Time &
      ObservationV2Io &
      ObservationV2Metadata &
      ObservationV2Model &
      ObservationV2Usage &
      ObservationV2Prompt &
      ObservationV2TraceContext
  >;

/** A row with every field group, as `fields=core,basic,time,io,metadata,model,usage,prompt,metrics,trace_context` returns it. */
export type ObservationV2AllGroups = ObservationV2Core &
  ObservationV2Basic &
  ObservationV2Time &
  ObservationV2Io &
  ObservationV2Metadata &
  ObservationV2Model &
  ObservationV2Usage &
  ObservationV2Prompt &
  ObservationV2TraceContext;

export interface ObservationsV2Response {
  data: ObservationV2[];
  /** `cursor` is absent on the last page. */
  meta: { cursor?: string };
}

// Attributes Langfuse takes input/output from, left out of the `attributes` metadata
// (OtelIngestionProcessor.extractInputAndOutput).
const IO_ATTRIBUTE_KEYS = new Set([
  "langfuse.trace.input",
  "langfuse.trace.output",
  "langfuse.observation.input",
  "langfuse.observation.output",
  "input.value",
  "output.value",
  "input",
  "output",
  "gen_ai.system_instructions",
  "gen_ai.input.messages",
  "gen_ai.output.messages",
  "gen_ai.tool.call.arguments",
  "gen_ai.tool.call.result",
  "_receiver.omitted",
]);
const IO_ATTRIBUTE_PREFIXES = [
  "gen_ai.prompt",
  "gen_ai.completion",
  "llm.input_messages",
  "llm.output_messages",
  "langfuse.trace.metadata",
  "langfuse.observation.metadata",
  "ai.telemetry.metadata",
];

function parseObject(text: string | null): Record<string, unknown> | null {
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function parseLoose(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function numbers(text: string | null): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(parseObject(text) ?? {})) if (typeof v === "number") out[k] = v;
  return out;
}

/** Langfuse's reduceUsageOrCostDetails. */
function reduce(details: Record<string, number>): { input: number | null; output: number | null; total: number } {
  let input: number | null = null;
  let output: number | null = null;
  for (const [key, value] of Object.entries(details)) {
    if (key.includes("input")) input = (input ?? 0) + value;
    if (key.includes("output")) output = (output ?? 0) + value;
  }
  return { input, output, total: Number(details["total"] ?? 0) };
}

function secondsBetween(start: string, end: string | null): number | null {
  return end === null ? null : (Date.parse(end) - Date.parse(start)) / 1000;
}

/** Langfuse's flattenJsonToPathArrays: nested objects become dotted paths, leaves text. */
function flatten(value: Record<string, unknown>, prefix: string, names: string[], values: string[]): void {
  for (const [key, v] of Object.entries(value)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (v !== null && v !== undefined && typeof v === "object" && !Array.isArray(v))
      flatten(v as Record<string, unknown>, path, names, values);
    else {
      names.push(path);
      values.push(v === null || v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v));
    }
  }
}

function filteredAttributes(attributesJson: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(JSON.parse(attributesJson) as Record<string, unknown>)) {
    if (IO_ATTRIBUTE_KEYS.has(key) || IO_ATTRIBUTE_PREFIXES.some((p) => key.startsWith(p))) continue;
    out[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return out;
}

/**
 * The row's metadata as Langfuse v4 stores and returns it.
 * @param fullValues false: values cut at METADATA_VALUE_CHARS, as Langfuse reads them from events_core
 */
export function v2Metadata(row: ObservationRow, fullValues: boolean): Record<string, unknown> {
  const source: Record<string, unknown> = {};
  if (!row.scope_name.startsWith("langfuse-sdk")) source["attributes"] = filteredAttributes(row.attributes);
  source["resourceAttributes"] = JSON.parse(row.resource_attributes) as unknown;
  source["scope"] = {
    name: row.scope_name,
    ...(row.scope_version ? { version: row.scope_version } : {}),
    attributes: {},
  };
  Object.assign(source, parseObject(row.metadata) ?? {}, parseObject(row.trace_metadata) ?? {});
  const names: string[] = [];
  const values: string[] = [];
  flatten(source, "", names, values);
  const metadata: Record<string, unknown> = {};
  names.forEach((name, i) => {
    if (name in metadata) return; // the first occurrence wins, as in Langfuse
    const text = values[i]!;
    metadata[name] = parseLoose(fullValues ? text : [...text].slice(0, METADATA_VALUE_CHARS).join(""));
  });
  return metadata;
}

export interface V2ViewOptions {
  groups: ReadonlySet<ObservationFieldGroup>;
  /** Untruncated metadata values: Langfuse reads them from events_full when io or expandMetadata is requested. */
  fullMetadata: boolean;
}

export function toObservationV2(row: ObservationRow, options: V2ViewOptions): ObservationV2 {
  const { groups } = options;
  const withTtft = groups.has("time") || groups.has("metrics");
  const out: ObservationV2 = {
    id: row.id,
    traceId: row.trace_id,
    startTime: row.start_time,
    endTime: row.end_time,
    projectId: LOCAL_PROJECT_ID,
    parentObservationId: row.parent_observation_id,
    type: row.type,
    latency: secondsBetween(row.start_time, row.end_time),
    timeToFirstToken: withTtft ? secondsBetween(row.start_time, row.completion_start_time) : null,
    modelId: null,
    inputPrice: null,
    outputPrice: null,
    totalPrice: null,
  };
  const isRoot = row.parent_observation_id === null || row.is_app_root === 1;
  if (groups.has("basic")) {
    Object.assign(out, {
      isRootObservation: isRoot,
      name: row.name,
      level: row.level as ObservationLevelV2,
      statusMessage: row.status_message,
      version: row.version,
      environment: row.environment,
      bookmarked: false,
      public: row.public === 1,
      userId: row.user_id,
      sessionId: row.session_id,
    } satisfies ObservationV2Basic);
  }
  if (groups.has("time")) {
    Object.assign(out, {
      completionStartTime: row.completion_start_time,
      createdAt: row.received_at,
      updatedAt: row.received_at,
    } satisfies ObservationV2Time);
  }
  if (groups.has("io")) Object.assign(out, { input: row.input, output: row.output } satisfies ObservationV2Io);
  if (groups.has("metadata"))
    Object.assign(out, { metadata: v2Metadata(row, options.fullMetadata) } satisfies ObservationV2Metadata);
  if (groups.has("model")) {
    Object.assign(out, {
      model: row.model,
      internalModelId: null,
      modelParameters: row.model_parameters === null ? null : parseLoose(row.model_parameters),
    } satisfies ObservationV2Model);
  }
  if (groups.has("usage")) {
    const usageDetails = numbers(row.usage_details);
    const costDetails = numbers(row.cost_details);
    const usage = reduce(usageDetails);
    const cost = reduce(costDetails);
    Object.assign(out, {
      usageDetails,
      costDetails,
      totalCost: cost.total,
      usagePricingTierId: null,
      usagePricingTierName: null,
      inputUsage: usage.input ?? 0,
      outputUsage: usage.output ?? 0,
      totalUsage: usage.total,
      inputCost: cost.input,
      outputCost: cost.output,
    } satisfies ObservationV2Usage);
  }
  if (groups.has("prompt")) {
    Object.assign(out, {
      promptId: null,
      promptName: row.prompt_name,
      promptVersion: row.prompt_version,
    } satisfies ObservationV2Prompt);
  }
  if (groups.has("trace_context")) {
    Object.assign(out, {
      traceName: row.trace_name || (isRoot && row.name ? row.name : null),
      tags: JSON.parse(row.tags) as string[],
      release: row.release,
    } satisfies ObservationV2TraceContext);
  }
  return out;
}
