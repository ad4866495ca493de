// Word wrap for text that arrives in pieces (a streamed reply): lines never run past the
// terminal's width and never break inside a word. A word is written once it is complete (the
// next space or line break, or the end of the reply), so a line can still move it down. Lines may
// break at spaces and around wide characters (Chinese, Japanese, Korean text has no spaces and
// breaks between characters), never before closing punctuation. Widths are terminal columns
// (string-width: wide characters count two, combining marks none). Only a word longer than a
// whole line is cut, since it fits nowhere.
import stringWidth from "string-width";

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** Closing punctuation that must not start a line (it stays with the character before it). */
const NO_BREAK_BEFORE = /^[\p{Pe}\p{Pf}\p{Po}\u3001\u3002\uff0c\uff0e\uff1a\uff1b\uff01\uff1f\u30fc]$/u;

export class StreamingWordWrap {
  readonly #write: (text: string) => void;
  /** Columns per line; null: no wrapping (not a terminal). */
  #width: number | null;
  #column = 0;
  /** The word being received, not yet written. */
  #word = "";
  /** The word being received is a wide character (and any punctuation closing it). */
  #wide = false;
  /** Spaces after the last word written, written only if the next word fits on the line. */
  #spaces = "";

  constructor(write: (text: string) => void, width: number | null) {
    this.#write = write;
    this.#width = width !== null && width >= 2 ? width : null;
  }

  /** A terminal that was resized: later lines use the new width. */
  set width(width: number | null) {
    this.#width = width !== null && width >= 2 ? width : null;
  }

  push(text: string): void {
    if (this.#width === null) {
      this.#write(text);
      const lastLine = text.slice(text.lastIndexOf("\n") + 1);
      this.#column = text.includes("\n") ? stringWidth(lastLine) : this.#column + stringWidth(lastLine);
      return;
    }
    for (const { segment } of graphemes.segment(text)) {
      if (segment === "\n" || segment === "\r\n") {
        this.#flushWord();
        this.#spaces = "";
        this.#write("\n");
        this.#column = 0;
      } else if (/^\s+$/u.test(segment)) {
        this.#flushWord();
        this.#spaces += segment === "\t" ? "  " : " ";
      } else if (NO_BREAK_BEFORE.test(segment)) {
        // Closing punctuation stays with what it closes (also a fullwidth one, two columns wide).
        if (this.#word === "" && this.#spaces === "") {
          this.#write(segment);
          this.#column += stringWidth(segment);
        } else this.#word += segment;
      } else if (stringWidth(segment) >= 2) {
        // A wide character is a word of its own: a line may break before and after it.
        this.#flushWord();
        this.#word = segment;
        this.#wide = true;
      } else {
        // After a wide character a new word starts.
        if (this.#wide) this.#flushWord();
        this.#word += segment;
      }
    }
  }

  /** Writes what is left (the last word). */
  end(): void {
    this.#flushWord();
    this.#spaces = "";
  }

  /** The column the cursor is at (0: at the start of a line). */
  get column(): number {
    return this.#column;
  }

  #flushWord(): void {
    this.#wide = false;
    if (this.#word === "") return;
    const word = this.#word;
    this.#word = "";
    const width = this.#width!;
    const wordWidth = stringWidth(word);
    if (this.#column > 0 && this.#column + this.#spaces.length + wordWidth > width) {
      this.#write("\n");
      this.#column = 0;
      this.#spaces = "";
    }
    // Spaces a wrap replaced are gone; those starting a line of the reply (indentation) stay.
    if (this.#spaces) {
      this.#write(this.#spaces);
      this.#column += this.#spaces.length;
    }
    this.#spaces = "";
    if (wordWidth <= width - this.#column) {
      this.#write(word);
      this.#column += wordWidth;
      return;
    }
    // Longer than a whole line: cut it where the line ends, as nothing else can hold it.
    for (const { segment } of graphemes.segment(word)) {
      const w = stringWidth(segment);
      if (this.#column + w > width) {
        this.#write("\n");
        this.#column = 0;
      }
      this.#write(segment);
      this.#column += w;
    }
  }
}
