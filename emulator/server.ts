// The emulator: one HTTPS server on 127.0.0.1 speaking the Microsoft identity platform,
// Microsoft Graph (users) and the Exchange Online admin API over the tenant model, so the real
// @azure/identity and Graph clients run end to end. State (tenant database, keys) persists in
// a folder; faults can be injected; every request is counted.
import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { ExchangeOnlineTargetSettings } from "../providers/backend";
import { DEFAULTS } from "../providers/defaults";
import { loadSeedFile } from "../tenant/load-seed";
import { Tenant } from "../tenant/tenant";
import { ensureSecrets, type EmulatorSecrets } from "./certificates";
import { ExchangeEndpoint } from "./exchange-endpoint";
import { Counters, FaultInjector, FaultSettingsError, parseFaultSettings, type FaultSettings, type Surface } from "./faults";
import { GraphEndpoint } from "./graph-endpoint";
import { bearerToken, readBody, sendJson, sleep } from "./http";
import { AUDIENCES, IdentityEndpoint } from "./identity-endpoint";

export interface EmulatorOptions {
  /** Folder for the tenant database, keys and certificates (kept between starts). */
  readonly stateDir: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Seed used when the database is empty (default: the shipped Contoso seed). */
  readonly seedFile?: string;
  readonly faults?: FaultSettings;
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
  /** Environment a client process needs: CA, authority, tenant, app id and every credential kind. */
  environment(): Record<string, string>;
  /** `pulumi config set` values for a stack that targets this emulator. */
  stackConfig(): Record<string, string>;
  /** The exchange-online target settings for this emulator (credential from the environment). */
  targetSettings(credential?: ExchangeOnlineTargetSettings["credential"]): ExchangeOnlineTargetSettings;
  close(): Promise<void>;
}

const GRAPH_ROLES = ["User.Read.All", "User.ReadWrite.All", "Directory.Read.All"];
const EXCHANGE_ROLES = ["Exchange.ManageAsApp"];

export async function startEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  const secrets = await ensureSecrets(options.stateDir);
  const tenant = Tenant.open(path.join(options.stateDir, "tenant.sqlite"));
  if (!tenant.isSeeded()) tenant.seed(loadSeedFile(options.seedFile));
  const info = tenant.info();
  const tenantDomain = `${info.name}.onmicrosoft.com`;
  const counters = new Counters();
  const faults = new FaultInjector(options.faults ?? {});
  let baseUrl = "";
  const url = () => baseUrl;
  const identity = new IdentityEndpoint(secrets, { tenantId: info.id, tenantDomain }, url);
  const graph = new GraphEndpoint(tenant, faults, counters, url);
  const exchange = new ExchangeEndpoint(tenant, counters, url, info.id);
  const federatedTokenFile = path.join(options.stateDir, "federated-token.jwt");
  writeFileSync(federatedTokenFile, identity.federatedToken());

  /** Applies latency and the injected fault; true when the request was answered or dropped. */
  async function injectFault(req: IncomingMessage, res: ServerResponse, surface: Surface, mutates: boolean): Promise<"answered" | "apply-then-drop" | "go"> {
    const delay = faults.latency(surface);
    if (delay > 0) await sleep(delay);
    const fault = faults.decide(surface, mutates);
    switch (fault.kind) {
      case "none":
        return "go";
      case "throttle":
        counters.add(`faults.${surface}.429`);
        sendJson(res, 429, { error: { code: "TooManyRequests", message: "Too many requests. Retry after the time given in Retry-After." } }, { "Retry-After": String(fault.retryAfterSeconds) });
        return "answered";
      case "server-error":
        counters.add(`faults.${surface}.503`);
        sendJson(res, 503, { error: { code: "ServiceUnavailable", message: "The service is temporarily unavailable." } });
        return "answered";
      case "drop":
        if (fault.afterApply) return "apply-then-drop";
        counters.add(`faults.${surface}.drop`);
        req.socket.destroy();
        return "answered";
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestUrl = new URL(req.url ?? "/", "https://127.0.0.1");
    const p = requestUrl.pathname;
    const method = req.method ?? "GET";

    // Control plane for tests and benchmarks (127.0.0.1 only, like everything here).
    if (p.startsWith("/_emulator/")) {
      if (p === "/_emulator/health") return sendJson(res, 200, { ok: true });
      if (p === "/_emulator/counters" && method === "GET") return sendJson(res, 200, counters.snapshot());
      if (p === "/_emulator/counters/reset" && method === "POST") {
        counters.reset();
        return sendJson(res, 200, {});
      }
      if (p === "/_emulator/faults" && method === "GET") return sendJson(res, 200, faults.settings);
      if (p === "/_emulator/faults" && method === "PUT") {
        try {
          faults.settings = parseFaultSettings((await readBody(req)) || "{}");
        } catch (err) {
          if (!(err instanceof FaultSettingsError)) throw err;
          return sendJson(res, 400, { error: { code: "BadFaultSettings", message: err.message, problems: err.problems } });
        }
        return sendJson(res, 200, faults.settings);
      }
      if (p === "/_emulator/federated-token" && method === "POST") return sendJson(res, 200, { token: identity.federatedToken() });
      return sendJson(res, 404, { error: "unknown emulator control endpoint" });
    }

    // Identity platform.
    const openid = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(p);
    if (openid && method === "GET") {
      counters.add("identity.openid-configuration");
      return identity.openidConfiguration(res, openid[1]!);
    }
    const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(p);
    if (token && method === "POST") {
      counters.add("identity.token");
      if ((await injectFault(req, res, "identity", false)) !== "go") return;
      return identity.token(req, res, token[1]!);
    }
    if (p === "/msi/token" && method === "GET") {
      counters.add("identity.managed-identity");
      return identity.managedIdentity(req, res, requestUrl);
    }

    // Microsoft Graph.
    if (p.startsWith("/v1.0/")) {
      counters.add("graph.requests");
      const denied = identity.checkBearer(bearerToken(req), AUDIENCES.graph, GRAPH_ROLES);
      if (denied) {
        counters.add(`graph.status.${denied.status}`);
        const code = denied.status === 401 ? "InvalidAuthenticationToken" : "Authorization_RequestDenied";
        return sendJson(res, denied.status, { error: { code, message: denied.reason } }, denied.status === 401 ? { "WWW-Authenticate": 'Bearer realm="", error="invalid_token"' } : {});
      }
      if ((await injectFault(req, res, "graph", false)) !== "go") return;
      if (p === "/v1.0/$batch" && method === "POST") return graph.batch(req, res);
      if (method === "GET") return graph.send(res, graph.get(p.slice("/v1.0".length), requestUrl.searchParams));
      return sendJson(res, 405, { error: { code: "Request_BadRequest", message: `The emulator serves only reads on ${p}.` } });
    }

    // Exchange Online admin API.
    const invoke = /^\/adminapi\/(?:beta|v1\.0)\/([^/]+)\/InvokeCommand$/.exec(p);
    if (invoke && method === "POST") {
      counters.add("exchange.requests");
      const denied = identity.checkBearer(bearerToken(req), AUDIENCES.exchange, EXCHANGE_ROLES);
      if (denied) {
        counters.add(`exchange.status.${denied.status}`);
        return sendJson(res, denied.status, { error: { code: denied.status === 401 ? "Unauthorized" : "Forbidden", message: denied.reason } });
      }
      if (invoke[1]!.toLowerCase() !== info.id && invoke[1]!.toLowerCase() !== tenantDomain) {
        return sendJson(res, 404, { error: { code: "NotFound", message: `Tenant '${invoke[1]}' not found.` } });
      }
      const body = JSON.parse((await readBody(req)) || "{}");
      const mutates = body?.CmdletInput?.CmdletName === "Set-Mailbox";
      const decision = await injectFault(req, res, "exchange", mutates);
      if (decision === "answered") {
        if (mutates) counters.add("exchange.Set-Mailbox.faulted");
        return;
      }
      const result = exchange.invoke(body, requestUrl.searchParams);
      if (decision === "apply-then-drop") {
        counters.add("faults.exchange.drop-after-apply");
        req.socket.destroy();
        return;
      }
      return sendJson(res, result.status, result.body);
    }
    sendJson(res, 404, { error: { code: "NotFound", message: `The emulator does not serve ${method} ${p}.` } });
  }

  const server: Server = createServer({ key: secrets.serverKey, cert: secrets.serverCert }, (req, res) => {
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) sendJson(res, 500, { error: { code: "InternalServerError", message: err.message } });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  baseUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const targetSettings = (credential: ExchangeOnlineTargetSettings["credential"] = "client-secret"): ExchangeOnlineTargetSettings => ({
    target: "exchange-online",
    tenantId: info.id,
    clientId: secrets.clientId,
    authorityHost: baseUrl,
    graphBaseUrl: baseUrl,
    exchangeBaseUrl: baseUrl,
    credential,
    maxConcurrency: DEFAULTS.maxConcurrency,
  });

  return {
    url: baseUrl,
    tenantId: info.id,
    tenantDomain,
    secrets,
    tenant,
    faults,
    counters,
    federatedTokenFile,
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
    stackConfig: () => {
      const { tenantId, clientId, authorityHost, graphBaseUrl, exchangeBaseUrl } = targetSettings();
      return { target: "exchange-online", tenantId, clientId, authorityHost, graphBaseUrl, exchangeBaseUrl };
    },
    targetSettings,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      tenant.close();
    },
  };
}
