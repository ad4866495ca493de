import type { BaseMessage } from "@langchain/core/messages";

/** The last `turns` turns of a session (two messages each), oldest first. */
export function recentHistory(messages: BaseMessage[], turns: number): BaseMessage[] {
  if (turns <= 0) return [];
  return messages.slice(-turns * 2);
}
