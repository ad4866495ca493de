import { apiError, type ApiError } from "./chat-errors.js";
import type { ModelUnavailableError } from "../llm/model-errors.js";

/** The model endpoint the service talks to, as logs and the ready line name it. */
export interface ModelEndpoint {
  /** LLM_PROVIDER: "simulated" or "openai". */
  provider: string;
  /** LLM_BASE_URL (openai), null for the simulator. */
  baseUrl: string | null;
  model: string;
}

export interface ModelFailureLogger {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * Model failures as the operator and the client need them. The operator gets one log line per
 * kind of failure (HTTP status, timeout, refused connection) with the endpoint and the model, the
 * first time it happens; a refusal (401, 403, 404: the service's model settings are wrong) is an
 * error, anything transient a warning. The client gets an error that says whether retrying can
 * help: 503 `model_unavailable` for what may pass, 502 `model_misconfigured` /
 * `model_refused_request` (with `x-should-retry: false`) for what will not.
 */
export class ModelFailures {
  readonly #logged = new Set<string>();

  readonly #endpoint: ModelEndpoint;
  readonly #logger: ModelFailureLogger | undefined;

  constructor(endpoint: ModelEndpoint, logger: ModelFailureLogger | undefined) {
    this.#endpoint = endpoint;
    this.#logger = logger;
  }

  /** Logs `err` if its kind is new, and returns the client's error. */
  toClientError(err: ModelUnavailableError): ApiError {
    this.#log(err);
    if (!err.refused) return apiError("model_unavailable");
    // A refusal of the service itself is a configuration to fix; neither is worth retrying (catalog).
    const configuration = err.status === 401 || err.status === 403 || err.status === 404;
    return apiError(configuration ? "model_misconfigured" : "model_refused_request", err.status);
  }

  #log(err: ModelUnavailableError): void {
    if (this.#logged.has(err.kind) || !this.#logger) return;
    this.#logged.add(err.kind);
    const fields = {
      kind: err.kind,
      status: err.status ?? null,
      provider: this.#endpoint.provider,
      base_url: this.#endpoint.baseUrl,
      model: this.#endpoint.model,
      error: err.message,
    };
    if (err.status === 401 || err.status === 403)
      this.#logger.error(
        fields,
        `the model endpoint refused the credentials (HTTP ${err.status}): check LLM_API_KEY (and LLM_BASE_URL); every turn fails until it is fixed (logged once)`,
      );
    else if (err.status === 404)
      this.#logger.error(
        fields,
        "the model endpoint answered 404: check LLM_BASE_URL (it ends in /v1) and LLM_MODEL; every turn fails until it is fixed (logged once)",
      );
    else if (err.refused)
      this.#logger.error(
        fields,
        `the model endpoint refused a request (HTTP ${err.status}); check LLM_MODEL and LLM_STRUCTURED_OUTPUT (logged once per status)`,
      );
    else
      this.#logger.warn(
        fields,
        `the model endpoint failed (${err.kind}); the turn failed with 503 and may be retried (logged once per kind)`,
      );
  }
}
