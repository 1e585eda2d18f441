// App-only credentials from @azure/identity, chosen from the standard AZURE_* variables (or
// forced by the stack's `credential` setting). Read from the environment when the first request
// needs a token, never from config or state, so no secret reaches Pulumi.
import { createDefaultHttpClient, createPipelineRequest, type PipelineResponse } from "@azure/core-rest-pipeline";
import type { TokenCredential } from "@azure/identity";
import { MailboxAddressesError } from "../../core/errors";
import type { ExchangeOnlineTargetSettings } from "./settings";
import { ConnectionError, connectionProblem } from "./http-error";

export class CredentialSetupError extends MailboxAddressesError {
  constructor(message: string) {
    super(message);
    this.name = "CredentialSetupError";
  }
}

type Kind = Exclude<ExchangeOnlineTargetSettings["credential"], "environment">;

/** Which credential the environment describes, in @azure/identity's order. */
export function credentialKindFromEnvironment(env: NodeJS.ProcessEnv): Kind | undefined {
  if (env.AZURE_CLIENT_SECRET) return "client-secret";
  if (env.AZURE_CLIENT_CERTIFICATE_PATH) return "client-certificate";
  if (env.AZURE_FEDERATED_TOKEN_FILE) return "workload-identity";
  if (env.IDENTITY_ENDPOINT || env.MSI_ENDPOINT) return "managed-identity";
  return undefined;
}

export function createCredential(
  settings: ExchangeOnlineTargetSettings,
  env: NodeJS.ProcessEnv = process.env,
): TokenCredential {
  // Required here: the local target never loads the Microsoft clients.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a target loads its clients only when a backend is created
  const identity = require("@azure/identity") as typeof import("@azure/identity");
  const kind = settings.credential === "environment" ? credentialKindFromEnvironment(env) : settings.credential;
  const options = {
    authorityHost: settings.authorityHost,
    disableInstanceDiscovery: settings.authorityHost !== "https://login.microsoftonline.com",
  };
  const need = (name: string): string => {
    const value = env[name];
    if (!value) throw new CredentialSetupError(`the ${kind} credential needs the environment variable ${name}`);
    return value;
  };
  switch (kind) {
    case "client-secret":
      return new identity.ClientSecretCredential(
        settings.tenantId,
        settings.clientId,
        need("AZURE_CLIENT_SECRET"),
        options,
      );
    case "client-certificate":
      return new identity.ClientCertificateCredential(
        settings.tenantId,
        settings.clientId,
        {
          certificatePath: need("AZURE_CLIENT_CERTIFICATE_PATH"),
          ...(env.AZURE_CLIENT_CERTIFICATE_PASSWORD
            ? { certificatePassword: env.AZURE_CLIENT_CERTIFICATE_PASSWORD }
            : {}),
        },
        options,
      );
    case "workload-identity":
      return new identity.WorkloadIdentityCredential({
        tenantId: settings.tenantId,
        clientId: settings.clientId,
        tokenFilePath: need("AZURE_FEDERATED_TOKEN_FILE"),
        ...options,
      });
    case "managed-identity":
      return new identity.ManagedIdentityCredential(env.AZURE_CLIENT_ID ? { clientId: env.AZURE_CLIENT_ID } : {});
    default:
      throw new CredentialSetupError(
        "no credential found: set AZURE_CLIENT_SECRET (client secret), AZURE_CLIENT_CERTIFICATE_PATH (certificate), AZURE_FEDERATED_TOKEN_FILE (workload identity federation, e.g. in CI) or run with a managed identity; AZURE_TENANT_ID and AZURE_CLIENT_ID are not needed, the stack's tenantId and clientId are used",
      );
  }
}

/** The directory (tenant) is not known to the authority: a wrong `tenantId`, or the wrong cloud. */
export class TenantNotFoundError extends MailboxAddressesError {
  constructor(authorityHost: string, tenantId: string, detail: string) {
    let host = authorityHost;
    try {
      host = new URL(authorityHost).host;
    } catch {
      // keep it as given
    }
    super(
      `the identity platform at ${host} does not know the tenant "${tenantId.slice(0, 100)}" (${detail.slice(0, 160)}). ` +
        "Check the stack's tenantId (the directory id, or its <name>.onmicrosoft.com domain) and authorityHost (another cloud has another authority)",
    );
    this.name = "TenantNotFoundError";
  }
}

/**
 * Why getting a token failed, when the authority itself is the cause: it cannot be reached
 * (refused, not resolved), its certificate is not trusted, or it does not know the tenant. MSAL
 * reports all of them as `endpoints_resolution_error`; one request to the tenant's OpenID
 * metadata tells them apart. Undefined when the authority answers for the tenant.
 */
export async function diagnoseAuthority(authorityHost: string, tenantId: string): Promise<Error | undefined> {
  const url = `${authorityHost.replace(/\/$/, "")}/${encodeURIComponent(tenantId)}/v2.0/.well-known/openid-configuration`;
  let response: PipelineResponse;
  try {
    // One request, no retries, on the same HTTP client (and so the same TLS trust) as the pipeline.
    response = await createDefaultHttpClient().sendRequest(createPipelineRequest({ url, timeout: 10_000 }));
  } catch (err) {
    const problem = connectionProblem(err);
    if (problem !== undefined) return new ConnectionError(authorityHost, problem);
    if (err instanceof Error && err.name === "AbortError")
      return new ConnectionError(authorityHost, { kind: "unreachable", code: "no answer in 10 s" });
    return undefined;
  }
  const text = response.bodyAsText ?? "";
  if (response.status >= 200 && response.status < 300) return undefined;
  const aadsts = /AADSTS(90002|900023|90013)\b[^\\"\r\n]*/.exec(text)?.[0];
  if (aadsts !== undefined || response.status === 404 || /invalid_tenant/.test(text)) {
    return new TenantNotFoundError(authorityHost, tenantId, aadsts ?? `HTTP ${response.status}`);
  }
  return undefined;
}

/** A credential whose failures say when the authority is the cause (see {@link diagnoseAuthority}). */
export function diagnosingCredential(
  credential: TokenCredential,
  settings: ExchangeOnlineTargetSettings,
): TokenCredential {
  if (settings.credential === "managed-identity") return credential;
  return {
    getToken: async (scopes, options) => {
      try {
        return await credential.getToken(scopes, options);
      } catch (err) {
        throw (await diagnoseAuthority(settings.authorityHost, settings.tenantId)) ?? err;
      }
    },
  };
}
