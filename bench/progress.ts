// Progress on the terminal: one live status line on a TTY, one line per run otherwise (CI logs).

export class Progress {
  readonly #tty: boolean;
  readonly #started = performance.now();
  #label = "";
  #lastStatusAt = 0;

  readonly #total: number;
  readonly #out: NodeJS.WriteStream;

  constructor(total: number, out: NodeJS.WriteStream = process.stderr) {
    this.#total = total;
    this.#out = out;
    this.#tty = Boolean(out.isTTY);
  }

  #elapsed(): string {
    const s = Math.round((performance.now() - this.#started) / 1000);
    return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  }

  begin(index: number, label: string): void {
    this.#label = `[${index}/${this.#total} ${this.#elapsed()}] ${label}`;
    if (this.#tty) this.status("");
    else this.#out.write(`${this.#label} ...\n`);
  }

  status(text: string): void {
    if (!this.#tty) return;
    const now = performance.now();
    if (text !== "" && now - this.#lastStatusAt < 200) return;
    this.#lastStatusAt = now;
    const line = `${this.#label}${text ? `: ${text}` : ""}`;
    const width = this.#out.columns ?? 120;
    this.#out.write(`\r\x1b[2K${line.slice(0, width - 1)}`);
  }

  end(summary: string): void {
    if (this.#tty) this.#out.write(`\r\x1b[2K${this.#label}: ${summary}\n`);
    else this.#out.write(`${this.#label}: ${summary}\n`);
  }

  log(text: string): void {
    if (this.#tty) this.#out.write(`\r\x1b[2K`);
    this.#out.write(`${text}\n`);
  }
}
