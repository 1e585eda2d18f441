// Retries for every call to Microsoft (Graph and the Exchange admin API): 429, 503 and 504 and
// dropped connections are retried, honouring Retry-After (seconds or a date), retry-after-ms and
// x-ms-retry-after-ms, else with jittered exponential backoff; each attempt has a timeout; the
// number of attempts is bounded. Modelled on core-rest-pipeline's throttling retry strategy.

export interface RetryOptions {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /** First backoff, doubled each attempt (before jitter). */
  readonly baseDelayMs: number;
  /** No wait is longer than this, Retry-After included. */
  readonly maxDelayMs: number;
  /** One attempt's time limit. */
  readonly timeoutMs: number;
  /** Waits; tests replace it to run without real time. */
  readonly sleep: (ms: number) => Promise<void>;
  /** 0..1; tests fix it. */
  readonly random: () => number;
  /**
   * How long, in waits between attempts, a host that cannot be connected to (refused, not
   * resolved, unreachable) is tried before giving up with a {@link ConnectionError}. Dropped
   * connections and 429/503 answers do not count: the host is there.
   */
  readonly connectBudgetMs?: number;
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
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
  connectBudgetMs: 20_000,
};

/** Why a connection could not be made, from an error and its causes. */
export type ConnectionProblemKind = "refused" | "unresolved" | "unreachable" | "untrusted";

const CERTIFICATE_CODES = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "CERT_UNTRUSTED",
  "CERT_SIGNATURE_FAILURE",
]);

/** The codes along an error's cause chain (undici nests the socket's error in `cause`). */
function codesOf(err: unknown): string[] {
  const codes: string[] = [];
  for (let e = err as { code?: unknown; cause?: unknown; message?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === "string") codes.push(e.code);
    // fetch refuses ports it deems unsafe (9, 25, 6000...) with a bare "bad port".
    if (e.message === "bad port") codes.push("BAD_PORT");
    // AggregateError (happy eyeballs) holds one error per address tried.
    for (const inner of (e as { errors?: unknown[] }).errors ?? []) if (typeof (inner as { code?: unknown }).code === "string") codes.push((inner as { code: string }).code);
  }
  return codes;
}

/** Whether `err` says the connection could not be made at all, and why; undefined otherwise. */
export function connectionProblem(err: unknown): { kind: ConnectionProblemKind; code: string } | undefined {
  const codes = codesOf(err);
  const cert = codes.find((c) => CERTIFICATE_CODES.has(c) || c.startsWith("ERR_TLS_") || c.startsWith("CERT_"));
  if (cert) return { kind: "untrusted", code: cert };
  const refused = codes.find((c) => c === "ECONNREFUSED");
  if (refused) return { kind: "refused", code: refused };
  const unresolved = codes.find((c) => c === "ENOTFOUND" || c === "EAI_AGAIN");
  if (unresolved) return { kind: "unresolved", code: unresolved };
  const unreachable = codes.find((c) => ["EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT", "ETIMEDOUT", "BAD_PORT"].includes(c));
  if (unreachable) return { kind: "unreachable", code: unreachable };
  return undefined;
}

/** A host that could not be connected to: which host, why, what to do. */
export class ConnectionError extends Error {
  readonly host: string;
  readonly kind: ConnectionProblemKind;

  constructor(url: string, problem: { kind: ConnectionProblemKind; code: string }, triedForMs?: number) {
    let host: string;
    try {
      host = new URL(url).host;
    } catch {
      host = url;
    }
    const tried = triedForMs === undefined || triedForMs === 0 ? "" : ` (tried for ${Math.round(triedForMs / 1000)} s)`;
    const texts: Record<ConnectionProblemKind, string> = {
      refused: `cannot connect to ${host}: the connection was refused (${problem.code})${tried}. Check the URL setting for this endpoint (authorityHost, graphBaseUrl, exchangeBaseUrl) and that the service, or the emulator, is running`,
      unresolved: `cannot connect to ${host}: the host name does not resolve (${problem.code})${tried}. Check the URL setting for this endpoint (authorityHost, graphBaseUrl, exchangeBaseUrl) and the machine's DNS`,
      unreachable: `cannot connect to ${host}: no route or no answer (${problem.code})${tried}. Check the network, proxy and firewall between this machine and ${host}`,
      untrusted: `cannot connect to ${host}: its TLS certificate is not trusted (${problem.code}). For the emulator, set NODE_EXTRA_CA_CERTS to its certificate (printed by mailbox-addresses emulator); behind a TLS-inspecting proxy, add the proxy's CA the same way`,
    };
    super(texts[problem.kind]);
    this.name = "ConnectionError";
    this.host = host;
    this.kind = problem.kind;
  }
}

/** Statuses worth another attempt: throttled, unavailable, gateway timeout. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 503, 504]);

/** Reads how long the server asked to wait, in milliseconds, from a response's headers. */
export function retryAfterMs(headers: Headers | Record<string, string | undefined>, nowMs = Date.now()): number | undefined {
  const get = (name: string) =>
    headers instanceof Headers ? (headers.get(name) ?? undefined) : Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
  for (const name of ["retry-after-ms", "x-ms-retry-after-ms"]) {
    const value = Number(get(name));
    if (get(name) !== undefined && Number.isFinite(value) && value >= 0) return value;
  }
  const retryAfter = get("retry-after");
  if (retryAfter === undefined) return undefined;
  const seconds = Number(retryAfter);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(retryAfter);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** The wait before attempt `attempt + 1` (attempt counts from 1), with ±20% jitter. */
export function backoffMs(attempt: number, options: RetryOptions): number {
  const exponential = options.baseDelayMs * 2 ** (attempt - 1);
  const jitter = 0.8 + 0.4 * options.random();
  return Math.min(options.maxDelayMs, Math.round(exponential * jitter));
}

/** True for an error that means the connection failed or timed out (worth retrying). */
export function isTransportError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  // An untrusted certificate does not get better by trying again.
  if (connectionProblem(err)?.kind === "untrusted") return false;
  if (err.name === "AbortError" || err.name === "TimeoutError") return true;
  if (err.name === "TypeError" && /fetch failed|terminated|socket/i.test(err.message)) return true;
  const code = (err as { code?: string; cause?: { code?: string } }).code ?? (err as { cause?: { code?: string } }).cause?.code;
  return ["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "UND_ERR_SOCKET", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT"].includes(code ?? "");
}

/** What happened on each attempt, for counting and messages. */
export interface AttemptRecord {
  readonly attempt: number;
  readonly status?: number;
  readonly error?: string;
  readonly waitedMs: number;
}

/** Thrown when every attempt failed; carries the last response or error. */
export class RetriesExhaustedError extends Error {
  readonly attempts: readonly AttemptRecord[];
  readonly lastResponse: Response | undefined;

  constructor(what: string, attempts: readonly AttemptRecord[], lastResponse: Response | undefined, cause?: unknown) {
    const last = attempts[attempts.length - 1];
    super(`${what}: gave up after ${attempts.length} attempts (last: ${last?.status ? `HTTP ${last.status}` : last?.error ?? "unknown"})`, { cause });
    this.name = "RetriesExhaustedError";
    this.attempts = attempts;
    this.lastResponse = lastResponse;
  }
}

/**
 * Sends with retries. `send` gets an AbortSignal for the attempt's timeout and returns the
 * response; a retryable status or a transport error leads to another attempt. Returns the first
 * non-retryable response (success or not). `onRetry` is told about each retry.
 */
export async function sendWithRetries(
  what: string,
  send: (signal: AbortSignal, attempt: number) => Promise<Response>,
  options: RetryOptions = DEFAULT_RETRY_OPTIONS,
  onRetry?: (record: AttemptRecord) => void,
  url?: string,
): Promise<Response> {
  const attempts: AttemptRecord[] = [];
  let lastResponse: Response | undefined;
  let lastError: unknown;
  let connectWaitedMs = 0;
  for (let attempt = 1; attempt <= options.maxAttempts; attempt++) {
    let wait: number;
    try {
      const response = await send(AbortSignal.timeout(options.timeoutMs), attempt);
      if (!RETRYABLE_STATUSES.has(response.status)) return response;
      lastResponse = response;
      wait = Math.min(options.maxDelayMs, retryAfterMs(response.headers) ?? backoffMs(attempt, options));
      await response.body?.cancel().catch(() => undefined);
      attempts.push({ attempt, status: response.status, waitedMs: wait });
    } catch (err) {
      const problem = connectionProblem(err);
      if (problem?.kind === "untrusted" && url !== undefined) throw new ConnectionError(url, problem);
      if (!isTransportError(err) && problem === undefined) throw err;
      lastError = err;
      wait = backoffMs(attempt, options);
      attempts.push({ attempt, error: (err as Error).message, waitedMs: wait });
      if (problem !== undefined) {
        if (connectWaitedMs + wait > (options.connectBudgetMs ?? Infinity) || problem.kind === "untrusted") {
          if (url !== undefined) throw new ConnectionError(url, problem, connectWaitedMs);
          break;
        }
        connectWaitedMs += wait;
      }
    }
    if (attempt === options.maxAttempts) break;
    onRetry?.(attempts[attempts.length - 1]!);
    await options.sleep(wait);
  }
  const problem = lastResponse === undefined ? connectionProblem(lastError) : undefined;
  if (problem !== undefined && url !== undefined) throw new ConnectionError(url, problem, connectWaitedMs);
  throw new RetriesExhaustedError(what, attempts, lastResponse, lastError);
}
