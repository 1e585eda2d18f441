// Writes take a place in the write gate (./write-gate.ts: first come first served, one adaptive
// rate for all, learnt from 429s and the budget headers answers carry, Retry-After held for every
// writer), and the gate hears how each attempt ended.
import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import { EngineGoneError } from "../../../runtime/engine-watchdog";
import { callOf } from "./call";
import { rateHintOf } from "./rate-headers";
import { RETRYABLE_STATUSES, retryDelayMs, type RetryOptions } from "./retry-options";
import type { RateHint, WriteGate, WriteOutcome } from "./write-gate";

export const writeGatePolicyName = "writeGate";

/** Writes wait for their turn in the gate; the gate hears how each attempt ended. */
export function writeGatePolicy(gate: WriteGate, options: RetryOptions): PipelinePolicy {
  return {
    name: writeGatePolicyName,
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
