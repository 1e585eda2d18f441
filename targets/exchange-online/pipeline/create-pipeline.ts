// The one HTTP pipeline for every call to Microsoft (Graph reads and $batch, the Exchange admin
// API's InvokeCommand reads and writes), built from @azure/core-rest-pipeline; one module per
// policy and retry strategy beside this one. Policies, outermost first:
//
//   client-request-id   a fresh id per call (kept across its retries), sent as client-request-id
//   proxy               HTTPS_PROXY/NO_PROXY, as @azure/identity's own requests
//   retry               core-rest-pipeline's retry policy with our strategies:
//                         throttling  429 (and 503/504) waits Retry-After (seconds, HTTP-date,
//                                     retry-after-ms), else jittered exponential backoff; a
//                                     throttled write waits in the write gate instead
//                                     (./throttling-retry-strategy.ts)
//                         transport   dropped connections and timeouts back off exponentially; a
//                                     host that cannot be connected to is tried for at most
//                                     connectBudgetMs, then a ConnectionError names it
//                                     (./transport-retry-strategy.ts)
//                       every strategy gives up after maxAttempts with a typed error
//   verify-before-retry a write whose last attempt may have landed (503/504, dropped connection,
//                       timeout) reads the mailbox first: if the change is there, nothing is resent
//                       (./verify-before-retry-policy.ts)
//   write gate          writes take a place in ./write-gate.ts (first come first served, one
//                       adaptive rate for all, learnt from 429s and the budget headers answers
//                       carry, Retry-After held for every writer) (./write-gate-policy.ts)
//   bearer token        bearerTokenAuthenticationPolicy, one per audience (Graph, Exchange)
//                       (./bearer-per-audience-policy.ts)
//   concurrency         at most maxConcurrency requests in flight (./concurrency-limit-policy.ts)
//   engine alive        no write is sent once the Pulumi engine that started the run is gone
//                       (./engine-alive-policy.ts)
//   transport errors    a timeout or a stream error becomes a RestError the strategies know
//                       (./transport-error-policy.ts)
// What each call is (its name, scope, write) travels beside its request: ./call.ts.
import {
  createEmptyPipeline,
  proxyPolicy,
  retryPolicy,
  setClientRequestIdPolicy,
  type Pipeline,
  type PipelineRequest,
} from "@azure/core-rest-pipeline";
import type { TokenCredential } from "@azure/identity";
import { bearerPerAudiencePolicy } from "./bearer-per-audience-policy";
import { ConcurrencyLimit } from "./concurrency-limit";
import { concurrencyLimitPolicy, concurrencyLimitPolicyName } from "./concurrency-limit-policy";
import { engineAlivePolicy, engineAlivePolicyName } from "./engine-alive-policy";
import { THROTTLED_WRITE_ATTEMPTS_FACTOR, type RetryOptions } from "./retry-options";
import { throttlingStrategy } from "./throttling-retry-strategy";
import { transportErrorPolicy } from "./transport-error-policy";
import { transportStrategy } from "./transport-retry-strategy";
import { verifyBeforeRetryPolicy, verifyBeforeRetryPolicyName } from "./verify-before-retry-policy";
import type { WriteGate } from "./write-gate";
import { writeGatePolicy } from "./write-gate-policy";

export interface PipelineSettings {
  readonly credential: TokenCredential;
  /** The API each token scope is for, for messages ("Microsoft Graph"). */
  readonly apiNames: ReadonlyMap<string, string>;
  readonly maxConcurrency: number;
  readonly retry: RetryOptions;
  readonly writeGate: WriteGate;
  readonly engineIsAlive: () => boolean;
  /** Hears of each 429 to a call, with the wait it imposes. */
  readonly onThrottled: (request: PipelineRequest, waitMs: number) => void;
}

/** The policies in their order, around one client's shared state (concurrency limit, write gate). */
export function createMicrosoftPipeline(settings: PipelineSettings): Pipeline {
  const options = settings.retry;
  const pipeline = createEmptyPipeline();
  pipeline.addPolicy(setClientRequestIdPolicy("client-request-id"));
  pipeline.addPolicy(proxyPolicy());
  pipeline.addPolicy(
    retryPolicy([throttlingStrategy(options, settings.onThrottled), transportStrategy(options)], {
      maxRetries: options.maxAttempts * THROTTLED_WRITE_ATTEMPTS_FACTOR,
    }),
    {
      phase: "Retry",
    },
  );
  pipeline.addPolicy(verifyBeforeRetryPolicy(), { phase: "Retry", afterPolicies: ["retryPolicy"] });
  pipeline.addPolicy(writeGatePolicy(settings.writeGate, options), {
    phase: "Retry",
    afterPolicies: [verifyBeforeRetryPolicyName],
  });
  pipeline.addPolicy(bearerPerAudiencePolicy(settings.credential, settings.apiNames), { phase: "Sign" });
  pipeline.addPolicy(concurrencyLimitPolicy(new ConcurrencyLimit(settings.maxConcurrency)), { afterPhase: "Sign" });
  pipeline.addPolicy(engineAlivePolicy(settings.engineIsAlive), {
    afterPhase: "Sign",
    afterPolicies: [concurrencyLimitPolicyName],
  });
  pipeline.addPolicy(transportErrorPolicy(), { afterPhase: "Sign", afterPolicies: [engineAlivePolicyName] });
  return pipeline;
}
