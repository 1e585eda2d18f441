// The Microsoft identity platform, as far as app-only clients use it: OpenID metadata and its
// signing keys (jwks_uri), the v2.0 token endpoint (client credentials with a secret in the body
// or as HTTP Basic, a certificate assertion or a federated token), the App Service
// managed-identity endpoint, and the checks every API applies to a bearer token (signature,
// issuer, tenant, lifetime, audience, app roles). Error texts follow AADSTS messages; token
// claims follow Entra's v1.0 app-only access tokens.
// Sources: https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow
//          https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference
//          https://learn.microsoft.com/entra/identity-platform/reference-error-codes
import { createHash, createPublicKey, randomBytes, randomInt, randomUUID, X509Certificate } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { EmulatorSecrets } from "./certificates";
import { readBody, sendJson } from "./http";
import { decodeJwt, now, signJwt, verifySignature, type Claims } from "./jwt";

/** Resource ids of the two APIs, as in real tokens' `aud`. */
export const AUDIENCES = {
  graph: "https://graph.microsoft.com",
  exchange: "https://outlook.office365.com",
} as const;

/** Entra's built-in directory role template ids (tokens carry them in `wids`). */
export const DIRECTORY_ROLES = {
  globalAdministrator: "62e90394-69f5-4237-9190-012177145e10",
  exchangeAdministrator: "29232cdf-9323-42fd-ade2-1d097af3e4de",
} as const;

/**
 * The id every captured app-only token carries in `wids`, after the roles assigned (a captured
 * Exchange app-only token: wids ["0997a1d0-…"] alone; a captured one with Global Reader:
 * [Global Reader, "0997a1d0-…"]). No role definition has that template id: it grants nothing.
 */
export const APP_ONLY_WID = "0997a1d0-0d1d-4acb-b408-d5ca73121e90";

/** The stand-in CI identity provider whose tokens the test app trusts (workload identity). */
export const FEDERATION = {
  issuer: "https://ci.emulator.invalid",
  subject: "repo:contoso/mailbox-addresses:ref:refs/heads/main",
  audience: "api://AzureADTokenExchange",
} as const;

/** Clock skew a token's `nbf` and `exp` are given, as Microsoft.IdentityModel's default (5 min). */
export const CLOCK_SKEW_SECONDS = 300;

/** Entra backdates an access token's `iat` and `nbf` by five minutes, for clients whose clock runs late. */
export const TOKEN_BACKDATE_SECONDS = 300;

/** The only `client_assertion_type` Entra takes (RFC 7523 §2.2). */
export const JWT_BEARER_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** What discovery documents may be cached for, as Entra sends them. */
const DISCOVERY_CACHE_CONTROL = "max-age=86400, private";

/** What each app was granted: app roles per API, and the directory roles of its service principal. */
interface AppGrant {
  readonly displayName: string;
  readonly roles: Readonly<Record<string, readonly string[]>>;
  readonly wids: readonly string[];
  /**
   * Its service principal is registered in Exchange with a management role assignment
   * (New-ServicePrincipal, New-ManagementRoleAssignment: the app-only auth docs' custom RBAC,
   * REST mode only), so Exchange grants it a session without a directory role in `wids`.
   */
  readonly exchangeRoleAssignment: boolean;
}

export interface TenantIdentity {
  readonly tenantId: string;
  readonly tenantDomain: string;
}

/** The tenant-independent authorities; client credentials refuse them (AADSTS50194). */
const MULTI_TENANT_AUTHORITIES = new Set(["common", "organizations", "consumers"]);

export class IdentityEndpoint {
  readonly #secrets: EmulatorSecrets;
  readonly #tenant: TenantIdentity;
  readonly #baseUrl: () => string;
  readonly #grants: Map<string, AppGrant>;
  /** The test app's registered certificate as a client names it in an assertion's header: `x5t` (SHA-1) or `x5t#S256` (SHA-256), base64url. */
  readonly #certificateThumbprints: { readonly x5t: string; readonly x5tS256: string };

  constructor(secrets: EmulatorSecrets, tenant: TenantIdentity, baseUrl: () => string) {
    this.#secrets = secrets;
    const der = new X509Certificate(secrets.clientCertificate).raw;
    this.#certificateThumbprints = {
      x5t: createHash("sha1").update(der).digest("base64url"),
      x5tS256: createHash("sha256").update(der).digest("base64url"),
    };
    this.#tenant = tenant;
    this.#baseUrl = baseUrl;
    this.#grants = new Map<string, AppGrant>([
      [
        secrets.clientId,
        {
          displayName: "mailbox-addresses (emulator test app)",
          roles: {
            [AUDIENCES.graph]: ["User.Read.All", "User.ReadWrite.All"],
            [AUDIENCES.exchange]: ["Exchange.ManageAsApp"],
          },
          wids: [DIRECTORY_ROLES.exchangeAdministrator],
          exchangeRoleAssignment: true,
        },
      ],
      [
        secrets.unprivilegedClientId,
        { displayName: "mailbox-addresses (no permissions)", roles: {}, wids: [], exchangeRoleAssignment: false },
      ],
      [
        secrets.rolelessClientId,
        {
          displayName: "mailbox-addresses (no Exchange role)",
          roles: { [AUDIENCES.graph]: ["User.Read.All"], [AUDIENCES.exchange]: ["Exchange.ManageAsApp"] },
          wids: [],
          exchangeRoleAssignment: false,
        },
      ],
    ]);
  }

  /** The issuer of the access tokens this tenant's token endpoint issues (v1.0 tokens). */
  get accessTokenIssuer(): string {
    return `https://sts.windows.net/${this.#tenant.tenantId}/`;
  }

  #knownTenant(name: string): boolean {
    const lower = name.toLowerCase();
    return lower === this.#tenant.tenantId.toLowerCase() || lower === this.#tenant.tenantDomain.toLowerCase();
  }

  #send(res: ServerResponse, status: number, body: unknown): void {
    // The token endpoint forbids caching of what it answers (RFC 6749 §5.1), as Entra does, and
    // names each answer with a request id, as every Entra answer does (x-ms-request-id).
    sendJson(res, status, body, {
      "Cache-Control": "no-store, no-cache",
      Pragma: "no-cache",
      "x-ms-request-id": randomUUID(),
      "x-ms-ests-server": "emulator",
    });
  }

  #error(res: ServerResponse, status: number, error: string, code: number, description: string): void {
    const timestamp = new Date()
      .toISOString()
      .replace(/\.\d+Z$/, "Z")
      .replace("T", " ");
    const traceId = randomUUID();
    const correlationId = randomUUID();
    this.#send(res, status, {
      error,
      error_description: `AADSTS${code}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `${this.#baseUrl()}/error?code=${code}`,
    });
  }

  /** Issues an access token for `clientId` and `audience`; `appidacr` says how the app proved itself. */
  issueToken(clientId: string, audience: string, appidacr: "1" | "2" = "1"): { token: string; expiresIn: number } {
    const issuedAt = now() - TOKEN_BACKDATE_SECONDS;
    // Entra picks an access token's lifetime between 60 and 90 minutes.
    const lifetime = randomInt(3600, 5401);
    const grant = this.#grants.get(clientId);
    const principal = this.#secrets.servicePrincipals[clientId] ?? randomUUID();
    const roles = grant?.roles[audience] ?? [];
    const claims: Claims = {
      aud: audience,
      iss: this.accessTokenIssuer,
      iat: issuedAt,
      nbf: issuedAt,
      exp: issuedAt + TOKEN_BACKDATE_SECONDS + lifetime,
      // Opaque to clients (Entra's claims reference: "aio", "rh"): present so that clients and
      // token checks meet the shape real tokens have; their content means nothing here.
      aio: randomBytes(48).toString("base64url"),
      app_displayname: grant?.displayName,
      appid: clientId,
      appidacr,
      idp: this.accessTokenIssuer,
      idtyp: "app",
      oid: principal,
      rh: `1.${randomBytes(40).toString("base64url")}.`,
      // Claims with nothing to say are left out, not sent empty.
      ...(roles.length > 0 ? { roles } : {}),
      sid: randomUUID(),
      sub: principal,
      tid: this.#tenant.tenantId,
      uti: randomBytes(16).toString("base64url").slice(0, 22),
      ver: "1.0",
      // An app with roles gets its directory roles and the app-only id, as captured tokens have
      // them; an app with nothing granted gets no wids (not captured: see the fidelity samples).
      ...(grant && (grant.wids.length > 0 || Object.values(grant.roles).some((r) => r.length > 0))
        ? { wids: [...grant.wids, APP_ONLY_WID] }
        : {}),
    };
    return {
      token: signJwt(claims, this.#secrets.tokenSigningKey, {
        kid: this.#secrets.tokenKeyId,
        x5t: this.#secrets.tokenKeyId,
      }),
      expiresIn: lifetime,
    };
  }

  /** Signs a token as the stand-in CI provider would (a GitHub Actions OIDC token, say). */
  federatedToken(lifetimeSeconds = 3600): string {
    const issuedAt = now();
    return signJwt(
      {
        iss: FEDERATION.issuer,
        sub: FEDERATION.subject,
        aud: FEDERATION.audience,
        iat: issuedAt,
        nbf: issuedAt,
        exp: issuedAt + lifetimeSeconds,
      },
      this.#secrets.federationKey,
    );
  }

  /** `/{tenant}/v2.0/.well-known/openid-configuration`, with every field Entra's document has. */
  openidConfiguration(res: ServerResponse, tenant: string): void {
    const multi = MULTI_TENANT_AUTHORITIES.has(tenant.toLowerCase());
    if (!multi && !this.#knownTenant(tenant))
      return this.#error(
        res,
        400,
        "invalid_tenant",
        90002,
        `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
      );
    const base = `${this.#baseUrl()}/${tenant}`;
    sendJson(
      res,
      200,
      {
        token_endpoint: `${base}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        jwks_uri: `${base}/discovery/v2.0/keys`,
        response_modes_supported: ["query", "fragment", "form_post"],
        subject_types_supported: ["pairwise"],
        id_token_signing_alg_values_supported: ["RS256"],
        response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
        scopes_supported: ["openid", "profile", "email", "offline_access"],
        // The tenant-independent documents name the issuer with a placeholder, as Entra's do.
        issuer: `${this.#baseUrl()}/${multi ? "{tenantid}" : this.#tenant.tenantId}/v2.0`,
        request_uri_parameter_supported: false,
        userinfo_endpoint: `${this.#baseUrl()}/oidc/userinfo`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
        http_logout_supported: true,
        frontchannel_logout_supported: true,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        claims_supported: [
          "sub",
          "iss",
          "cloud_instance_name",
          "cloud_instance_host_name",
          "cloud_graph_host_name",
          "msgraph_host",
          "aud",
          "exp",
          "iat",
          "auth_time",
          "acr",
          "nonce",
          "preferred_username",
          "name",
          "tid",
          "ver",
          "at_hash",
          "c_hash",
          "email",
        ],
        kerberos_endpoint: `${base}/kerberos`,
        tenant_region_scope: multi ? null : "EU",
        cloud_instance_name: "microsoftonline.com",
        cloud_graph_host_name: "graph.windows.net",
        msgraph_host: "graph.microsoft.com",
        rbac_url: "https://pas.windows.net",
      },
      { "Cache-Control": DISCOVERY_CACHE_CONTROL, "x-ms-request-id": randomUUID() },
    );
  }

  /** `/{tenant}/discovery/v2.0/keys`: the keys that sign this tenant's tokens, as a JWK set. */
  signingKeys(res: ServerResponse, tenant: string): void {
    if (!MULTI_TENANT_AUTHORITIES.has(tenant.toLowerCase()) && !this.#knownTenant(tenant)) {
      return this.#error(
        res,
        400,
        "invalid_tenant",
        90002,
        `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
      );
    }
    const jwk = createPublicKey(this.#secrets.tokenSigningPublicKey).export({ format: "jwk" }) as {
      n: string;
      e: string;
    };
    sendJson(
      res,
      200,
      {
        keys: [
          {
            kty: "RSA",
            use: "sig",
            kid: this.#secrets.tokenKeyId,
            x5t: this.#secrets.tokenKeyId,
            n: jwk.n,
            e: jwk.e,
            issuer: `${this.#baseUrl()}/${this.#tenant.tenantId}/v2.0`,
          },
        ],
      },
      { "Cache-Control": DISCOVERY_CACHE_CONTROL, "x-ms-request-id": randomUUID() },
    );
  }

  /** `/{tenant}/oauth2/v2.0/token`: the client credentials grant. */
  async token(req: IncomingMessage, res: ServerResponse, tenant: string): Promise<void> {
    if (MULTI_TENANT_AUTHORITIES.has(tenant.toLowerCase())) {
      // The test apps are single-tenant, and client credentials need to know the tenant.
      return this.#error(
        res,
        400,
        "invalid_request",
        50194,
        `Application is not configured as a multi-tenant application. Usage of the /${tenant} endpoint is not supported for such applications created after '10/15/2018'. Use a tenant-specific endpoint or configure the application to be multi-tenant.`,
      );
    }
    if (!this.#knownTenant(tenant))
      return this.#error(
        res,
        400,
        "invalid_tenant",
        90002,
        `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
      );
    const form = new URLSearchParams(await readBody(req, 64 * 1024));
    // HTTP Basic client authentication (client_secret_basic, RFC 6749 §2.3.1): the metadata
    // advertises it, so the endpoint accepts it.
    const basic = /^Basic\s+(\S+)$/i.exec(req.headers.authorization ?? "");
    if (basic) {
      const decoded = Buffer.from(basic[1]!, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon < 0)
        return this.#error(
          res,
          401,
          "invalid_client",
          7000215,
          "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.",
        );
      const id = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, " "));
      const secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, " "));
      if (form.has("client_id") && form.get("client_id") !== id) {
        return this.#error(
          res,
          400,
          "invalid_request",
          900144,
          "The client_id in the Authorization header and the request body differ.",
        );
      }
      form.set("client_id", id);
      form.set("client_secret", secret);
    }
    if (form.get("grant_type") !== "client_credentials") {
      return this.#error(
        res,
        400,
        "unsupported_grant_type",
        70003,
        "The app requested an unsupported grant type; the emulator serves client_credentials only.",
      );
    }
    const clientId = form.get("client_id") ?? "";
    if (clientId === "")
      return this.#error(
        res,
        400,
        "invalid_request",
        900144,
        "The request body must contain the following parameter: 'client_id'.",
      );
    if (!this.#grants.has(clientId)) {
      return this.#error(
        res,
        400,
        "unauthorized_client",
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${this.#tenant.tenantDomain}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      );
    }
    const scope = (form.get("scope") ?? "").trim();
    const scopes = scope.split(/\s+/).filter(Boolean);
    if (scopes.length === 0)
      return this.#error(
        res,
        400,
        "invalid_request",
        900144,
        "The request body must contain the following parameter: 'scope'.",
      );
    // Client credentials ask for one resource's /.default, nothing else.
    const wrong = scopes.find((s) => !s.endsWith("/.default"));
    if (wrong !== undefined) {
      return this.#error(
        res,
        400,
        "invalid_scope",
        1002012,
        `The provided value for scope ${wrong} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      );
    }
    if (new Set(scopes).size > 1) {
      return this.#error(
        res,
        400,
        "invalid_scope",
        70011,
        `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope ${scope} is not valid.`,
      );
    }
    const audience = scopes[0]!.slice(0, -"/.default".length).replace(/\/$/, "");
    if (!Object.values(AUDIENCES).includes(audience as never)) {
      return this.#error(
        res,
        400,
        "invalid_resource",
        500011,
        `The resource principal named ${audience} was not found in the tenant named ${this.#tenant.tenantDomain}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
      );
    }
    const secret = form.get("client_secret");
    const assertion = form.get("client_assertion");
    let appidacr: "1" | "2";
    if (secret !== null) {
      const expected =
        clientId === this.#secrets.clientId
          ? this.#secrets.clientSecret
          : clientId === this.#secrets.rolelessClientId
            ? this.#secrets.rolelessClientSecret
            : this.#secrets.unprivilegedClientSecret;
      if (secret !== expected) {
        return this.#error(
          res,
          401,
          "invalid_client",
          7000215,
          `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
        );
      }
      appidacr = "1";
    } else if (assertion !== null) {
      // Entra refuses an assertion whose type is not said (AADSTS900144) or is another type.
      const assertionType = form.get("client_assertion_type");
      if (assertionType === null)
        return this.#error(
          res,
          400,
          "invalid_request",
          900144,
          "The request body must contain the following parameter: 'client_assertion_type'.",
        );
      if (assertionType !== JWT_BEARER_ASSERTION_TYPE) {
        return this.#error(
          res,
          400,
          "invalid_request",
          50027,
          `Invalid JWT token. The client_assertion_type '${assertionType}' is not supported.`,
        );
      }
      const problem = this.#checkAssertion(assertion, clientId, tenant);
      if (problem) return this.#error(res, 401, "invalid_client", problem.code, problem.description);
      appidacr = "2";
    } else {
      return this.#error(
        res,
        401,
        "invalid_client",
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      );
    }
    const { token, expiresIn } = this.issueToken(clientId, audience, appidacr);
    this.#send(res, 200, {
      token_type: "Bearer",
      expires_in: expiresIn,
      ext_expires_in: expiresIn,
      access_token: token,
    });
  }

  #checkAssertion(
    assertion: string,
    clientId: string,
    tenant: string,
  ): { code: number; description: string } | undefined {
    const jwt = decodeJwt(assertion);
    if (jwt === undefined) return { code: 50027, description: "JWT token is invalid or malformed." };
    const exp = Number(jwt.claims.exp ?? 0);
    if (exp < now()) return { code: 700024, description: "Client assertion is not within its valid time range." };
    if (Number(jwt.claims.nbf ?? 0) > now() + CLOCK_SKEW_SECONDS)
      return { code: 700024, description: "Client assertion is not within its valid time range." };
    if (jwt.claims.iss === FEDERATION.issuer) {
      if (
        !verifySignature(jwt, this.#secrets.federationPublicKey) ||
        jwt.claims.sub !== FEDERATION.subject ||
        jwt.claims.aud !== FEDERATION.audience
      ) {
        return { code: 70021, description: "No matching federated identity record found for presented assertion." };
      }
      return clientId === this.#secrets.clientId
        ? undefined
        : { code: 70021, description: "No matching federated identity record found for presented assertion." };
    }
    // A certificate assertion: signed with the app's key, issued by and about the app itself.
    if (jwt.claims.iss !== clientId || jwt.claims.sub !== clientId) {
      return { code: 700023, description: "Client assertion audience claim does not match Realm issuer." };
    }
    const audience = String(jwt.claims.aud ?? "");
    if (
      !audience.endsWith(`/${tenant}/oauth2/v2.0/token`) &&
      !audience.endsWith(`/${this.#tenant.tenantId}/oauth2/v2.0/token`)
    ) {
      return { code: 700023, description: "Client assertion audience claim does not match Realm issuer." };
    }
    // Entra finds the key by the thumbprint in the header, before it checks the signature
    // (msal-node sends `x5t`, or `x5t#S256` with PS256; a thumbprint it does not know: AADSTS700027).
    const x5t = typeof jwt.header.x5t === "string" ? jwt.header.x5t : undefined;
    const x5tS256 = typeof jwt.header["x5t#S256"] === "string" ? jwt.header["x5t#S256"] : undefined;
    if (x5t === undefined && x5tS256 === undefined)
      return { code: 50027, description: "Invalid JWT token. No certificate thumbprint specified in token header." };
    const known =
      clientId === this.#secrets.clientId &&
      (x5t === this.#certificateThumbprints.x5t || x5tS256 === this.#certificateThumbprints.x5tS256);
    if (!known) {
      const shown = x5t !== undefined ? Buffer.from(x5t, "base64url").toString("hex").toUpperCase() : (x5tS256 ?? "");
      return {
        code: 700027,
        description: `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${shown}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${clientId}'.]`,
      };
    }
    if (!verifySignature(jwt, this.#secrets.clientCertificate)) {
      return { code: 700027, description: "Client assertion contains an invalid signature." };
    }
    return undefined;
  }

  /** App Service managed identity: `GET /msi/token?resource=...` with X-IDENTITY-HEADER. */
  managedIdentity(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (req.headers["x-identity-header"] !== this.#secrets.clientSecret) {
      return sendJson(res, 401, {
        error: "invalid_request",
        error_description: "The X-IDENTITY-HEADER header is missing or wrong.",
      });
    }
    const resource = (url.searchParams.get("resource") ?? "").replace(/\/\.default$/, "").replace(/\/$/, "");
    if (!Object.values(AUDIENCES).includes(resource as never)) {
      return sendJson(res, 400, {
        error: "invalid_resource",
        error_description: `The resource ${resource} is not known.`,
      });
    }
    const { token, expiresIn } = this.issueToken(this.#secrets.clientId, resource, "2");
    sendJson(res, 200, {
      access_token: token,
      expires_on: String(now() + expiresIn),
      resource,
      token_type: "Bearer",
      client_id: this.#secrets.clientId,
    });
  }

  /**
   * Checks a bearer token for an API. Returns the token's claims when it is good, else the HTTP
   * status and the reason (401: missing, malformed, bad signature, another issuer or tenant, not
   * yet valid, expired, wrong audience; 403: no app role).
   */
  /** True when the service principal `oid` has a management role assignment in Exchange (see AppGrant). */
  hasExchangeRoleAssignment(oid: unknown): boolean {
    return [...this.#grants].some(
      ([clientId, grant]) => grant.exchangeRoleAssignment && this.#secrets.servicePrincipals[clientId] === oid,
    );
  }

  checkBearer(
    token: string | undefined,
    audience: string,
    anyRole: readonly string[],
  ): { ok: true; claims: Claims } | { ok: false; status: 401 | 403; reason: string } {
    const refuse = (status: 401 | 403, reason: string) => ({ ok: false as const, status, reason });
    if (token === undefined || token === "") return refuse(401, "Access token is empty.");
    const jwt = decodeJwt(token);
    if (jwt === undefined) return refuse(401, "IDX14100: JWT is not well formed, there are no dots (.).");
    if (jwt.header.alg !== "RS256" || !verifySignature(jwt, this.#secrets.tokenSigningPublicKey))
      return refuse(401, "Access token validation failure. Invalid signature.");
    // A token signed by the same key but issued for another tenant must not open this one.
    if (jwt.claims.iss !== this.accessTokenIssuer)
      return refuse(401, "Access token validation failure. Invalid issuer.");
    if (String(jwt.claims.tid ?? "").toLowerCase() !== this.#tenant.tenantId.toLowerCase())
      return refuse(401, "Access token validation failure. Invalid tenant.");
    const t = now();
    if (typeof jwt.claims.nbf !== "number" || jwt.claims.nbf > t + CLOCK_SKEW_SECONDS)
      return refuse(401, "Lifetime validation failed, the token is not yet valid.");
    if (typeof jwt.claims.exp !== "number" || jwt.claims.exp < t)
      return refuse(401, "Lifetime validation failed, the token is expired.");
    if (jwt.claims.aud !== audience) return refuse(401, "Access token validation failure. Invalid audience.");
    const roles = Array.isArray(jwt.claims.roles) ? (jwt.claims.roles as string[]) : [];
    if (!roles.some((r) => anyRole.includes(r)))
      return refuse(403, "Insufficient privileges to complete the operation.");
    return { ok: true, claims: jwt.claims };
  }
}
