import type { Checkpoint } from "@langchain/langgraph-checkpoint";

/** The channel in which versions before bounded sessions kept every turn's record. */
export const LEGACY_TURNS_CHANNEL = "turns";

export interface SplitCheckpoint {
  /** The session's finished turns, oldest first, as the transcript keeps them. */
  turns: Record<string, unknown>[];
  /** The same checkpoint without the turns, its messages cut to the window. */
  checkpoint: Checkpoint;
}

/**
 * Takes a session's history out of a checkpoint written before sessions were bounded (every
 * turn in the `turns` channel, every message in `messages`): the turns go to the transcript,
 * the checkpoint keeps the model's window of the last `windowTurns` turns. Null when the
 * checkpoint has no `turns` channel (written by this version).
 */
export function splitLegacyCheckpoint(checkpoint: Checkpoint, windowTurns: number): SplitCheckpoint | null {
  if (!(LEGACY_TURNS_CHANNEL in checkpoint.channel_versions) && !(LEGACY_TURNS_CHANNEL in checkpoint.channel_values))
    return null;
  const { [LEGACY_TURNS_CHANNEL]: turns, ...values } = checkpoint.channel_values;
  const { [LEGACY_TURNS_CHANNEL]: _version, ...versions } = checkpoint.channel_versions;
  const seen: Checkpoint["versions_seen"] = {};
  for (const [node, channels] of Object.entries(checkpoint.versions_seen)) {
    const { [LEGACY_TURNS_CHANNEL]: _seen, ...rest } = channels;
    seen[node] = rest;
  }
  const messages = values["messages"];
  if (Array.isArray(messages)) values["messages"] = windowTurns > 0 ? messages.slice(-windowTurns * 2) : [];
  return {
    turns: Array.isArray(turns) ? (turns as Record<string, unknown>[]) : [],
    checkpoint: { ...checkpoint, channel_values: values, channel_versions: versions, versions_seen: seen },
  };
}
