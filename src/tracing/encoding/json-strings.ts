import { ProtobufWriter } from "./protobuf-writer.js";

/** A text as a JSON string literal in UTF-8. */
export interface JsonString {
  readonly bytes: Uint8Array;
  /** Characters of the literal, quotes included: what the field cap counts. */
  readonly chars: number;
  /** Nothing escaped: the literal is the (masked) text between two quotes. */
  readonly plain: boolean;
}

// JSON escapes quotes, backslashes and control characters; nothing else.
// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;
const QUOTE = 0x22;
/**
 * About what an entry costs besides its bytes and its key: its Uint8Array, the entry object and
 * the Map's slot. Counted, so a cache of short texts stays within its bound too.
 */
const ENTRY_OVERHEAD_BYTES = 200;
/**
 * Remembered bytes are copied into arenas of this size, one after the other. Entries leave the
 * cache oldest first, so an arena is let go once its last entry has left: memory held is the
 * bound plus about one arena. Copying into an arena costs ~0.4 us; an ArrayBuffer of its own per
 * entry ~2.6 us of CPU (allocation, zeroing, the collector's tracking), measured for 300 bytes.
 */
const ARENA_BYTES = 64 * 1024;

export interface JsonStringsOptions {
  /** Texts at least this long are remembered; shorter ones cost less to encode than to look up. */
  minCachedChars: number;
  /** Bound on the bytes remembered; past it the oldest entries go first. */
  maxCachedBytes: number;
  /** Applied to every text before it is encoded (LANGFUSE_MASK); the cache holds masked bytes. */
  mask?: (s: string) => string;
}

/**
 * Texts as JSON string literals in UTF-8, remembered across turns. A turn's generations carry
 * texts that other turns carried before them: the agents' and the classifier's system prompts
 * on every turn, a session's recent messages on each of its next turns, and the user's message
 * in the root and both model calls. Encoding text to UTF-8 costs V8 2-3 ns a character when it
 * is not plain ASCII (it rarely is: a Chinese example in a prompt, an accented name); copying
 * the bytes remembered costs a fraction of that. Keys are the texts themselves: the same prompt
 * object is found by identity, an equal text rebuilt from the session store by its hash.
 */
export class JsonStrings {
  readonly #options: JsonStringsOptions;
  readonly #cache = new Map<string, JsonString>();
  #bytes = 0;
  readonly #w = new ProtobufWriter(16 * 1024);
  #arena: Buffer | null = null;
  #arenaPos = 0;

  constructor(options: JsonStringsOptions) {
    this.#options = options;
  }

  of(text: string): JsonString {
    if (text.length < this.#options.minCachedChars) return this.#encode(text);
    let hit = this.#cache.get(text);
    if (!hit) {
      hit = this.#encode(text, true);
      this.#remember(text, hit);
    }
    return hit;
  }

  /**
   * `kept`: the bytes go into the cache's own memory (#keep). A small Buffer from
   * Buffer.allocUnsafe is a slice of Node's shared 8 KiB pool, and one slice kept alive keeps its
   * whole slab, with every short-lived slice that shared it: 300-character texts remembered
   * between other code's small buffers held 4.2 MB of slabs for 1.4 MB of bytes, and the more
   * others allocate in between, the worse.
   */
  #encode(text: string, kept = false): JsonString {
    const masked = this.#options.mask ? this.#options.mask(text) : text;
    const plain = !NEEDS_ESCAPE.test(masked);
    const w = this.#w;
    w.pos = 0;
    let chars: number;
    if (plain) {
      w.ensure(2);
      w.byte(QUOTE);
      w.utf8(masked);
      w.ensure(1);
      w.byte(QUOTE);
      chars = masked.length + 2;
    } else {
      const literal = JSON.stringify(masked);
      w.utf8(literal);
      chars = literal.length;
    }
    const bytes = kept ? this.#keep(w.buf.subarray(0, w.pos)) : w.takeFrom(0);
    w.pos = 0;
    return { bytes, chars, plain };
  }

  /** A copy of `bytes` in the current arena; one larger than a quarter arena gets its own memory. */
  #keep(bytes: Uint8Array): Uint8Array {
    if (bytes.length > ARENA_BYTES / 4) return new Uint8Array(bytes);
    if (!this.#arena || this.#arenaPos + bytes.length > ARENA_BYTES) {
      this.#arena = Buffer.allocUnsafeSlow(ARENA_BYTES);
      this.#arenaPos = 0;
    }
    const at = this.#arenaPos;
    this.#arena.set(bytes, at);
    this.#arenaPos += bytes.length;
    return this.#arena.subarray(at, at + bytes.length);
  }

  #remember(text: string, encoded: JsonString): void {
    const size = entrySize(text, encoded);
    if (size > this.#options.maxCachedBytes) return;
    this.#bytes += size;
    this.#cache.set(text, encoded);
    while (this.#bytes > this.#options.maxCachedBytes) {
      const [oldest, entry] = this.#cache.entries().next().value!;
      this.#cache.delete(oldest);
      this.#bytes -= entrySize(oldest, entry);
    }
  }
}

/** What an entry is counted as against the bound: its bytes, its key (two bytes a character) and its overhead. */
function entrySize(text: string, encoded: JsonString): number {
  return encoded.bytes.length + text.length * 2 + ENTRY_OVERHEAD_BYTES;
}
