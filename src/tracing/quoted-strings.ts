/**
 * JSON-quoted strings, remembered for the length of one turn. The turn's user message goes into
 * both model calls' inputs, and a reply can be both a generation's output and the next one's
 * input: quoting (escaping) it once instead of each time is most of what serializing a turn's
 * inputs and outputs costs. A handful of entries, compared by identity first; dropped with the
 * turn.
 */
export class QuotedStrings {
  readonly #keys: string[] = [];
  readonly #values: string[] = [];
  #next = 0;

  static readonly SIZE = 4;
  /** Shorter strings are quoted directly: remembering them costs more than quoting them. */
  static readonly MIN_LENGTH = 256;

  quote(s: string): string {
    if (s.length < QuotedStrings.MIN_LENGTH) return JSON.stringify(s);
    const keys = this.#keys;
    for (let i = 0; i < keys.length; i++) if (keys[i] === s) return this.#values[i]!;
    const quoted = JSON.stringify(s);
    this.#keys[this.#next] = s;
    this.#values[this.#next] = quoted;
    this.#next = (this.#next + 1) % QuotedStrings.SIZE;
    return quoted;
  }
}
