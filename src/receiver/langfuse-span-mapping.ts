// How Langfuse v4 reads one OTLP span into one observation row. Each row carries its own
// trace context (user, session, trace name, tags, release, version, environment, trace
// metadata), read from that span's attributes only, as Langfuse's direct-write ("events") path
// does: OtelIngestionProcessor.processToEvent and IngestionService.createEventRecord in
// langfuse/langfuse. Types follow ObservationTypeMapperRegistry; vendor-specific fallbacks
// (Vercel AI, Logfire, LiveKit, ...) are left out. Usage, cost and the model id are computed
// as Langfuse computes them when it writes the row (pricing/usage-cost.ts).
import {
  LF,
  OBSERVATION_LEVELS,
  OBSERVATION_TYPES,
  type ObservationLevel,
  type ObservationType,
} from "./langfuse-attributes.js";
import type { OtlpAttributes, OtlpSpan, OtlpSpanOrigin } from "./otlp-span.js";
import { priceObservation } from "./pricing/usage-cost.js";

/** One observation row as stored: JSON-valued fields are JSON text, payloads kept as sent. */
export interface ObservationRecord {
  id: string;
  traceId: string;
  parentObservationId: string | null;
  type: ObservationType;
  name: string;
  startTime: string;
  endTime: string;
  completionStartTime: string | null;
  model: string | null;
  /** JSON object text. */
  modelParameters: string | null;
  /** Usage as sent (numbers >= 0), JSON object text; null when none was sent. */
  providedUsageDetails: string | null;
  /** The usage Langfuse stores: as sent with `total` filled in, or tokenized; null when none. */
  usageDetails: string | null;
  /** Cost as sent, JSON object text; null when none was sent. */
  providedCostDetails: string | null;
  /** The cost Langfuse stores: as sent, or usage x the matched model's prices; null when none. */
  costDetails: string | null;
  /** The matched model of the price table (Langfuse's model_id), null when none matched. */
  modelId: string | null;
  usagePricingTierId: string | null;
  usagePricingTierName: string | null;
  /** Sent without usage or cost, for a model with a tokenizer: to be counted, then priced. */
  needsTokens: boolean;
  /** The input attribute as sent (usually JSON text); parsed when read. */
  input: string | null;
  output: string | null;
  /** Observation metadata, JSON object text. */
  metadata: string | null;
  level: ObservationLevel;
  statusMessage: string | null;
  version: string | null;
  environment: string;
  promptName: string | null;
  promptVersion: number | null;

  // Trace context of this row, from this span's own attributes (v4 copies nothing between rows).
  userId: string | null;
  sessionId: string | null;
  /** `langfuse.trace.name`, null when this span does not carry one. */
  traceName: string | null;
  /** JSON array text, "[]" when the span carries no tags. */
  tags: string;
  release: string | null;
  /** `langfuse.trace.metadata[.<key>]`, JSON object text. */
  traceMetadata: string | null;
  /** `langfuse.trace.public`; null when absent. */
  public: boolean | null;
  /** `langfuse.internal.is_app_root`: a logical root that keeps its physical parent. */
  isAppRoot: boolean;
  /** No parent, `langfuse.internal.as_root` or an app root: the row a trace takes its name and I/O from. */
  isRoot: boolean;
  /** Legacy `langfuse.trace.input` / `.output` (self-hosted v3 only), kept for the legacy trace endpoints. */
  traceInput: string | null;
  traceOutput: string | null;

  /** Every span attribute, as JSON text, for debugging. */
  attributes: string;
  resourceAttributes: string;
  scopeName: string;
  scopeVersion: string;
  spanName: string;
  spanKind: number;
}

const TYPE_BY_LANGFUSE_NAME: Record<string, ObservationType> = Object.fromEntries(
  OBSERVATION_TYPES.map((t) => [t.toLowerCase(), t]),
);
const TYPE_BY_OPENINFERENCE_KIND: Record<string, ObservationType> = {
  CHAIN: "CHAIN",
  RETRIEVER: "RETRIEVER",
  LLM: "GENERATION",
  EMBEDDING: "EMBEDDING",
  AGENT: "AGENT",
  TOOL: "TOOL",
  GUARDRAIL: "GUARDRAIL",
  EVALUATOR: "EVALUATOR",
};
const TYPE_BY_GEN_AI_OPERATION: Record<string, ObservationType> = {
  chat: "GENERATION",
  completion: "GENERATION",
  text_completion: "GENERATION",
  generate_content: "GENERATION",
  generate: "GENERATION",
  embeddings: "EMBEDDING",
  invoke_agent: "AGENT",
  create_agent: "AGENT",
  execute_tool: "TOOL",
};
const MODEL_TYPE_KEYS = [
  LF.OBSERVATION_MODEL,
  "gen_ai.request.model",
  "gen_ai.response.model",
  "llm.model_name",
  "model",
];
const MODEL_NAME_KEYS = [
  LF.OBSERVATION_MODEL,
  "gen_ai.response.model",
  "gen_ai.request.model",
  "llm.response.model",
  "llm.model_name",
  "model",
];
const USAGE_KEY_ALIASES: Record<string, string> = {
  prompt_tokens: "input",
  completion_tokens: "output",
  total_tokens: "total",
  input_tokens: "input",
  output_tokens: "output",
  prompt: "input",
  completion: "output",
};
// OtelIngestionProcessor.extractUserId / extractSessionId / extractTags, in their order.
const USER_ID_KEYS = [
  LF.TRACE_COMPAT_USER_ID,
  LF.TRACE_USER_ID,
  `${LF.OBSERVATION_METADATA}.langfuse_user_id`,
  `${LF.TRACE_METADATA}.langfuse_user_id`,
  "ai.telemetry.metadata.userId",
];
const SESSION_ID_KEYS = [
  LF.TRACE_COMPAT_SESSION_ID,
  LF.TRACE_SESSION_ID,
  "gen_ai.conversation.id",
  `${LF.OBSERVATION_METADATA}.langfuse_session_id`,
  `${LF.TRACE_METADATA}.langfuse_session_id`,
  "ai.telemetry.metadata.sessionId",
];
const TAGS_KEYS = [
  LF.TRACE_TAGS,
  "langfuse.tags",
  `${LF.OBSERVATION_METADATA}.langfuse_tags`,
  `${LF.TRACE_METADATA}.langfuse_tags`,
  "ai.telemetry.metadata.tags",
  "tag.tags",
];
const LEVELS = new Set<string>(OBSERVATION_LEVELS);
const STATUS_CODE_ERROR = 2;

function hasValue(value: unknown): boolean {
  if (value === null || value === undefined || value === "") return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === "object") return Object.keys(value).length > 0;
  return true;
}

function asText(value: unknown): string | null {
  if (!hasValue(value)) return null;
  return typeof value === "string" ? value : JSON.stringify(value);
}

function firstText(attributes: OtlpAttributes, keys: readonly string[]): string | null {
  for (const key of keys) {
    const text = asText(attributes[key]);
    if (text !== null) return text;
  }
  return null;
}

/** Metadata values arrive flattened and stringified; objects and arrays are restored. */
function restoreMetadataValue(value: unknown): unknown {
  if (typeof value !== "string") return value;
  const first = value.charCodeAt(0);
  if (first !== 123 /* { */ && first !== 91 /* [ */) return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** Langfuse's extractMetadata: a whole-object attribute plus `<prefix>.<key>` attributes. */
function extractMetadata(attributes: OtlpAttributes, prefix: string): Record<string, unknown> {
  const metadata: Record<string, unknown> = {};
  const whole = attributes[prefix] ?? attributes["langfuse.metadata"];
  if (typeof whole === "string") {
    try {
      const parsed: unknown = JSON.parse(whole);
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) Object.assign(metadata, parsed);
    } catch {
      // not JSON: only the per-key attributes count
    }
  } else if (whole && typeof whole === "object" && !Array.isArray(whole)) {
    Object.assign(metadata, whole);
  }
  const dotted = `${prefix}.`;
  for (const key in attributes) {
    if (key.startsWith(dotted)) metadata[key.slice(dotted.length)] = restoreMetadataValue(attributes[key]);
    else if (key.startsWith("langfuse.metadata.")) {
      metadata[key.slice("langfuse.metadata.".length)] = restoreMetadataValue(attributes[key]);
    }
  }
  return metadata;
}

function mapObservationType(attributes: OtlpAttributes): ObservationType {
  const langfuseType = attributes[LF.OBSERVATION_TYPE];
  if (typeof langfuseType === "string") {
    const mapped = TYPE_BY_LANGFUSE_NAME[langfuseType.toLowerCase()];
    if (mapped) return mapped;
  }
  const openInference = attributes["openinference.span.kind"];
  if (typeof openInference === "string" && TYPE_BY_OPENINFERENCE_KIND[openInference]) {
    return TYPE_BY_OPENINFERENCE_KIND[openInference];
  }
  const operation = attributes["gen_ai.operation.name"];
  if (typeof operation === "string" && TYPE_BY_GEN_AI_OPERATION[operation]) {
    return TYPE_BY_GEN_AI_OPERATION[operation];
  }
  if (hasValue(attributes["gen_ai.tool.name"]) || hasValue(attributes["gen_ai.tool.call.id"])) return "TOOL";
  if (MODEL_TYPE_KEYS.some((key) => hasValue(attributes[key]))) return "GENERATION";
  return "SPAN";
}

function numericObjectText(value: unknown): string | null {
  if (typeof value !== "string" || value === "") return null;
  try {
    const parsed: unknown = JSON.parse(value);
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return null;
    const numbers: Record<string, number> = {};
    for (const [key, v] of Object.entries(parsed)) {
      const n = typeof v === "number" ? v : Number(v);
      if (v !== null && Number.isFinite(n)) numbers[key] = n;
    }
    return JSON.stringify(numbers);
  } catch {
    return null;
  }
}

function extractUsageDetails(attributes: OtlpAttributes): Record<string, unknown> {
  const langfuseUsage = numericObjectText(attributes[LF.OBSERVATION_USAGE_DETAILS]);
  if (langfuseUsage !== null) return JSON.parse(langfuseUsage) as Record<string, number>;
  const usage: Record<string, number> = {};
  for (const key in attributes) {
    let name: string;
    if (key.startsWith("gen_ai.usage.") && key !== "gen_ai.usage.cost") name = key.slice("gen_ai.usage.".length);
    else if (key.startsWith("llm.token_count.")) name = key.slice("llm.token_count.".length);
    else continue;
    const n = Number(attributes[key]);
    if (!Number.isNaN(n)) usage[USAGE_KEY_ALIASES[name] ?? name] = n;
  }
  return usage;
}

function extractCostDetails(attributes: OtlpAttributes): Record<string, unknown> {
  const langfuseCost = numericObjectText(attributes[LF.OBSERVATION_COST_DETAILS]);
  if (langfuseCost !== null) return JSON.parse(langfuseCost) as Record<string, number>;
  const genAiCost = Number(attributes["gen_ai.usage.cost"]);
  return Number.isFinite(genAiCost) && attributes["gen_ai.usage.cost"] !== undefined ? { total: genAiCost } : {};
}

function extractModelParameters(attributes: OtlpAttributes): string | null {
  const langfuseParams = attributes[LF.OBSERVATION_MODEL_PARAMETERS];
  if (typeof langfuseParams === "string" && langfuseParams !== "") return langfuseParams;
  let params: Record<string, unknown> | null = null;
  for (const key in attributes) {
    if (key.startsWith("gen_ai.request.") && key !== "gen_ai.request.model") {
      (params ??= {})[key.slice("gen_ai.request.".length)] = attributes[key];
    }
  }
  return params ? JSON.stringify(params) : null;
}

function toIsoDate(value: unknown): string | null {
  if (typeof value !== "string" || value === "") return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** The SDK JSON.stringifies a Date, so the attribute is often a quoted ISO string. */
function extractCompletionStartTime(attributes: OtlpAttributes): string | null {
  const value = attributes[LF.OBSERVATION_COMPLETION_START_TIME];
  if (typeof value !== "string") return null;
  if (value.startsWith('"')) {
    try {
      return toIsoDate(JSON.parse(value));
    } catch {
      return null;
    }
  }
  return toIsoDate(value);
}

function extractLevel(attributes: OtlpAttributes, statusCode: number): ObservationLevel {
  const level = attributes[LF.OBSERVATION_LEVEL];
  if (typeof level === "string" && LEVELS.has(level.toUpperCase())) return level.toUpperCase() as ObservationLevel;
  return statusCode === STATUS_CODE_ERROR ? "ERROR" : "DEFAULT";
}

function extractEnvironment(attributes: OtlpAttributes, resource: OtlpAttributes): string | null {
  for (const key of [LF.ENVIRONMENT, "deployment.environment.name", "deployment.environment"]) {
    const fromSpan = asText(attributes[key]);
    if (fromSpan !== null) return fromSpan;
    const fromResource = asText(resource[key]);
    if (fromResource !== null) return fromResource;
  }
  return null;
}

function extractTags(attributes: OtlpAttributes): string[] {
  // The first truthy one, as Langfuse reads them.
  let value: unknown;
  for (const key of TAGS_KEYS) {
    if (attributes[key]) {
      value = attributes[key];
      break;
    }
  }
  if (value === undefined || value === null || value === "") return [];
  if (Array.isArray(value)) return value.map(String);
  if (typeof value !== "string") return [String(value)];
  if (value.trim().startsWith("[")) {
    try {
      const parsed: unknown = JSON.parse(value);
      if (Array.isArray(parsed)) return parsed.map(String);
    } catch {
      // fall through to the comma-separated reading
    }
  }
  return value.includes(",") ? value.split(",").map((t) => t.trim()) : [value];
}

function extractInputOutput(attributes: OtlpAttributes): { input: string | null; output: string | null } {
  const input = asText(attributes[LF.OBSERVATION_INPUT]);
  const output = asText(attributes[LF.OBSERVATION_OUTPUT]);
  if (input !== null || output !== null) return { input, output };
  for (const [inKey, outKey] of [
    ["gen_ai.input.messages", "gen_ai.output.messages"],
    ["input.value", "output.value"],
    ["gen_ai.tool.call.arguments", "gen_ai.tool.call.result"],
    ["input", "output"],
  ] as const) {
    const input = asText(attributes[inKey]);
    const output = asText(attributes[outKey]);
    if (input !== null || output !== null) return { input, output };
  }
  return { input: null, output: null };
}

function extractPublic(attributes: OtlpAttributes): boolean | null {
  const value = attributes[LF.TRACE_PUBLIC] ?? attributes["langfuse.public"];
  if (value === undefined || value === null) return null;
  return value === true || value === "true";
}

function isTrue(value: unknown): boolean {
  return value === true || value === "true";
}

function isEmpty(record: Record<string, unknown>): boolean {
  for (const _ in record) return false;
  return true;
}

function jsonOrNull(record: Record<string, unknown>): string | null {
  return isEmpty(record) ? null : JSON.stringify(record);
}

// Resource attributes are shared by every span of a ResourceSpans: stringify them once.
const resourceJsonCache = new WeakMap<OtlpAttributes, string>();
function resourceJson(origin: OtlpSpanOrigin): string {
  let json = resourceJsonCache.get(origin.resourceAttributes);
  if (json === undefined) {
    json = JSON.stringify(origin.resourceAttributes);
    resourceJsonCache.set(origin.resourceAttributes, json);
  }
  return json;
}

/** Key in the stored raw attributes listing the attributes left out of them (see below). */
export const OMITTED_ATTRIBUTES_KEY = "_receiver.omitted";
const PAYLOAD_KEYS = [LF.OBSERVATION_INPUT, LF.OBSERVATION_OUTPUT];

// Observation input and output are usually most of a span's bytes and are stored verbatim in
// their own columns; the raw copy leaves them out (GET /_receiver/spans puts them back) so the
// receiver does not write every payload twice.
function rawAttributesJson(attributes: OtlpAttributes): string {
  const omitted = PAYLOAD_KEYS.filter((key) => typeof attributes[key] === "string" && attributes[key] !== "");
  if (omitted.length === 0) return JSON.stringify(attributes);
  const rest: OtlpAttributes = { ...attributes, [OMITTED_ATTRIBUTES_KEY]: omitted };
  for (const key of omitted) delete rest[key];
  return JSON.stringify(rest);
}

/** The Vercel AI SDK's prompt link: `ai.telemetry.metadata.langfusePrompt` = JSON `{name, version}`. */
function aiSdkPrompt(attributes: OtlpAttributes): Record<string, unknown> | undefined {
  const text = attributes["ai.telemetry.metadata.langfusePrompt"];
  if (typeof text !== "string" || text === "") return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** IngestionService's parseUInt16: the events table keeps a prompt version from 0 to 65535, else none. */
function promptVersionOf(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  const n = parseInt(String(value), 10);
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : null;
}

/**
 * The prompt a generation used (OtelIngestionProcessor): `langfuse.observation.prompt.*`, else the
 * older `langfuse.prompt.*`, else the AI SDK's metadata. Only a GENERATION links a prompt.
 */
function promptLink(
  attributes: OtlpAttributes,
  type: ObservationType,
): { name: string | null; version: number | null } {
  if (type !== "GENERATION") return { name: null, version: null };
  const fromAiSdk = aiSdkPrompt(attributes);
  const name = attributes[LF.OBSERVATION_PROMPT_NAME] ?? attributes[LF.PROMPT_NAME] ?? fromAiSdk?.["name"];
  const version = attributes[LF.OBSERVATION_PROMPT_VERSION] ?? attributes[LF.PROMPT_VERSION] ?? fromAiSdk?.["version"];
  return { name: asText(name), version: promptVersionOf(version) };
}

export function mapSpan(span: OtlpSpan): ObservationRecord {
  const attributes = span.attributes;
  const resource = span.origin.resourceAttributes;
  const name = asText(attributes["gen_ai.tool.name"]) ?? span.name;
  const { input, output } = extractInputOutput(attributes);
  const observationMetadata = extractMetadata(attributes, LF.OBSERVATION_METADATA);
  const traceMetadata = extractMetadata(attributes, LF.TRACE_METADATA);
  const type = mapObservationType(attributes);
  const prompt = promptLink(attributes, type);
  const isAppRoot = isTrue(attributes[LF.IS_APP_ROOT]);
  const model = firstText(attributes, MODEL_NAME_KEYS);
  const modelParameters = extractModelParameters(attributes);
  const priced = priceObservation({
    model,
    providedUsage: extractUsageDetails(attributes),
    providedCost: extractCostDetails(attributes),
    modelParameters,
    metadata: observationMetadata,
    input,
    output,
  });

  return {
    id: span.spanId,
    traceId: span.traceId,
    parentObservationId: span.parentSpanId,
    type,
    name,
    startTime: span.startTime,
    endTime: span.endTime,
    completionStartTime: extractCompletionStartTime(attributes),
    model,
    modelParameters,
    providedUsageDetails: jsonOrNull(priced.providedUsageDetails),
    usageDetails: jsonOrNull(priced.usageDetails),
    providedCostDetails: jsonOrNull(priced.providedCostDetails),
    costDetails: jsonOrNull(priced.costDetails),
    modelId: priced.modelId,
    usagePricingTierId: priced.usagePricingTierId,
    usagePricingTierName: priced.usagePricingTierName,
    needsTokens: priced.needsTokens,
    input,
    output,
    metadata: isEmpty(observationMetadata) ? null : JSON.stringify(observationMetadata),
    level: extractLevel(attributes, span.statusCode),
    statusMessage: asText(attributes[LF.OBSERVATION_STATUS_MESSAGE]) ?? span.statusMessage,
    version: asText(attributes[LF.VERSION]) ?? asText(resource["service.version"]),
    environment: extractEnvironment(attributes, resource) ?? "default",
    promptName: prompt.name,
    promptVersion: prompt.version,

    userId: firstText(attributes, USER_ID_KEYS),
    sessionId: firstText(attributes, SESSION_ID_KEYS),
    traceName: asText(attributes[LF.TRACE_NAME]),
    tags: JSON.stringify(extractTags(attributes)),
    release: asText(attributes[LF.RELEASE]) ?? asText(resource[LF.RELEASE]),
    traceMetadata: isEmpty(traceMetadata) ? null : JSON.stringify(traceMetadata),
    public: extractPublic(attributes),
    isAppRoot,
    isRoot: span.parentSpanId === null || isTrue(attributes[LF.AS_ROOT]) || isAppRoot,
    traceInput: asText(attributes[LF.TRACE_INPUT]),
    traceOutput: asText(attributes[LF.TRACE_OUTPUT]),

    attributes: rawAttributesJson(attributes),
    resourceAttributes: resourceJson(span.origin),
    scopeName: span.origin.scopeName,
    scopeVersion: span.origin.scopeVersion,
    spanName: span.name,
    spanKind: span.kind,
  };
}
