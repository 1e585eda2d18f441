// The retry strategy for calls that got no answer: dropped connections and timeouts back off
// exponentially until the call's attempts are spent (then a TransportError); a host that cannot be
// connected to (refused, not resolved, unreachable) is tried for at most connectBudgetMs, then a
// ConnectionError names it; an untrusted certificate is not tried again.
import type { RetryStrategy } from "@azure/core-rest-pipeline";
import { ConnectionError, connectionProblem, TransportError } from "../http-error";
import { attemptLimit, callOf } from "./call";
import { backoffMs, type RetryOptions } from "./retry-options";

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
