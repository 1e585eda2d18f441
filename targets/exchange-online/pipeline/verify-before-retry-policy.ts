// A write whose last attempt may have landed (503/504, dropped connection, timeout) reads the
// mailbox before it is sent again: if the change is there, nothing is resent and the pipeline
// answers for it (isVerifiedWrite).
import {
  createHttpHeaders,
  type PipelinePolicy,
  type PipelineRequest,
  type PipelineResponse,
} from "@azure/core-rest-pipeline";
import { connectionProblem } from "../http-error";
import { callOf } from "./call";

export const verifyBeforeRetryPolicyName = "verifyBeforeRetry";

/** The header of an answer the pipeline made up: a write found already applied before a resend. */
const VERIFIED_HEADER = "x-mailbox-addresses-verified";

/** True for the answer to a write whose retry found it had already landed (nothing was resent). */
export function isVerifiedWrite(response: PipelineResponse): boolean {
  return response.headers.get(VERIFIED_HEADER) === "landed";
}

/** The answer for a write found already applied. */
export function verifiedAnswer(request: PipelineRequest): PipelineResponse {
  return { request, status: 200, headers: createHttpHeaders({ [VERIFIED_HEADER]: "landed" }), bodyAsText: "{}" };
}

/** Whether a failed attempt may have reached the server (so a write may have been applied). */
function mayHaveLanded(err: unknown): boolean {
  const problem = connectionProblem(err);
  // Refused, unresolved, untrusted: nothing was sent. A timeout may strike after it was.
  return problem === undefined || problem.code === "ETIMEDOUT";
}

/** Before resending a write whose outcome is unknown, read: if it landed, answer for it. */
export function verifyBeforeRetryPolicy(): PipelinePolicy {
  return {
    name: verifyBeforeRetryPolicyName,
    async sendRequest(request, next) {
      const call = callOf(request);
      if (call.write === undefined) return next(request);
      if (call.outcomeUnknown && (await call.write.landed())) return verifiedAnswer(request);
      try {
        const response = await next(request);
        call.outcomeUnknown = response.status === 503 || response.status === 504;
        return response;
      } catch (err) {
        call.outcomeUnknown = mayHaveLanded(err);
        throw err;
      }
    },
  };
}
