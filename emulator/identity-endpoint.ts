// The Microsoft identity platform, as far as app-only clients use it: OpenID metadata, the v2.0
// token endpoint (client credentials with a secret, a certificate assertion or a federated
// token), the App Service managed-identity endpoint, and the checks every API applies to a
// bearer token (signature, expiry, audience, app roles). Error texts follow AADSTS messages.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { EmulatorSecrets } from "./certificates";
import { readBody, sendJson } from "./http";
import { decodeJwt, now, signJwt, verifySignature } from "./jwt";

/** Resource ids of the two APIs, as in real tokens' `aud`. */
export const AUDIENCES = {
  graph: "https://graph.microsoft.com",
  exchange: "https://outlook.office365.com",
} as const;

/** The stand-in CI identity provider whose tokens the test app trusts (workload identity). */
export const FEDERATION = {
  issuer: "https://ci.emulator.invalid",
  subject: "repo:contoso/mailbox-addresses:ref:refs/heads/main",
  audience: "api://AzureADTokenExchange",
} as const;

/** App roles granted to the test app; the unprivileged app has none. */
const ROLES: Record<string, readonly string[]> = {
  [AUDIENCES.graph]: ["User.Read.All"],
  [AUDIENCES.exchange]: ["Exchange.ManageAsApp"],
};

export interface TenantIdentity {
  readonly tenantId: string;
  readonly tenantDomain: string;
}

function aadError(res: ServerResponse, status: number, error: string, code: number, description: string): void {
  sendJson(res, status, {
    error,
    error_description: `AADSTS${code}: ${description}\r\nTrace ID: ${randomUUID()}\r\nCorrelation ID: ${randomUUID()}\r\nTimestamp: ${new Date().toISOString()}`,
    error_codes: [code],
    timestamp: new Date().toISOString(),
    trace_id: randomUUID(),
    correlation_id: randomUUID(),
  });
}

export class IdentityEndpoint {
  readonly #secrets: EmulatorSecrets;
  readonly #tenant: TenantIdentity;
  readonly #baseUrl: () => string;

  constructor(secrets: EmulatorSecrets, tenant: TenantIdentity, baseUrl: () => string) {
    this.#secrets = secrets;
    this.#tenant = tenant;
    this.#baseUrl = baseUrl;
  }

  #knownTenant(name: string): boolean {
    const lower = name.toLowerCase();
    return lower === this.#tenant.tenantId.toLowerCase() || lower === this.#tenant.tenantDomain.toLowerCase() || lower === "organizations";
  }

  /** Issues an access token for `clientId` and `audience`. */
  issueToken(clientId: string, audience: string): { token: string; expiresIn: number } {
    const issuedAt = now();
    const privileged = clientId === this.#secrets.clientId;
    const claims = {
      aud: audience,
      iss: `https://sts.windows.net/${this.#tenant.tenantId}/`,
      iat: issuedAt,
      nbf: issuedAt,
      exp: issuedAt + 3600,
      appid: clientId,
      oid: clientId,
      tid: this.#tenant.tenantId,
      roles: privileged ? ROLES[audience] ?? [] : [],
      ver: "1.0",
    };
    return { token: signJwt(claims, this.#secrets.tokenSigningKey, { kid: this.#secrets.tokenKeyId }), expiresIn: 3600 };
  }

  /** Signs a token as the stand-in CI provider would (a GitHub Actions OIDC token, say). */
  federatedToken(lifetimeSeconds = 3600): string {
    const issuedAt = now();
    return signJwt(
      { iss: FEDERATION.issuer, sub: FEDERATION.subject, aud: FEDERATION.audience, iat: issuedAt, nbf: issuedAt, exp: issuedAt + lifetimeSeconds },
      this.#secrets.federationKey,
    );
  }

  /** `/{tenant}/v2.0/.well-known/openid-configuration` */
  openidConfiguration(res: ServerResponse, tenant: string): void {
    if (!this.#knownTenant(tenant)) return aadError(res, 400, "invalid_tenant", 90002, `Tenant '${tenant}' not found.`);
    const base = `${this.#baseUrl()}/${tenant}`;
    sendJson(res, 200, {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ["query", "fragment", "form_post"],
      subject_types_supported: ["pairwise"],
      id_token_signing_alg_values_supported: ["RS256"],
      response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
      scopes_supported: ["openid", "profile", "email", "offline_access"],
      issuer: `${this.#baseUrl()}/${this.#tenant.tenantId}/v2.0`,
      request_uri_parameter_supported: false,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      tenant_region_scope: "EU",
      cloud_instance_name: "microsoftonline.com",
    });
  }

  /** `/{tenant}/oauth2/v2.0/token`: the client credentials grant. */
  async token(req: IncomingMessage, res: ServerResponse, tenant: string): Promise<void> {
    if (!this.#knownTenant(tenant)) return aadError(res, 400, "invalid_tenant", 90002, `Tenant '${tenant}' not found.`);
    const form = new URLSearchParams(await readBody(req));
    if (form.get("grant_type") !== "client_credentials") {
      return aadError(res, 400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type; the emulator serves client_credentials only.");
    }
    const clientId = form.get("client_id") ?? "";
    const known = [this.#secrets.clientId, this.#secrets.unprivilegedClientId];
    if (!known.includes(clientId)) {
      return aadError(res, 400, "unauthorized_client", 700016, `Application with identifier '${clientId}' was not found in the directory '${this.#tenant.tenantDomain}'.`);
    }
    const scope = (form.get("scope") ?? "").split(" ").find((s) => s.endsWith("/.default"));
    const audience = scope?.slice(0, -"/.default".length);
    if (audience === undefined || !Object.values(AUDIENCES).includes(audience as never)) {
      return aadError(res, 400, "invalid_resource", 500011, `The resource principal named ${audience ?? form.get("scope")} was not found in the tenant named ${this.#tenant.tenantDomain}.`);
    }
    const secret = form.get("client_secret");
    const assertion = form.get("client_assertion");
    if (secret !== null) {
      const expected = clientId === this.#secrets.clientId ? this.#secrets.clientSecret : this.#secrets.unprivilegedClientSecret;
      if (secret !== expected) {
        return aadError(res, 401, "invalid_client", 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`);
      }
    } else if (assertion !== null) {
      const problem = this.#checkAssertion(assertion, clientId, tenant);
      if (problem) return aadError(res, 401, "invalid_client", problem.code, problem.description);
    } else {
      return aadError(res, 401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    }
    const { token, expiresIn } = this.issueToken(clientId, audience);
    sendJson(res, 200, { token_type: "Bearer", expires_in: expiresIn, ext_expires_in: expiresIn, access_token: token });
  }

  #checkAssertion(assertion: string, clientId: string, tenant: string): { code: number; description: string } | undefined {
    const jwt = decodeJwt(assertion);
    if (jwt === undefined) return { code: 50027, description: "JWT token is invalid or malformed." };
    const exp = Number(jwt.claims.exp ?? 0);
    if (exp < now()) return { code: 700024, description: "Client assertion is not within its valid time range." };
    if (jwt.claims.iss === FEDERATION.issuer) {
      if (!verifySignature(jwt, this.#secrets.federationPublicKey) || jwt.claims.sub !== FEDERATION.subject || jwt.claims.aud !== FEDERATION.audience) {
        return { code: 70021, description: "No matching federated identity record found for presented assertion." };
      }
      return clientId === this.#secrets.clientId ? undefined : { code: 70021, description: "No matching federated identity record found for presented assertion." };
    }
    // A certificate assertion: signed with the app's key, issued by and about the app itself.
    if (jwt.claims.iss !== clientId || jwt.claims.sub !== clientId) {
      return { code: 700023, description: "Client assertion audience claim does not match Realm issuer." };
    }
    const audience = String(jwt.claims.aud ?? "");
    if (!audience.endsWith(`/${tenant}/oauth2/v2.0/token`) && !audience.endsWith(`/${this.#tenant.tenantId}/oauth2/v2.0/token`)) {
      return { code: 700023, description: "Client assertion audience claim does not match Realm issuer." };
    }
    if (clientId !== this.#secrets.clientId || !verifySignature(jwt, this.#secrets.clientCertificate)) {
      return { code: 700027, description: "Client assertion contains an invalid signature." };
    }
    return undefined;
  }

  /** App Service managed identity: `GET /msi/token?resource=...` with X-IDENTITY-HEADER. */
  managedIdentity(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (req.headers["x-identity-header"] !== this.#secrets.clientSecret) {
      return sendJson(res, 401, { error: "invalid_request", error_description: "The X-IDENTITY-HEADER header is missing or wrong." });
    }
    const resource = (url.searchParams.get("resource") ?? "").replace(/\/\.default$/, "").replace(/\/$/, "");
    if (!Object.values(AUDIENCES).includes(resource as never)) {
      return sendJson(res, 400, { error: "invalid_resource", error_description: `The resource ${resource} is not known.` });
    }
    const { token, expiresIn } = this.issueToken(this.#secrets.clientId, resource);
    sendJson(res, 200, {
      access_token: token,
      expires_on: String(now() + expiresIn),
      resource,
      token_type: "Bearer",
      client_id: this.#secrets.clientId,
    });
  }

  /**
   * Checks a bearer token for an API. Returns undefined when it is good, else the HTTP status and
   * the reason (401: missing, bad signature, expired, wrong audience; 403: no app role).
   */
  checkBearer(token: string | undefined, audience: string, anyRole: readonly string[]): { status: 401 | 403; reason: string } | undefined {
    if (token === undefined) return { status: 401, reason: "Access token is empty." };
    const jwt = decodeJwt(token);
    if (jwt === undefined || !verifySignature(jwt, this.#secrets.tokenSigningPublicKey)) return { status: 401, reason: "Access token validation failure. Invalid signature." };
    if (Number(jwt.claims.exp ?? 0) < now()) return { status: 401, reason: "Lifetime validation failed, the token is expired." };
    if (jwt.claims.aud !== audience) return { status: 401, reason: "Access token validation failure. Invalid audience." };
    const roles = Array.isArray(jwt.claims.roles) ? (jwt.claims.roles as string[]) : [];
    if (!roles.some((r) => anyRole.includes(r))) return { status: 403, reason: "Insufficient privileges to complete the operation." };
    return undefined;
  }
}
