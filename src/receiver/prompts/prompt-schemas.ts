// What Langfuse's prompts API accepts, field for field, as its zod schemas say it (zod 4 like
// Langfuse, so a refused body gets the same issues): CreatePromptSchema, GetPromptByNameSchema
// and GetPromptsMetaSchema (packages/shared/src/features/prompts/types.ts), the prompt name rules
// (features/prompts/validation.ts, features/folders/validation.ts, utils/zod.ts), the label rules
// (features/prompts/constants.ts), the chat message shapes (server/llm/types.ts
// PromptChatMessageSchema) and the label update body (promptVersionHandler.ts).
import { z } from "zod";

export const PRODUCTION_LABEL = "production";
export const LATEST_LABEL = "latest";
const COMMIT_MESSAGE_MAX_LENGTH = 500;
const LABEL_MAX_LENGTH = 36;
/** Names of Langfuse's static prompt pages: a prompt so named would be unreachable in its UI. */
const RESERVED_NAMES = ["new", "metrics", "prompt-detail"];
const CONTAINS_HTML = /<[^<>]*>/;

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

const jsonNullable: z.ZodType<Json> = z.lazy(() =>
  z.union([z.array(jsonNullable), z.record(z.string(), jsonNullable), z.string(), z.number(), z.boolean(), z.null()]),
);
/** Langfuse's jsonSchema: any JSON but a bare null. */
const json: z.ZodType<Json> = z.lazy(() =>
  z.union([z.array(jsonNullable), z.record(z.string(), jsonNullable), z.string(), z.number(), z.boolean()]),
);

/** StringNoHTMLNonEmpty, the pipe rule, withFolderPathValidation, then the reserved names. */
const promptName = z
  .string()
  .min(1, "Text cannot be empty")
  .refine((value) => !CONTAINS_HTML.test(value), { message: "Text cannot contain HTML tags" })
  .regex(/^[^|]*$/, "Prompt name cannot contain '|' character")
  .regex(/^[^/]/, "Name cannot start with a slash")
  .regex(/^(?!.*\/\/)/, "Name cannot contain consecutive slashes")
  .regex(/^.*[^/]$/, "Name cannot end with a slash")
  .transform((value) => value.trim())
  .refine((value) => value.length > 0, "Name cannot be empty")
  .refine((value) => !RESERVED_NAMES.includes(value), { error: (issue) => `Prompt name cannot be '${issue.input}'` });

export const promptLabel = z
  .string()
  .min(1)
  .max(LABEL_MAX_LENGTH)
  .regex(/^[a-z0-9_\-.]+$/, "Label must be lowercase alphanumeric with optional underscores, hyphens, or periods");

const chatMessage = z.union([
  z.object({ role: z.string(), content: z.string() }),
  z.object({
    type: z.literal("placeholder"),
    name: z
      .string()
      .regex(
        /^[a-zA-Z][a-zA-Z0-9_]*$/,
        "Placeholder name must start with a letter and contain only alphanumeric characters and underscores",
      ),
  }),
]);
export type ChatMessage = z.infer<typeof chatMessage>;

const common = {
  name: promptName,
  labels: z.array(promptLabel).default([]),
  config: json.nullable().default({}),
  tags: z.array(z.string()).nullish(),
  commitMessage: z.string().max(COMMIT_MESSAGE_MAX_LENGTH).nullish(),
};

/** POST /api/public/v2/prompts: a text prompt (type optional) or a chat prompt. */
export const createPromptSchema = z.union([
  z.object({ ...common, type: z.literal("text").optional(), prompt: z.string() }),
  z.object({ ...common, type: z.literal("chat"), prompt: z.array(chatMessage) }),
]);
export type CreatePromptInput = z.infer<typeof createPromptSchema>;

/** GET /api/public/v2/prompts/{name}: `version` or `label` (default production). */
export const getPromptQuerySchema = z.object({
  promptName: z.string(),
  version: z.coerce.number().int().nullish(),
  label: z.string().optional(),
  resolve: z
    .enum(["true", "false"])
    .nullish()
    .default("true")
    .transform((value) => value === "true"),
});

/** GET /api/public/v2/prompts: one row per prompt name, filtered, paged by name. */
export const listPromptsQuerySchema = z.object({
  name: z.string().optional(),
  version: z.coerce.number().int().nullish(),
  label: z.string().optional(),
  tag: z.string().optional(),
  page: z.coerce.number().int().min(1).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(10),
  fromUpdatedAt: z.iso.datetime({ offset: true }).nullish(),
  toUpdatedAt: z.iso.datetime({ offset: true }).nullish(),
});
export type ListPromptsQuery = z.infer<typeof listPromptsQuerySchema>;

/** PATCH /api/public/v2/prompts/{name}/versions/{version}. */
export const updateLabelsSchema = z.object({
  newLabels: z.array(z.string()).refine((labels) => !labels.includes(LATEST_LABEL), {
    message: "Label 'latest' is always assigned to the latest prompt version",
  }),
});

/** Langfuse's extractVariables: `{{name}}` where the name starts with a letter. */
export function variablesOf(text: string): string[] {
  const names = [...text.matchAll(/{{([^{}]*)}}/g)]
    .map((match) => match[1]!)
    .filter((name) => /^\p{L}[\p{L}\p{N}_]*$/u.test(name));
  return [...new Set(names)];
}
