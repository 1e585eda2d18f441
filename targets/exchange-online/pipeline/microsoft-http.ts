// The client of the one HTTP pipeline (./create-pipeline.ts): what the Exchange Online backend,
// its Graph reader and its admin API client send every call to Microsoft through. It owns the
// state its calls share (the write gate, the concurrency limit, the tokens), sends one call with
// its name, scope and, for a write, how to tell that it landed, and tells `onThrottle` of every
// wait a 429 imposes.
import { randomUUID } from "node:crypto";
import {
  createDefaultHttpClient,
  createHttpHeaders,
  createPipelineRequest,
  type HttpClient,
  type HttpMethods,
  type Pipeline,
  type PipelineRequest,
  type PipelineResponse,
} from "@azure/core-rest-pipeline";
import type { TokenCredential } from "@azure/identity";
import { EngineGoneError, engineIsAlive } from "../../../runtime/engine-watchdog";
import { callOf, setCall, type Call, type WriteCall } from "./call";
import { createMicrosoftPipeline } from "./create-pipeline";
import { DEFAULT_RETRY_OPTIONS, type RetryOptions } from "./retry-options";
import { verifiedAnswer } from "./verify-before-retry-policy";
import { WriteGate } from "./write-gate";
import { startWriteGateLog } from "./write-gate-log";

export interface MicrosoftHttpSettings {
  readonly credential: TokenCredential;
  /** The API each token scope is for, for messages ("Microsoft Graph"). */
  readonly apiNames: ReadonlyMap<string, string>;
  readonly maxConcurrency: number;
  readonly retry?: RetryOptions;
  /** Defaults to core-rest-pipeline's default HTTP client; tests pass a fake. */
  readonly httpClient?: HttpClient;
  /** Defaults to the engine watchdog's check. */
  readonly engineIsAlive?: () => boolean;
  /** Defaults to a gate of maxConcurrency writes. */
  readonly writeGate?: WriteGate;
}

export interface SendOptions {
  /** What the call is, for messages: "Microsoft Graph GET /users". */
  readonly what: string;
  /** The token scope: which API the call is for. */
  readonly scope: string;
  readonly method?: HttpMethods;
  /** Sent as JSON. */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Set for a write: it goes through the write gate and is verified before any resend. */
  readonly write?: WriteCall;
}

/** The pipeline and its shared state (concurrency limit, write gate, tokens) for one backend. */
export class MicrosoftHttp {
  readonly #pipeline: Pipeline;
  readonly #client: HttpClient;
  readonly #options: RetryOptions;
  readonly #gate: WriteGate;
  readonly #apiNames: ReadonlyMap<string, string>;
  /** Reads waiting out a 429, and until when (for "how many waiting"). */
  readonly #throttledReads = new Map<object, number>();

  constructor(settings: MicrosoftHttpSettings) {
    this.#apiNames = settings.apiNames;
    this.#options = settings.retry ?? DEFAULT_RETRY_OPTIONS;
    this.#client = settings.httpClient ?? createDefaultHttpClient();
    this.#gate = settings.writeGate ?? new WriteGate(settings.maxConcurrency);
    startWriteGateLog(this.#gate);
    this.#pipeline = createMicrosoftPipeline({
      credential: settings.credential,
      apiNames: settings.apiNames,
      maxConcurrency: settings.maxConcurrency,
      retry: this.#options,
      writeGate: this.#gate,
      engineIsAlive: settings.engineIsAlive ?? engineIsAlive,
      onThrottled: (request: PipelineRequest, waitMs: number) => {
        const call = callOf(request);
        this.noteThrottle(call.scope, waitMs, call.write !== undefined, call);
      },
    });
  }

  /**
   * A 429 to a call (or to an item of a Graph $batch) of the API of `scope`: tells `onThrottle`
   * which service, how long (a write: as long as the gate holds every writer) and how many wait.
   */
  noteThrottle(scope: string, waitMs: number, write: boolean, call: object = {}): void {
    const onThrottle = this.#options.onThrottle;
    if (onThrottle === undefined) return;
    const service = this.#apiNames.get(scope) ?? scope;
    if (write) {
      const gate = this.#gate.state;
      onThrottle({ service, waitMs: Math.max(waitMs, gate.heldForMs), waiting: gate.waiting + 1, kind: "writes" });
      return;
    }
    const now = Date.now();
    for (const [other, until] of this.#throttledReads) if (until <= now) this.#throttledReads.delete(other);
    this.#throttledReads.set(call, now + waitMs);
    onThrottle({ service, waitMs, waiting: this.#throttledReads.size, kind: "reads" });
  }

  /** The policies in the order a request meets them (for tests and docs). */
  get policyNames(): string[] {
    return this.#pipeline.getOrderedPolicies().map((p) => p.name);
  }

  /**
   * Sends one call through the pipeline and returns its answer, whatever the status (callers
   * decide what a 404 or a 403 means). Throws a ConnectionError, an HttpError (after retries) or a
   * TransportError. For a write the answer may be a verified one (isVerifiedWrite in
   * ./verify-before-retry-policy.ts): it had landed already.
   */
  async send(url: string, options: SendOptions): Promise<PipelineResponse> {
    const request = createPipelineRequest({
      url,
      method: options.method ?? "GET",
      headers: createHttpHeaders({
        accept: "application/json",
        ...(options.body !== undefined ? { "content-type": "application/json" } : {}),
        ...options.headers,
      }),
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      timeout: this.#options.timeoutMs,
      requestId: randomUUID(),
    });
    const call: Call = {
      what: options.what,
      scope: options.scope,
      write: options.write === undefined ? undefined : { ...options.write, ticket: this.#gate.ticket() },
      connectWaitedMs: 0,
      outcomeUnknown: false,
    };
    setCall(request, call);
    try {
      return await this.#pipeline.sendRequest(this.#client, request);
    } catch (err) {
      // Out of attempts with the outcome unknown: one last read says whether it landed.
      if (
        call.write !== undefined &&
        call.outcomeUnknown &&
        !(err instanceof EngineGoneError) &&
        (await call.write.landed())
      )
        return verifiedAnswer(request);
      throw err;
    }
  }
}
