// What the pipeline knows about one call across its attempts: what it is (for messages), which
// API it is for (the token's scope), and, for a write, its place in the write gate and how to tell
// that it landed. Policies and strategies meet the request, not the call: each finds its call here.
import type { PipelineRequest } from "@azure/core-rest-pipeline";
import { THROTTLED_WRITE_ATTEMPTS_FACTOR, type RetryOptions } from "./retry-options";

/** A write: its place in the write gate, and how to tell that it landed. */
export interface WriteCall {
  /** True when what the write asks for is already in the mailbox (read from the source). */
  readonly landed: () => Promise<boolean>;
}

/** What the pipeline knows about one call, across its attempts. */
export interface Call {
  readonly what: string;
  readonly scope: string;
  readonly write: (WriteCall & { readonly ticket: number }) | undefined;
  /** Waits so far for a host that could not be connected to. */
  connectWaitedMs: number;
  /** The last attempt of a write may have been applied (503/504, dropped, timed out). */
  outcomeUnknown: boolean;
}

const calls = new WeakMap<PipelineRequest, Call>();

/** Makes `call` the call of `request`, for every attempt of it. */
export function setCall(request: PipelineRequest, call: Call): void {
  calls.set(request, call);
}

/** A request's call; a request made elsewhere is a read named by its method and URL. */
export function callOf(request: PipelineRequest): Call {
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

/**
 * How many attempts a call gets. A write waits its turn in the write gate, which paces every
 * writer by the Retry-After it was told, and is read before any resend (verifyBeforeRetryPolicy):
 * it may try longer than other calls, THROTTLED_WRITE_ATTEMPTS_FACTOR times as many attempts.
 */
export function attemptLimit(call: Call, options: RetryOptions): number {
  return call.write !== undefined ? options.maxAttempts * THROTTLED_WRITE_ATTEMPTS_FACTOR : options.maxAttempts;
}
