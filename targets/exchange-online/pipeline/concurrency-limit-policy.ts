// At most maxConcurrency requests in flight (./concurrency-limit.ts), shared by every resource the
// provider process serves.
import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import type { ConcurrencyLimit } from "./concurrency-limit";

export const concurrencyLimitPolicyName = "concurrencyLimit";

/** Each attempt waits for a slot of `limit`. */
export function concurrencyLimitPolicy(limit: ConcurrencyLimit): PipelinePolicy {
  return { name: concurrencyLimitPolicyName, sendRequest: (request, next) => limit.run(() => next(request)) };
}
