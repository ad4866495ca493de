// A stored row's metadata as Langfuse v4 stores it (metadata_names / metadata_values of the
// events table): the observation metadata, the trace metadata over it, `resourceAttributes`,
// `scope` and, for spans not sent under a `langfuse-sdk` scope, `attributes`; nested objects
// flattened to dotted names, every value text, the first occurrence of a name winning.
import type { ObservationRow } from "./span-store.js";

/** Langfuse's events_core table keeps metadata values to this many characters. */
export const METADATA_VALUE_CHARS = 200;

/** The columns the metadata is made of. */
export type MetadataColumns = Pick<
  ObservationRow,
  "metadata" | "trace_metadata" | "attributes" | "resource_attributes" | "scope_name" | "scope_version"
>;

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

/** The row's metadata names and their full text values, the first occurrence of a name winning. */
export function flatMetadata(row: MetadataColumns): Map<string, string> {
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
  const metadata = new Map<string, string>();
  names.forEach((name, i) => {
    if (!metadata.has(name)) metadata.set(name, values[i]!);
  });
  return metadata;
}

function parseLoose(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The row's metadata as Langfuse v4 returns it: values parsed back from text where they are JSON.
 * @param fullValues false: values cut at METADATA_VALUE_CHARS, as Langfuse reads them from events_core
 */
export function v2Metadata(row: MetadataColumns, fullValues: boolean): Record<string, unknown> {
  const metadata: Record<string, unknown> = {};
  for (const [name, text] of flatMetadata(row)) {
    metadata[name] = parseLoose(fullValues ? text : [...text].slice(0, METADATA_VALUE_CHARS).join(""));
  }
  return metadata;
}
