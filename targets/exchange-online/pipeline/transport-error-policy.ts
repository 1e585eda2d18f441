// A timeout or a stream error from the HTTP client becomes a RestError with a code the transport
// retry strategy (./transport-retry-strategy.ts) knows; any other error passes unchanged.
import { isRestError, RestError, type PipelinePolicy } from "@azure/core-rest-pipeline";

export const transportErrorPolicyName = "transportErrors";

/** A timeout or an error while reading the body becomes a RestError, which the retry policy retries. */
export function transportErrorPolicy(): PipelinePolicy {
  return {
    name: transportErrorPolicyName,
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
