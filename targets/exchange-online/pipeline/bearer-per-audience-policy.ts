// A bearer token for each call's audience (Graph or Exchange): one of core-rest-pipeline's
// bearerTokenAuthenticationPolicy per token scope, and a token that cannot be had named by its API.
import { bearerTokenAuthenticationPolicy, type PipelinePolicy } from "@azure/core-rest-pipeline";
import type { TokenCredential } from "@azure/identity";
import { tokenFailure } from "../permissions";
import { callOf } from "./call";

export const bearerPerAudiencePolicyName = "bearerTokenPerAudience";

/** A bearer token for the call's audience (Graph or Exchange): one core bearer policy per scope. */
export function bearerPerAudiencePolicy(
  credential: TokenCredential,
  apiNames: ReadonlyMap<string, string>,
): PipelinePolicy {
  const policies = new Map<string, PipelinePolicy>();
  const policyFor = (scope: string): PipelinePolicy => {
    let policy = policies.get(scope);
    if (policy === undefined) {
      const api = apiNames.get(scope) ?? scope;
      const named: TokenCredential = {
        getToken: async (scopes, options) => {
          try {
            return await credential.getToken(scopes, options);
          } catch (err) {
            throw tokenFailure(api, err);
          }
        },
      };
      policy = bearerTokenAuthenticationPolicy({ credential: named, scopes: scope });
      policies.set(scope, policy);
    }
    return policy;
  };
  return {
    name: bearerPerAudiencePolicyName,
    sendRequest: (request, next) => policyFor(callOf(request).scope).sendRequest(request, next),
  };
}
