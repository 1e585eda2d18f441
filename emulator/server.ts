// The emulator: one HTTPS server on 127.0.0.1 speaking the Microsoft identity platform,
// Microsoft Graph (users) and the Exchange Online admin API over the tenant model, so the real
// @azure/identity, Graph (JavaScript and Python) and @azure/core-rest-pipeline clients run end to end. State (tenant database, keys) persists in
// a folder private to the user; faults and a propagation lag can be injected; every request is
// counted. The control plane (/_emulator/...) answers only to the token the emulator writes to
// its state folder (control-token, mode 0600) and prints at start.
import { timingSafeEqual } from "node:crypto";
import { chmodSync, existsSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { loadSeedFile } from "../tenant/load-seed";
import { Tenant } from "../tenant/tenant";
import { ensureSecrets, writePrivateFile, type EmulatorSecrets } from "./certificates";
import { canonicalCmdlet, cmdletError, ExchangeEndpoint, isWriteCmdlet } from "./exchange-endpoint";
import { checkFaultSettings, Counters, FaultInjector, FaultSettingsError, type FaultSettings, type Surface } from "./faults";
import { GraphEndpoint, graphError, graphHeaders, newCorrelation, type Correlation, type GraphResult } from "./graph-endpoint";
import { bearerToken, clientRequestId, readJsonBody, RequestError, sendJson, sleep } from "./http";
import { AUDIENCES, DIRECTORY_ROLES, IdentityEndpoint } from "./identity-endpoint";
import { DirectorySync, type DirectorySyncSettings } from "./directory-sync";
import { LaggedGraphView, StaleExchangeReads } from "./propagation";

export interface EmulatorOptions {
  /** Folder for the tenant database, keys and certificates (kept between starts). */
  readonly stateDir: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Seed used when the database is empty (default: the shipped Contoso seed). */
  readonly seedFile?: string;
  readonly faults?: FaultSettings;
  /** An on-premises AD whose users the emulator syncs into its tenant (./directory-sync.ts). */
  readonly directory?: DirectorySyncSettings;
}

/**
 * Where a client reaches this emulator: its tenant, its app, and the one URL that serves the
 * identity platform, Graph and the admin API. The emulator's own type: it knows nothing of its
 * clients' settings (targets/exchange-online/target.ts turns these into a stack's).
 */
export interface EmulatorEndpoints {
  readonly tenantId: string;
  readonly clientId: string;
  readonly authorityHost: string;
  readonly graphBaseUrl: string;
  readonly exchangeBaseUrl: string;
}

export interface RunningEmulator {
  readonly url: string;
  readonly tenantId: string;
  readonly tenantDomain: string;
  readonly secrets: EmulatorSecrets;
  readonly tenant: Tenant;
  readonly faults: FaultInjector;
  readonly counters: Counters;
  readonly federatedTokenFile: string;
  /** Opens the control plane: `Authorization: Bearer <controlToken>` (also in `<stateDir>/control-token`). */
  readonly controlToken: string;
  /** Environment a client process needs: CA, authority, tenant, app id and every credential kind. */
  environment(): Record<string, string>;
  /** Where a client reaches this emulator. */
  endpoints(): EmulatorEndpoints;
  close(): Promise<void>;
}

const GRAPH_ROLES = ["User.Read.All", "User.ReadWrite.All", "Directory.Read.All"];
/** Graph application permissions that allow PATCH /users/{id} (user-update). */
const GRAPH_WRITE_ROLES = ["User.ReadWrite.All", "Directory.ReadWrite.All"];
const EXCHANGE_ROLES = ["Exchange.ManageAsApp"];
/** Directory roles that carry an Exchange RBAC role in app-only sessions (app-only auth docs). */
const EXCHANGE_DIRECTORY_ROLES: readonly string[] = [DIRECTORY_ROLES.exchangeAdministrator, DIRECTORY_ROLES.globalAdministrator];

/** Compares secrets in constant time. */
function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `odata.maxpagesize=N` from Prefer (or X-Prefer, which the Exchange module sends). */
function maxPageSize(req: IncomingMessage): number | undefined {
  const prefer = `${req.headers.prefer ?? ""},${req.headers["x-prefer"] ?? ""}`;
  const match = /odata\.maxpagesize\s*=\s*(\d+)/i.exec(prefer);
  return match ? Number(match[1]) : undefined;
}

export async function startEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  const secrets = await ensureSecrets(options.stateDir);
  const tenantFile = path.join(options.stateDir, "tenant.sqlite");
  const tenant = Tenant.open(tenantFile);
  // The tenant's database is private too (SQLite gives its -wal and -shm files the same mode).
  for (const file of [tenantFile, `${tenantFile}-wal`, `${tenantFile}-shm`]) if (existsSync(file)) chmodSync(file, 0o600);
  if (!tenant.isSeeded()) tenant.seed(loadSeedFile(options.seedFile));
  const info = tenant.info();
  const tenantDomain = `${info.name}.onmicrosoft.com`;
  const counters = new Counters();
  const faults = new FaultInjector(options.faults ?? {});
  // The release lag is the tenant's (it persists with it); a fault profile that names it sets it.
  if (options.faults?.addressReleaseLagMs !== undefined) tenant.setAddressReleaseLagMs(options.faults.addressReleaseLagMs);
  let baseUrl = "";
  const url = () => baseUrl;
  const identity = new IdentityEndpoint(secrets, { tenantId: info.id, tenantDomain }, url);
  const graph = new GraphEndpoint(new LaggedGraphView(tenant, () => faults.settings.graphPropagationLagMs), faults, counters, url);
  const exchange = new ExchangeEndpoint(tenant, counters, url, new StaleExchangeReads(tenant, () => faults.settings.exchangeStaleReads));
  const directorySync = options.directory ? new DirectorySync(tenant, options.directory) : undefined;
  const federatedTokenFile = path.join(options.stateDir, "federated-token.jwt");
  writePrivateFile(federatedTokenFile, identity.federatedToken());
  writePrivateFile(path.join(options.stateDir, "control-token"), secrets.controlToken);

  /** Applies latency and the injected fault; "answered" when the request was answered or dropped. */
  async function injectFault(req: IncomingMessage, res: ServerResponse, surface: Surface, mutates: boolean, correlation?: Correlation): Promise<"answered" | "apply-then-drop" | "go"> {
    const delay = faults.latency(surface);
    if (delay > 0) await sleep(delay);
    const fault = faults.decide(surface, mutates);
    const answer = (status: number, code: string, message: string, headers: Record<string, string> = {}) => {
      if (surface === "graph" && correlation) {
        const error = graphError(status, code, message, correlation);
        return sendJson(res, status, error.body, { ...graphHeaders(correlation), ...headers });
      }
      sendJson(res, status, { error: { code, message } }, headers);
    };
    switch (fault.kind) {
      case "none":
        return "go";
      case "throttle":
        counters.add(`faults.${surface}.429`);
        answer(429, "TooManyRequests", "Too many requests. Retry after the time given in Retry-After.", { "Retry-After": String(fault.retryAfterSeconds) });
        return "answered";
      case "server-error":
        counters.add(`faults.${surface}.503`);
        answer(503, "ServiceUnavailable", "The service is temporarily unavailable.");
        return "answered";
      case "drop":
        if (fault.afterApply) return "apply-then-drop";
        counters.add(`faults.${surface}.drop`);
        req.socket.destroy();
        return "answered";
    }
  }

  function sendGraph(res: ServerResponse, result: GraphResult, correlation: Correlation): void {
    if (result.status === 204) {
      res.writeHead(204, { ...graphHeaders(correlation), ...(result.headers ?? {}) });
      res.end();
      return;
    }
    sendJson(res, result.status, result.body, { ...graphHeaders(correlation), ...(result.headers ?? {}) });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let requestUrl: URL;
    try {
      requestUrl = new URL(req.url ?? "/", "https://127.0.0.1");
    } catch {
      return sendJson(res, 400, { error: { code: "BadRequest", message: "The request URL is not valid." } });
    }
    const p = requestUrl.pathname;
    const method = req.method ?? "GET";

    // Control plane for tests and benchmarks: only with the token from <stateDir>/control-token.
    if (p.startsWith("/_emulator/")) {
      if (p === "/_emulator/health") return sendJson(res, 200, { ok: true });
      if (!sameSecret(bearerToken(req), secrets.controlToken)) {
        counters.add("control.refused");
        return sendJson(
          res,
          401,
          { error: { code: "Unauthorized", message: "The emulator's control plane needs the token from its state folder (control-token): Authorization: Bearer <token>." } },
          { "WWW-Authenticate": 'Bearer realm="mailbox-addresses emulator control"' },
        );
      }
      if (p === "/_emulator/counters" && method === "GET") return sendJson(res, 200, counters.snapshot());
      if (p === "/_emulator/counters/reset" && method === "POST") {
        counters.reset();
        return sendJson(res, 200, {});
      }
      if (p === "/_emulator/faults" && method === "GET") return sendJson(res, 200, faults.settings);
      if (p === "/_emulator/faults" && method === "PUT") {
        try {
          faults.settings = checkFaultSettings(await readJsonBody(req, 64 * 1024));
          if (faults.settings.addressReleaseLagMs !== undefined) tenant.setAddressReleaseLagMs(faults.settings.addressReleaseLagMs);
        } catch (err) {
          if (!(err instanceof FaultSettingsError)) throw err;
          return sendJson(res, 400, { error: { code: "BadFaultSettings", message: err.message, problems: err.problems } });
        }
        return sendJson(res, 200, faults.settings);
      }
      // Entra Connect's delta cycle, on demand (Start-ADSyncSyncCycle): one sync of the AD given at start.
      if (p === "/_emulator/sync" && (method === "POST" || method === "GET")) {
        if (directorySync === undefined)
          return sendJson(res, 409, {
            error: {
              code: "NoDirectory",
              message: "This emulator syncs no directory: start it with --ad-url, --ad-ca-file and --ad-base-dn (bind account from MAILBOX_ADDRESSES_AD_BIND_DN / _PASSWORD).",
            },
          });
        if (method === "GET") return sendJson(res, 200, directorySync.last ?? {});
        try {
          const report = await directorySync.sync();
          counters.add("sync.cycles");
          return sendJson(res, 200, report);
        } catch (err) {
          return sendJson(res, 502, { error: { code: "DirectoryUnavailable", message: (err as Error).message } });
        }
      }
      if (p === "/_emulator/federated-token" && method === "POST") return sendJson(res, 200, { token: identity.federatedToken() });
      return sendJson(res, 404, { error: { code: "NotFound", message: "unknown emulator control endpoint" } });
    }

    // Identity platform.
    const openid = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(p);
    if (openid && method === "GET") {
      counters.add("identity.openid-configuration");
      return identity.openidConfiguration(res, decodeURIComponent(openid[1]!));
    }
    const keys = /^\/([^/]+)\/discovery\/v2\.0\/keys$/.exec(p);
    if (keys && method === "GET") {
      counters.add("identity.keys");
      return identity.signingKeys(res, decodeURIComponent(keys[1]!));
    }
    const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(p);
    if (token && method === "POST") {
      counters.add("identity.token");
      if ((await injectFault(req, res, "identity", false)) !== "go") return;
      return identity.token(req, res, decodeURIComponent(token[1]!));
    }
    if (p === "/msi/token" && method === "GET") {
      counters.add("identity.managed-identity");
      return identity.managedIdentity(req, res, requestUrl);
    }

    // Microsoft Graph.
    if (p.startsWith("/v1.0/") || p === "/v1.0") {
      counters.add("graph.requests");
      const correlation = newCorrelation(clientRequestId(req));
      const checked = identity.checkBearer(bearerToken(req), AUDIENCES.graph, GRAPH_ROLES);
      if (!checked.ok) {
        counters.add(`graph.status.${checked.status}`);
        const code = checked.status === 401 ? "InvalidAuthenticationToken" : "Authorization_RequestDenied";
        // Graph's 401 challenge names the authority and Graph's own app id (00000003-…).
        const challenge: Record<string, string> =
          checked.status === 401 ? { "WWW-Authenticate": `Bearer realm="", authorization_uri="${url()}/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"` } : {};
        return sendGraph(res, graphError(checked.status, code, checked.reason, correlation, challenge), correlation);
      }
      if ((await injectFault(req, res, "graph", false, correlation)) !== "go") return;
      if (p === "/v1.0/$batch") {
        if (method !== "POST") return sendGraph(res, graphError(405, "Request_BadRequest", "The $batch endpoint takes POST only.", correlation), correlation);
        return sendGraph(res, graph.batch(await readJsonBody(req), correlation), correlation);
      }
      if (method === "GET") return sendGraph(res, graph.get(p.slice("/v1.0".length), requestUrl.searchParams, correlation), correlation);
      if (method === "PATCH") {
        // user-update: permission User.ReadWrite.All (or Directory.ReadWrite.All), application.
        const writes = identity.checkBearer(bearerToken(req), AUDIENCES.graph, GRAPH_WRITE_ROLES);
        if (!writes.ok) return sendGraph(res, graphError(writes.status, writes.status === 401 ? "InvalidAuthenticationToken" : "Authorization_RequestDenied", writes.reason, correlation), correlation);
        return sendGraph(res, graph.patch(p.slice("/v1.0".length), await readJsonBody(req), correlation, tenant), correlation);
      }
      return sendGraph(res, graphError(405, "Request_BadRequest", `The emulator serves only reads and PATCH of a user on ${p}.`, correlation), correlation);
    }

    // Exchange Online admin API.
    const invoke = /^\/adminapi\/(?:beta|v1\.0)\/([^/]+)\/InvokeCommand$/i.exec(p);
    if (invoke && method === "POST") {
      counters.add("exchange.requests");
      const headers = {
        "content-type": "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8",
        "OData-Version": "4.0",
        "request-id": newCorrelation(undefined).requestId,
        "Cache-Control": "no-cache",
      };
      const checked = identity.checkBearer(bearerToken(req), AUDIENCES.exchange, EXCHANGE_ROLES);
      if (!checked.ok) {
        counters.add(`exchange.status.${checked.status}`);
        return sendJson(res, checked.status, { error: { code: checked.status === 401 ? "Unauthorized" : "Forbidden", message: checked.reason } }, headers);
      }
      // App-only sessions take their Exchange RBAC from the directory roles in the token: an app
      // with Exchange.ManageAsApp but no Exchange role is refused, as Exchange refuses it
      // (MicrosoftDocs/office-docs-powershell#11332; Microsoft365DSC#4530).
      const wids = Array.isArray(checked.claims.wids) ? (checked.claims.wids as string[]) : [];
      if (!wids.some((w) => EXCHANGE_DIRECTORY_ROLES.includes(w))) {
        counters.add("exchange.status.401");
        const message = `The role assigned to application ${String(checked.claims.appid)} isn't supported in this scenario. Please check online documentation for assigning correct Directory Roles to Azure AD Application for EXO App-Only Authentication.`;
        return sendJson(res, 401, { error: { code: "Unauthorized", message, innererror: { message, type: "Microsoft.Exchange.Admin.OData.Core.ODataServiceException" } } }, headers);
      }
      const tenantInUrl = decodeURIComponent(invoke[1]!);
      if (tenantInUrl.toLowerCase() !== info.id && tenantInUrl.toLowerCase() !== tenantDomain) {
        return sendJson(res, 404, { error: { code: "NotFound", message: `Tenant '${tenantInUrl}' not found.` } }, headers);
      }
      const body = await readJsonBody(req);
      const cmdlet = String((body as { CmdletInput?: { CmdletName?: unknown } })?.CmdletInput?.CmdletName ?? "");
      const mutates = isWriteCmdlet(cmdlet);
      const decision = await injectFault(req, res, "exchange", mutates);
      if (decision === "answered") {
        if (mutates) counters.add(`exchange.${canonicalCmdlet(cmdlet) ?? cmdlet}.faulted`);
        return;
      }
      const select = requestUrl.searchParams
        .get("$select")
        ?.split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      const pageSize = maxPageSize(req);
      const result = exchange.invoke(body, {
        ...(select ? { select } : {}),
        ...(pageSize !== undefined ? { maxPageSize: pageSize } : {}),
        ...(requestUrl.searchParams.get("$skiptoken") ? { skipToken: requestUrl.searchParams.get("$skiptoken")! } : {}),
        tenantInUrl,
      });
      if (decision === "apply-then-drop") {
        counters.add("faults.exchange.drop-after-apply");
        req.socket.destroy();
        return;
      }
      return sendJson(res, result.status, result.body, { ...headers, ...(pageSize !== undefined ? { "Preference-Applied": `odata.maxpagesize=${Math.min(pageSize, 1000)}` } : {}) });
    }
    sendJson(res, 404, { error: { code: "NotFound", message: `The emulator does not serve ${method} ${p}.` } });
  }

  /** A refused request (malformed, oversized) in the shape of the surface it was sent to. */
  function refuse(req: IncomingMessage, res: ServerResponse, err: RequestError): void {
    const p = (req.url ?? "/").split("?")[0]!;
    if (p.startsWith("/v1.0")) {
      const correlation = newCorrelation(clientRequestId(req));
      return sendGraph(res, graphError(err.status, err.code, err.message, correlation), correlation);
    }
    if (/\/InvokeCommand$/i.test(p)) {
      const result = cmdletError(err.status, "Microsoft.Exchange.Admin.OData.Core.ODataServiceException", err.message);
      return sendJson(res, err.status, result.body);
    }
    sendJson(res, err.status, { error: "invalid_request", error_description: err.message });
  }

  const server: Server = createServer({ key: secrets.serverKey, cert: secrets.serverCert }, (req, res) => {
    handle(req, res).catch((err: Error) => {
      if (res.headersSent) return void res.destroy();
      // Malformed or oversized requests are the client's fault: 4xx; anything else is ours: 500.
      if (err instanceof RequestError) {
        refuse(req, res, err);
        // Stop reading an oversized body: answer, then close the connection.
        if (err.status === 413) res.once("finish", () => req.socket.destroy());
        return;
      }
      sendJson(res, 500, { error: { code: "InternalServerError", message: err.message } });
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  baseUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const endpoints = (): EmulatorEndpoints => ({ tenantId: info.id, clientId: secrets.clientId, authorityHost: baseUrl, graphBaseUrl: baseUrl, exchangeBaseUrl: baseUrl });

  return {
    url: baseUrl,
    tenantId: info.id,
    tenantDomain,
    secrets,
    tenant,
    faults,
    counters,
    federatedTokenFile,
    controlToken: secrets.controlToken,
    environment: () => ({
      NODE_EXTRA_CA_CERTS: secrets.serverCertPath,
      AZURE_AUTHORITY_HOST: baseUrl,
      AZURE_TENANT_ID: info.id,
      AZURE_CLIENT_ID: secrets.clientId,
      AZURE_CLIENT_SECRET: secrets.clientSecret,
      AZURE_CLIENT_CERTIFICATE_PATH: secrets.clientCertificatePath,
      AZURE_FEDERATED_TOKEN_FILE: federatedTokenFile,
      IDENTITY_ENDPOINT: `${baseUrl}/msi/token`,
      IDENTITY_HEADER: secrets.clientSecret,
    }),
    endpoints,
    close: async () => {
      directorySync?.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      tenant.close();
    },
  };
}
