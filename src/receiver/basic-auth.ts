// Langfuse's API authentication: `Authorization: Basic base64(publicKey:secretKey)`.

export interface ApiKeyPair {
  publicKey: string;
  secretKey: string;
}

/**
 * The dev key pair: what a receiver accepts when no keys are configured, and what the service
 * exports with to its local receiver. Not a secret; never valid against real Langfuse.
 */
export const DEV_KEY_PAIR: Readonly<ApiKeyPair> = Object.freeze({ publicKey: "pk-lf-local", secretKey: "sk-lf-local" });

const DEV_KEYS: readonly ApiKeyPair[] = Object.freeze([DEV_KEY_PAIR]);

export function basicAuthHeader(keys: ApiKeyPair): string {
  return `Basic ${Buffer.from(`${keys.publicKey}:${keys.secretKey}`).toString("base64")}`;
}

/**
 * Checks Authorization headers against a fixed set of key pairs. The accepted header strings are
 * computed once, so a check is one Set lookup (plus a decode for the rare differently-padded or
 * differently-cased header).
 */
export class BasicAuthChecker {
  readonly #acceptedHeaders: Set<string>;
  readonly #acceptedPairs: Set<string>;
  readonly #publicKeys: Set<string>;

  constructor(keys: readonly ApiKeyPair[]) {
    const pairs = keys.length > 0 ? keys : DEV_KEYS;
    this.#acceptedHeaders = new Set(pairs.map(basicAuthHeader));
    this.#acceptedPairs = new Set(pairs.map((k) => `${k.publicKey}:${k.secretKey}`));
    this.#publicKeys = new Set(pairs.map((k) => k.publicKey));
  }

  /**
   * True when the header is `Bearer <public key>` of an accepted pair: Langfuse's "scores" access
   * level, which may only create scores (feedback sent from a browser holds no secret key).
   */
  acceptsPublicKey(header: string | undefined): boolean {
    return header !== undefined && header.startsWith("Bearer ") && this.#publicKeys.has(header.slice("Bearer ".length));
  }

  /** True when the header carries one of the accepted key pairs. */
  accepts(header: string | undefined): boolean {
    if (header === undefined) return false;
    if (this.#acceptedHeaders.has(header)) return true;
    const match = /^basic\s+(\S+)\s*$/i.exec(header);
    if (!match) return false;
    return this.#acceptedPairs.has(Buffer.from(match[1]!, "base64").toString("utf8"));
  }
}
