// Which turns a sample rate below 1 keeps. Teams open Langfuse for the turns that went wrong or
// were unusual, so those are kept whatever the rate; the rest are sampled by trace id, the same
// decision for the same id wherever it is taken (as OpenTelemetry's ratio sampler does).

/** Why a turn was kept whatever the sample rate. */
export type KeepRule = "error" | "warning" | "clarification" | "slow";

export interface TurnFacts {
  /** An observation of the turn failed (error) or was cut short by the client going away (warning). */
  flagged: "error" | "warning" | undefined;
  /** The turn answered with a clarifying question. */
  clarification: boolean;
  durationMs: number;
  /** Turns longer than this are kept. */
  keepSlowerThanMs: number;
}

/** A turn's flag once an observation ended at `level`: an error outranks a warning, and stays. */
export function flagAfter(flagged: TurnFacts["flagged"], level: string | undefined): TurnFacts["flagged"] {
  if (level === "ERROR") return "error";
  if (level === "WARNING") return flagged ?? "warning";
  return flagged;
}

/** The rule that keeps this turn whatever the rate, or undefined for an ordinary turn. */
export function keepRule(turn: TurnFacts): KeepRule | undefined {
  if (turn.flagged) return turn.flagged;
  if (turn.clarification) return "clarification";
  if (turn.durationMs > turn.keepSlowerThanMs) return "slow";
  return undefined;
}

/** An ordinary turn is kept when its trace id's last 32 bits, as a fraction of 2^32, fall below the rate. */
export function sampledIn(traceId: string, rate: number): boolean {
  if (rate >= 1) return true;
  if (rate <= 0) return false;
  return Number.parseInt(traceId.slice(-8), 16) / 0x100000000 < rate;
}
