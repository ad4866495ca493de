// One stored row in the JSON shape of Langfuse v4's `GET /api/public/v2/observations`, with
// only the requested field groups. Shapes follow the fern spec (fern/apis/server/definition/
// observations.yml, ObservationV2 in commons.yml) and what the server really returns
// (convertEventsObservation in packages/shared/src/server/repositories/observations_converters.ts,
// enrichObservationsWithModelData in repositories/events.ts, the field-group contract test in
// web/src/__tests__/server/observations-api-v2.servertest.ts): the provided model name is
// `model`, input/output are raw strings, metadata is flat (dotted keys). Langfuse's text columns
// are non-nullable ClickHouse strings, so an unset name, status message, version, user, session,
// model, model id, prompt id or name, or release comes back as "", and model parameters as {}.
// `modelId` and the prices are filled only when the `model` group is asked for, from the matched
// model's default pricing tier, as decimal strings (Prisma Decimal's toString).
import { v2Metadata } from "./langfuse-metadata.js";
import { defaultTier, modelById } from "./pricing/model-prices.js";
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
  /** The matched model's id when the `model` group is requested, else null. */
  modelId: string | null;
  /** USD per unit in the matched model's default tier, as decimal text (e.g. "1.5e-7"); null without `model`. */
  inputPrice: string | null;
  outputPrice: string | null;
  totalPrice: string | null;
}

export interface ObservationV2Basic {
  isRootObservation: boolean;
  /** "" when unset, as all of Langfuse's non-nullable text columns. */
  name: string;
  level: ObservationLevelV2;
  statusMessage: string;
  version: string;
  environment: string;
  bookmarked: boolean;
  public: boolean;
  userId: string;
  sessionId: string;
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
  /** The provided model name (the spec calls it providedModelName; the server sends `model`); "" when none. */
  model: string;
  /** The matched model's id, "" when none matched. */
  internalModelId: string;
  /** {} when none were sent. */
  modelParameters: unknown;
}

export interface ObservationV2Usage {
  usageDetails: Record<string, number>;
  costDetails: Record<string, number>;
  totalCost: number;
  /** The pricing tier that priced the usage, null when nothing was priced. */
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
  /** The linked prompt version's id (looked up by name and version when the row was stored), "" when none. */
  promptId: string;
  promptName: string;
  promptVersion: number | null;
}

export interface ObservationV2TraceContext {
  /** `langfuse.trace.name` of this row, else its own name when it is a root, else null. */
  traceName: string | null;
  tags: string[];
  release: string;
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

function parseLoose(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function parseObject(text: string | null): Record<string, unknown> | null {
  if (text === null) return null;
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
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

export interface V2ViewOptions {
  groups: ReadonlySet<ObservationFieldGroup>;
  /** Untruncated metadata values: Langfuse reads them from events_full when io or expandMetadata is requested. */
  fullMetadata: boolean;
}

/** Prisma Decimal's toString: exponent notation below 1e-7, e.g. "1.5e-7", "0.0000025". */
function priceText(price: { toString(): string } | undefined): string | null {
  return price === undefined ? null : price.toString();
}

/** modelId and the default tier's prices, when the `model` group is requested and a model matched. */
function modelEnrichment(
  row: ObservationRow,
  withModel: boolean,
): Pick<ObservationV2Core, "modelId" | "inputPrice" | "outputPrice" | "totalPrice"> {
  const model = withModel && row.model_id ? modelById(row.model_id) : null;
  if (!model) return { modelId: null, inputPrice: null, outputPrice: null, totalPrice: null };
  const prices = defaultTier(model)?.prices;
  return {
    modelId: model.id,
    inputPrice: priceText(prices?.get("input")),
    outputPrice: priceText(prices?.get("output")),
    totalPrice: priceText(prices?.get("total")),
  };
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
    parentObservationId: row.parent_observation_id || null,
    type: row.type,
    latency: secondsBetween(row.start_time, row.end_time),
    timeToFirstToken: withTtft ? secondsBetween(row.start_time, row.completion_start_time) : null,
    ...modelEnrichment(row, groups.has("model")),
  };
  const isRoot = !row.parent_observation_id || row.is_app_root === 1;
  if (groups.has("basic")) {
    Object.assign(out, {
      isRootObservation: isRoot,
      name: row.name,
      level: row.level as ObservationLevelV2,
      statusMessage: row.status_message ?? "",
      version: row.version ?? "",
      environment: row.environment,
      bookmarked: false,
      public: row.public === 1,
      userId: row.user_id ?? "",
      sessionId: row.session_id ?? "",
    } satisfies ObservationV2Basic);
  }
  if (groups.has("time")) {
    Object.assign(out, {
      completionStartTime: row.completion_start_time,
      createdAt: row.received_at,
      updatedAt: row.received_at,
    } satisfies ObservationV2Time);
  }
  // An empty input or output is null (applyInputOutputRendering).
  if (groups.has("io"))
    Object.assign(out, { input: row.input || null, output: row.output || null } satisfies ObservationV2Io);
  if (groups.has("metadata"))
    Object.assign(out, { metadata: v2Metadata(row, options.fullMetadata) } satisfies ObservationV2Metadata);
  if (groups.has("model")) {
    Object.assign(out, {
      model: row.model ?? "",
      internalModelId: row.model_id ?? "",
      modelParameters: row.model_parameters ? parseLoose(row.model_parameters) : {},
    } satisfies ObservationV2Model);
  }
  if (groups.has("usage")) {
    const usageDetails = numbers(row.usage_details);
    const costDetails = numbers(row.cost_details);
    const usage = reduce(usageDetails);
    const cost = reduce(costDetails);
    Object.assign(out, {
      usageDetails,
      inputUsage: usage.input ?? 0,
      outputUsage: usage.output ?? 0,
      totalUsage: usage.total,
      costDetails,
      inputCost: cost.input,
      outputCost: cost.output,
      totalCost: cost.total,
      usagePricingTierId: row.usage_pricing_tier_id,
      usagePricingTierName: row.usage_pricing_tier_name,
    } satisfies ObservationV2Usage);
  }
  if (groups.has("prompt")) {
    Object.assign(out, {
      promptId: row.prompt_id ?? "",
      promptName: row.prompt_name ?? "",
      promptVersion: row.prompt_version || null,
    } satisfies ObservationV2Prompt);
  }
  if (groups.has("trace_context")) {
    Object.assign(out, {
      traceName: row.trace_name || (isRoot && row.name ? row.name : null),
      tags: JSON.parse(row.tags) as string[],
      release: row.release ?? "",
    } satisfies ObservationV2TraceContext);
  }
  return out;
}
