// The retry strategy for answers that ask to wait: 429 (and 503/504) waits Retry-After (seconds,
// HTTP-date, retry-after-ms), else backs off with jitter; a throttled write waits in the write gate
// instead, which holds every writer. After the call's attempts, an HttpError.
import type { PipelineRequest, RetryStrategy } from "@azure/core-rest-pipeline";
import { HttpError } from "../http-error";
import { attemptLimit, callOf } from "./call";
import { RETRYABLE_STATUSES, retryDelayMs, type RetryOptions } from "./retry-options";

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
