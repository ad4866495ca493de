import Mustache from "mustache";

/**
 * A prompt's text with its `{{variables}}` filled in, as Langfuse's SDKs compile prompts
 * (Mustache, nothing HTML-escaped): a prompt edited in Langfuse renders here as it renders there.
 */
export function compilePrompt(template: string, variables: Record<string, string>): string {
  return Mustache.render(template, variables, undefined, { escape: (value: string) => value });
}
