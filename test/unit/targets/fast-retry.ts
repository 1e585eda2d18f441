// What the HTTP pipeline's unit tests share: retry options that wait milliseconds, and a token.
import type { TokenCredential } from "@azure/identity";
import { DEFAULT_RETRY_OPTIONS, type RetryOptions } from "../../../targets/exchange-online/pipeline/retry-options";

/** Fast options: 10 ms first backoff, fixed jitter; `waits` hears every retry wait. */
export function fastOptions(overrides: Partial<RetryOptions> = {}): RetryOptions & { waits: number[] } {
  const waits: number[] = [];
  return {
    ...DEFAULT_RETRY_OPTIONS,
    baseDelayMs: 10,
    maxDelayMs: 2_000,
    connectBudgetMs: 200,
    random: () => 0.5,
    onRetry: (ms) => void waits.push(ms),
    waits,
    ...overrides,
  };
}

/** A credential that always has a token, valid for an hour. */
export const credential: TokenCredential = {
  getToken: async () => ({ token: "token", expiresOnTimestamp: Date.now() + 3_600_000 }),
};
