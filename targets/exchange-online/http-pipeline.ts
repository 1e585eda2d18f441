// The one HTTP pipeline for every call to Microsoft (Graph reads and $batch, the Exchange admin
// API's InvokeCommand reads and writes), built from @azure/core-rest-pipeline with its default
// HTTP client. Policies, outermost first:
//
//   client-request-id   a fresh id per call (kept across its retries), sent as client-request-id
//   proxy               HTTPS_PROXY/NO_PROXY, as @azure/identity's own requests
//   retry               core-rest-pipeline's retry policy with our strategies:
//                         throttling  429 (and 503/504) waits Retry-After (seconds, HTTP-date,
//                                     retry-after-ms), else jittered exponential backoff; a
//                                     throttled write waits in the write gate instead
//                         transport   dropped connections and timeouts back off exponentially; a
//                                     host that cannot be connected to is tried for at most
//                                     connectBudgetMs, then a ConnectionError names it
//                       every strategy gives up after maxAttempts with a typed error
//   verify-before-retry a write whose last attempt may have landed (503/504, dropped connection,
//                       timeout) reads the mailbox first: if the change is there, nothing is resent
//   write gate          writes take a place in ./write-gate.ts (first come first served, one
//                       adaptive rate for all, learnt from 429s and the budget headers answers
//                       carry, Retry-After held for every writer)
//   bearer token        bearerTokenAuthenticationPolicy, one per audience (Graph, Exchange)
//   concurrency         at most maxConcurrency requests in flight (./concurrency-limit.ts)
//   engine alive        no write is sent once the Pulumi engine that started the run is gone
//   transport errors    a timeout or a stream error becomes a RestError the strategies know
import { randomUUID } from "node:crypto";
import {
  bearerTokenAuthenticationPolicy,
  createDefaultHttpClient,
  createEmptyPipeline,
  createHttpHeaders,
  createPipelineRequest,
  isRestError,
  proxyPolicy,
  RestError,
  retryPolicy,
  setClientRequestIdPolicy,
  type HttpClient,
  type HttpHeaders,
  type HttpMethods,
  type Pipeline,
  type PipelinePolicy,
  type PipelineRequest,
  type PipelineResponse,
  type RetryStrategy,
} from "@azure/core-rest-pipeline";
import type { TokenCredential } from "@azure/identity";
import { EngineGoneError, engineIsAlive } from "../../runtime/engine-watchdog";
import { ConcurrencyLimit } from "./concurrency-limit";
import { ConnectionError, connectionProblem, HttpError, TransportError } from "./http-error";
import { tokenFailure } from "./permissions";
import { WriteGate, type RateHint, type WriteOutcome } from "./write-gate";
import type { ThrottleWait } from "../target-definition";

export interface RetryOptions {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /** First backoff, doubled each attempt (before jitter). */
  readonly baseDelayMs: number;
  /** No wait is longer than this, Retry-After included. */
  readonly maxDelayMs: number;
  /** One attempt's time limit. */
  readonly timeoutMs: number;
  /** 0..1; tests fix it. */
  readonly random: () => number;
  /**
   * How long, in waits between attempts, a host that cannot be connected to (refused, not
   * resolved, unreachable) is tried before giving up with a {@link ConnectionError}. Dropped
   * connections and 429/503 answers do not count: the host is there.
   */
  readonly connectBudgetMs: number;
  /** Told of every wait before a retry (milliseconds): the CLI's progress line counts them. */
  readonly onRetry?: (waitMs: number) => void;
  /** Told of every wait a 429 imposes: which service, how long, how many wait (the engine's output, the CLI's progress). */
  readonly onThrottle?: (wait: ThrottleWait) => void;
}

/**
 * 15 attempts: even when a third of all answers are 429/503 or dropped connections (the
 * acceptance test's faults), the chance that one request of a 200-mailbox run fails all of them is
 * below 1 in 1,000; waits are capped at 30 s.
 */
export const DEFAULT_RETRY_OPTIONS: RetryOptions = {
  maxAttempts: 15,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  timeoutMs: 60_000,
  random: Math.random,
  connectBudgetMs: 20_000,
};

/**
 * How many times more attempts a throttled write has than other calls: under a budget shared by
 * many writers (20 a second, 100 writers), each waits in the gate for its turn; a 429 proves the
 * write was not applied, so waiting longer loses nothing.
 */
export const THROTTLED_WRITE_ATTEMPTS_FACTOR = 4;

/** Statuses worth another attempt: throttled, unavailable, gateway timeout. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 503, 504]);

/** How long the server asked to wait, in milliseconds: retry-after-ms, x-ms-retry-after-ms, Retry-After (seconds or an HTTP-date). */
export function retryAfterMs(headers: HttpHeaders, nowMs = Date.now()): number | undefined {
  for (const name of ["retry-after-ms", "x-ms-retry-after-ms"]) {
    const raw = headers.get(name);
    const value = Number(raw);
    if (raw !== undefined && raw.trim() !== "" && Number.isFinite(value) && value >= 0) return value;
  }
  const retryAfter = headers.get("retry-after")?.trim();
  if (retryAfter === undefined || retryAfter === "") return undefined;
  const seconds = Number(retryAfter);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(retryAfter);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** A header's value as a finite number, if it is one. */
function numberHeader(headers: HttpHeaders, names: readonly string[]): number | undefined {
  for (const name of names) {
    const raw = headers.get(name)?.trim();
    if (raw === undefined || raw === "") continue;
    const value = Number(raw);
    if (Number.isFinite(value)) return value;
  }
  return undefined;
}

/**
 * What an answer says of the budget: requests left and time to the reset (the Exchange admin API's
 * Rate-Limit-Remaining/Rate-Limit-Reset, the RateLimit-* names of the IETF draft; a reset in
 * seconds, as epoch seconds or as an HTTP-date), and how much of its limit Graph sees used
 * (x-ms-throttle-limit-percentage, sent from 0.8 on). docs/reference/exchange-online-addresses.md.
 */
export function rateHintOf(headers: HttpHeaders, nowMs = Date.now()): RateHint | undefined {
  const remaining = numberHeader(headers, ["rate-limit-remaining", "ratelimit-remaining", "x-ratelimit-remaining"]);
  let resetMs: number | undefined;
  const reset = ["rate-limit-reset", "ratelimit-reset", "x-ratelimit-reset"]
    .map((name) => headers.get(name)?.trim())
    .find((v) => v !== undefined && v !== "");
  if (reset !== undefined) {
    const seconds = Number(reset);
    const date = Date.parse(reset);
    if (Number.isFinite(seconds)) resetMs = seconds > 1e9 ? seconds * 1000 - nowMs : seconds * 1000;
    else if (!Number.isNaN(date)) resetMs = date - nowMs;
  }
  const usedFraction = numberHeader(headers, ["x-ms-throttle-limit-percentage"]);
  if (remaining === undefined && usedFraction === undefined) return undefined;
  return {
    ...(remaining !== undefined ? { remaining } : {}),
    ...(resetMs !== undefined ? { resetMs: Math.max(0, resetMs) } : {}),
    ...(usedFraction !== undefined ? { usedFraction } : {}),
  };
}

/** The wait after attempt `attempt` (counting from 1): exponential, ±20% jitter, capped. */
export function backoffMs(attempt: number, options: RetryOptions): number {
  const exponential = options.baseDelayMs * 2 ** (attempt - 1);
  const jitter = 0.8 + 0.4 * options.random();
  return Math.min(options.maxDelayMs, Math.round(exponential * jitter));
}

/** The wait after a retryable answer: what the server asked (capped), else backoff. Also for a throttled $batch item. */
export function retryDelayMs(headers: HttpHeaders, attempt: number, options: RetryOptions): number {
  return Math.min(options.maxDelayMs, retryAfterMs(headers) ?? backoffMs(attempt, options));
}

/** Codes of errors that mean the request was sent, or may have been, and no answer came. */
const TRANSPORT_CODES = new Set([
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ESOCKETTIMEDOUT",
  "REQUEST_TIMEOUT",
  "REQUEST_SEND_ERROR",
  "ECONNABORTED",
  "ERR_STREAM_PREMATURE_CLOSE",
]);

/** A write: its place in the write gate, and how to tell that it landed. */
export interface WriteCall {
  /** True when what the write asks for is already in the mailbox (read from the source). */
  readonly landed: () => Promise<boolean>;
}

/** What the pipeline knows about one call, across its attempts. */
interface Call {
  readonly what: string;
  readonly scope: string;
  readonly write: (WriteCall & { readonly ticket: number }) | undefined;
  /** Waits so far for a host that could not be connected to. */
  connectWaitedMs: number;
  /** The last attempt of a write may have been applied (503/504, dropped, timed out). */
  outcomeUnknown: boolean;
}

const calls = new WeakMap<PipelineRequest, Call>();

/** A request's call; a request made elsewhere is a read named by its method and URL. */
/**
 * How many attempts a call gets. A write waits its turn in the write gate, which paces every
 * writer by the Retry-After it was told, and is read before any resend (verifyBeforeRetryPolicy):
 * it may try longer than other calls, THROTTLED_WRITE_ATTEMPTS_FACTOR times as many attempts.
 */
function attemptLimit(call: Call, options: RetryOptions): number {
  return call.write !== undefined ? options.maxAttempts * THROTTLED_WRITE_ATTEMPTS_FACTOR : options.maxAttempts;
}

function callOf(request: PipelineRequest): Call {
  let call = calls.get(request);
  if (call === undefined) {
    call = {
      what: `${request.method} ${request.url}`,
      scope: "",
      write: undefined,
      connectWaitedMs: 0,
      outcomeUnknown: false,
    };
    calls.set(request, call);
  }
  return call;
}

/** The header of an answer the pipeline made up: a write found already applied before a resend. */
const VERIFIED_HEADER = "x-mailbox-addresses-verified";

/** True for the answer to a write whose retry found it had already landed (nothing was resent). */
export function isVerifiedWrite(response: PipelineResponse): boolean {
  return response.headers.get(VERIFIED_HEADER) === "landed";
}

/** 429 (and 503/504): wait as told, or back off; a throttled write waits in the gate instead. `onThrottled` hears of each 429. */
export function throttlingStrategy(
  options: RetryOptions,
  onThrottled?: (request: PipelineRequest, waitMs: number) => void,
): RetryStrategy {
  return {
    name: "throttlingRetryStrategy",
    retry({ response, retryCount }) {
      if (response === undefined || !RETRYABLE_STATUSES.has(response.status)) return { skipStrategy: true };
      const call = callOf(response.request);
      const attempts = retryCount + 1;
      if (attempts >= attemptLimit(call, options))
        return { errorToThrow: new HttpError(call.what, response, { attempts }) };
      const wait = retryDelayMs(response.headers, attempts, options);
      options.onRetry?.(wait);
      if (response.status === 429) onThrottled?.(response.request, wait);
      // The write gate has been told of the Retry-After and holds every writer, this one first.
      if (response.status === 429 && call.write !== undefined) return { retryAfterInMs: 0 };
      return { retryAfterInMs: wait };
    },
  };
}

/** No answer: refused, unresolved or unreachable hosts within the connect budget; dropped connections and timeouts with backoff. */
export function transportStrategy(options: RetryOptions): RetryStrategy {
  return {
    name: "transportRetryStrategy",
    retry({ response, responseError, retryCount }) {
      if (response !== undefined || responseError === undefined || responseError.request === undefined)
        return { skipStrategy: true };
      const call = callOf(responseError.request);
      const url = responseError.request.url;
      const attempts = retryCount + 1;
      const problem = connectionProblem(responseError);
      // An untrusted certificate does not get better by trying again.
      if (problem?.kind === "untrusted") return { errorToThrow: new ConnectionError(url, problem) };
      if (problem === undefined && !TRANSPORT_CODES.has(responseError.code ?? "")) return { skipStrategy: true };
      const wait = backoffMs(attempts, options);
      if (problem !== undefined) {
        if (call.connectWaitedMs + wait > options.connectBudgetMs || attempts >= options.maxAttempts) {
          return { errorToThrow: new ConnectionError(url, problem, call.connectWaitedMs) };
        }
        call.connectWaitedMs += wait;
      } else if (attempts >= attemptLimit(call, options)) {
        return { errorToThrow: new TransportError(call.what, url, responseError, attempts) };
      }
      options.onRetry?.(wait);
      return { retryAfterInMs: wait };
    },
  };
}

/** Whether a failed attempt may have reached the server (so a write may have been applied). */
function mayHaveLanded(err: unknown): boolean {
  const problem = connectionProblem(err);
  // Refused, unresolved, untrusted: nothing was sent. A timeout may strike after it was.
  return problem === undefined || problem.code === "ETIMEDOUT";
}

/** Before resending a write whose outcome is unknown, read: if it landed, answer for it. */
function verifyBeforeRetryPolicy(): PipelinePolicy {
  return {
    name: "verifyBeforeRetry",
    async sendRequest(request, next) {
      const call = callOf(request);
      if (call.write === undefined) return next(request);
      if (call.outcomeUnknown && (await call.write.landed())) return verifiedAnswer(request);
      try {
        const response = await next(request);
        call.outcomeUnknown = response.status === 503 || response.status === 504;
        return response;
      } catch (err) {
        call.outcomeUnknown = mayHaveLanded(err);
        throw err;
      }
    },
  };
}

function verifiedAnswer(request: PipelineRequest): PipelineResponse {
  return { request, status: 200, headers: createHttpHeaders({ [VERIFIED_HEADER]: "landed" }), bodyAsText: "{}" };
}

/** Writes wait for their turn in the gate; the gate hears how each attempt ended. */
function writeGatePolicy(gate: WriteGate, options: RetryOptions): PipelinePolicy {
  return {
    name: "writeGate",
    async sendRequest(request, next) {
      const call = callOf(request);
      if (call.write === undefined) return next(request);
      const release = await gate.acquire(call.write.ticket);
      let outcome: WriteOutcome = "unknown";
      let hint: RateHint | undefined;
      try {
        const response = await next(request);
        if (response.status === 429) outcome = { throttledForMs: retryDelayMs(response.headers, 1, options) };
        else if (!RETRYABLE_STATUSES.has(response.status)) outcome = "done";
        hint = rateHintOf(response.headers);
        return response;
      } catch (err) {
        if (err instanceof EngineGoneError) outcome = "done";
        throw err;
      } finally {
        release(outcome, hint);
      }
    },
  };
}

/** A bearer token for the call's audience (Graph or Exchange): one core bearer policy per scope. */
function bearerPerAudiencePolicy(credential: TokenCredential, apiNames: ReadonlyMap<string, string>): PipelinePolicy {
  const policies = new Map<string, PipelinePolicy>();
  const policyFor = (scope: string): PipelinePolicy => {
    let policy = policies.get(scope);
    if (policy === undefined) {
      const api = apiNames.get(scope) ?? scope;
      const named: TokenCredential = {
        getToken: async (scopes, options) => {
          try {
            return await credential.getToken(scopes, options);
          } catch (err) {
            throw tokenFailure(api, err);
          }
        },
      };
      policy = bearerTokenAuthenticationPolicy({ credential: named, scopes: scope });
      policies.set(scope, policy);
    }
    return policy;
  };
  return {
    name: "bearerTokenPerAudience",
    sendRequest: (request, next) => policyFor(callOf(request).scope).sendRequest(request, next),
  };
}

function concurrencyPolicy(limit: ConcurrencyLimit): PipelinePolicy {
  return { name: "concurrencyLimit", sendRequest: (request, next) => limit.run(() => next(request)) };
}

/** The last check before a write leaves: the engine may have died while it waited in the gate. */
function engineAlivePolicy(isAlive: () => boolean): PipelinePolicy {
  return {
    name: "engineAlive",
    sendRequest(request, next) {
      if (callOf(request).write !== undefined && !isAlive()) throw new EngineGoneError();
      return next(request);
    },
  };
}

/** A timeout or an error while reading the body becomes a RestError, which the retry policy retries. */
function transportErrorPolicy(): PipelinePolicy {
  return {
    name: "transportErrors",
    async sendRequest(request, next) {
      try {
        return await next(request);
      } catch (err) {
        if (isRestError(err) || !(err instanceof Error)) throw err;
        if (err.name === "AbortError" && request.abortSignal?.aborted !== true) {
          throw new RestError(`no answer within ${Math.round(request.timeout / 1000)} s`, {
            code: "REQUEST_TIMEOUT",
            request,
          });
        }
        const code = (err as { code?: unknown }).code;
        if (typeof code === "string" || /aborted|socket|terminated|premature/i.test(err.message)) {
          throw new RestError(err.message, {
            code: typeof code === "string" ? code : RestError.REQUEST_SEND_ERROR,
            request,
          });
        }
        throw err;
      }
    },
  };
}

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
    const pipeline = createEmptyPipeline();
    pipeline.addPolicy(setClientRequestIdPolicy("client-request-id"));
    pipeline.addPolicy(proxyPolicy());
    const onThrottled = (request: PipelineRequest, waitMs: number) => {
      const call = callOf(request);
      this.noteThrottle(call.scope, waitMs, call.write !== undefined, call);
    };
    pipeline.addPolicy(
      retryPolicy([throttlingStrategy(this.#options, onThrottled), transportStrategy(this.#options)], {
        maxRetries: this.#options.maxAttempts * THROTTLED_WRITE_ATTEMPTS_FACTOR,
      }),
      {
        phase: "Retry",
      },
    );
    pipeline.addPolicy(verifyBeforeRetryPolicy(), { phase: "Retry", afterPolicies: ["retryPolicy"] });
    pipeline.addPolicy(writeGatePolicy(this.#gate, this.#options), {
      phase: "Retry",
      afterPolicies: ["verifyBeforeRetry"],
    });
    pipeline.addPolicy(bearerPerAudiencePolicy(settings.credential, settings.apiNames), { phase: "Sign" });
    pipeline.addPolicy(concurrencyPolicy(new ConcurrencyLimit(settings.maxConcurrency)), { afterPhase: "Sign" });
    pipeline.addPolicy(engineAlivePolicy(settings.engineIsAlive ?? engineIsAlive), {
      afterPhase: "Sign",
      afterPolicies: ["concurrencyLimit"],
    });
    pipeline.addPolicy(transportErrorPolicy(), { afterPhase: "Sign", afterPolicies: ["engineAlive"] });
    this.#pipeline = pipeline;
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
   * TransportError. For a write the answer may be {@link isVerifiedWrite}: it had landed already.
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
    calls.set(request, call);
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
