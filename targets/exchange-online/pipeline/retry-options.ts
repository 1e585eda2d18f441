// How long and how often the pipeline tries: the retry options, their defaults, the statuses worth
// another attempt, and the waits between attempts (backoff, or what the server asked for).
import type { HttpHeaders } from "@azure/core-rest-pipeline";
import type { ThrottleWait } from "../../target-definition";
import { retryAfterMs } from "./rate-headers";

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
   * resolved, unreachable) is tried before giving up with a ConnectionError (../http-error.ts).
   * Dropped connections and 429/503 answers do not count: the host is there.
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
