// The tracing package's public face: everything outside src/tracing imports from here only
// (an ESLint rule holds to it). The package imports nothing else of the project.
export { createTracing } from "./create-tracing.js";
export { TRACING_DEFAULTS, type TracingOptions } from "./tracing-options.js";
export { TRACING_METRICS } from "./metric-names.js";
// When the event loop counts as busy and turns start to be shed, for the pages that describe it.
export { BUSY_UTILIZATION, BUSY_WINDOW_MS, CALM_UTILIZATION, CALM_WINDOW_MS } from "./busy-shedding.js";
export type { TracingLogger } from "./fault-reporter.js";
export {
  NOOP_GENERATION,
  NOOP_TRACING,
  NOOP_TURN,
  type GenerationStart,
  type GenerationTrace,
  type NodeOptions,
  type NodeTrace,
  type Tracing,
  type TurnResult,
  type TurnStart,
  type TurnTrace,
} from "./turn-trace.js";
export type { ChatMessageLike, ModelReplyLike, UsageMetadataLike } from "./trace-contract.js";
export { scoreId, type ScoreInput, type ScoreValue } from "./scores/score.js";
// For the tracing-cost benchmark only: the official SDK's wrappers with nothing exported.
export { createSdkWrappersOnlyTracing } from "./comparison/load-sdk-wrappers-tracing.js";
// Masking options, for checking them where configuration is parsed.
export { MASKER_NAMES, parseMaskNames } from "./masking/create-masker.js";
export { compileMaskPatterns, PATTERN_DELIMITER as MASK_PATTERN_DELIMITER } from "./masking/custom-pattern-masker.js";
