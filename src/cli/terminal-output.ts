// What the terminal chat's output stream can show: colours (only where the terminal has them:
// a TTY that reports colour support, unless NO_COLOR is set; FORCE_COLOR forces them) and the
// width replies are wrapped to (the TTY's columns, kept up to date on resize; COLUMNS when the
// output is not a terminal; no wrapping otherwise).
import { styleText } from "node:util";

type Style = "agent" | "meta" | "error" | "prompt";

const FORMATS: Record<Style, Parameters<typeof styleText>[0][]> = {
  agent: ["cyan", "bold"],
  meta: ["dim"],
  error: ["red"],
  prompt: ["bold"],
};

export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
  hasColors?: () => boolean;
  on?(event: "resize", listener: () => void): unknown;
}

export class TerminalOutput {
  readonly colors: boolean;
  readonly #stream: OutputStream;
  readonly #env: NodeJS.ProcessEnv;

  constructor(stream: OutputStream, env: NodeJS.ProcessEnv) {
    this.#stream = stream;
    this.#env = env;
    this.colors = colorsWanted(stream, env);
  }

  write(text: string): void {
    this.#stream.write(text);
  }

  /** `text` in a style, or as it is without colours. */
  style(style: Style, text: string): string {
    if (!this.colors) return text;
    return FORMATS[style].reduce((styled, format) => styleText(format, styled), text);
  }

  /** Columns to wrap replies to (one less than the terminal's: writing the last column wraps some terminals by itself). */
  get wrapWidth(): number | null {
    if (this.#stream.isTTY && this.#stream.columns) return this.#stream.columns - 1;
    const columns = Number(this.#env["COLUMNS"]);
    return Number.isInteger(columns) && columns > 1 ? columns : null;
  }

  onResize(listener: () => void): void {
    if (this.#stream.isTTY) this.#stream.on?.("resize", listener);
  }
}

function colorsWanted(stream: OutputStream, env: NodeJS.ProcessEnv): boolean {
  if (env["NO_COLOR"] !== undefined && env["NO_COLOR"] !== "") return false;
  const force = env["FORCE_COLOR"];
  if (force !== undefined) return force !== "0" && force !== "false";
  return Boolean(stream.isTTY && stream.hasColors?.());
}
