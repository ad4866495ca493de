// The OTel span attribute names Langfuse reads (as written by @langfuse/core's
// LangfuseOtelSpanAttributes), kept here so the receiver does not import the SDK it is testing.
export const LF = {
  TRACE_NAME: "langfuse.trace.name",
  TRACE_USER_ID: "user.id",
  TRACE_SESSION_ID: "session.id",
  TRACE_COMPAT_USER_ID: "langfuse.user.id",
  TRACE_COMPAT_SESSION_ID: "langfuse.session.id",
  TRACE_TAGS: "langfuse.trace.tags",
  TRACE_PUBLIC: "langfuse.trace.public",
  TRACE_METADATA: "langfuse.trace.metadata",
  TRACE_INPUT: "langfuse.trace.input",
  TRACE_OUTPUT: "langfuse.trace.output",
  OBSERVATION_TYPE: "langfuse.observation.type",
  OBSERVATION_METADATA: "langfuse.observation.metadata",
  OBSERVATION_LEVEL: "langfuse.observation.level",
  OBSERVATION_STATUS_MESSAGE: "langfuse.observation.status_message",
  OBSERVATION_INPUT: "langfuse.observation.input",
  OBSERVATION_OUTPUT: "langfuse.observation.output",
  OBSERVATION_COMPLETION_START_TIME: "langfuse.observation.completion_start_time",
  OBSERVATION_MODEL: "langfuse.observation.model.name",
  OBSERVATION_MODEL_PARAMETERS: "langfuse.observation.model.parameters",
  OBSERVATION_USAGE_DETAILS: "langfuse.observation.usage_details",
  OBSERVATION_COST_DETAILS: "langfuse.observation.cost_details",
  OBSERVATION_PROMPT_NAME: "langfuse.observation.prompt.name",
  OBSERVATION_PROMPT_VERSION: "langfuse.observation.prompt.version",
  /** Older SDKs' prompt link, still read as a fallback. */
  PROMPT_NAME: "langfuse.prompt.name",
  PROMPT_VERSION: "langfuse.prompt.version",
  ENVIRONMENT: "langfuse.environment",
  RELEASE: "langfuse.release",
  VERSION: "langfuse.version",
  AS_ROOT: "langfuse.internal.as_root",
  IS_APP_ROOT: "langfuse.internal.is_app_root",
} as const;

/** Observation types Langfuse knows (ObservationTypeDomain), as the public API spells them. */
export const OBSERVATION_TYPES = [
  "SPAN",
  "GENERATION",
  "EVENT",
  "EMBEDDING",
  "AGENT",
  "TOOL",
  "CHAIN",
  "RETRIEVER",
  "GUARDRAIL",
  "EVALUATOR",
] as const;
export type ObservationType = (typeof OBSERVATION_TYPES)[number];

export const OBSERVATION_LEVELS = ["DEBUG", "DEFAULT", "WARNING", "ERROR"] as const;
export type ObservationLevel = (typeof OBSERVATION_LEVELS)[number];
