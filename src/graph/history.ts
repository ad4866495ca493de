import type { BaseMessage } from "@langchain/core/messages";

/** The last `turns` turns of a session (two messages each), oldest first. */
export function recentHistory(messages: BaseMessage[], turns: number): BaseMessage[] {
  if (turns <= 0) return [];
  return messages.slice(-turns * 2);
}

/**
 * The window a session keeps for the model once a turn has finished: its last `turns` turns,
 * this one included. Only this is checkpointed, so a session's checkpoint stays the same size
 * however long the session runs; every turn stays in the session's transcript.
 */
export function windowAfterTurn(
  messages: BaseMessage[],
  human: BaseMessage,
  reply: BaseMessage,
  turns: number,
): BaseMessage[] {
  if (turns <= 0) return [];
  return [...recentHistory(messages, turns - 1), human, reply];
}
