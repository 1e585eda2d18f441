// The emulator: one HTTPS server on 127.0.0.1 speaking the Microsoft identity platform,
// Microsoft Graph (users) and the Exchange Online admin API over the tenant model, so the real
// @azure/identity, Graph (JavaScript and Python) and @azure/core-rest-pipeline clients run end to end. State (tenant database, keys) persists in
// a folder private to the user; faults and a propagation lag can be injected; every request is
// counted. The control plane (/_emulator/...) answers only to the token the emulator writes to
// its state folder (control-token, mode 0600) and prints at start. What it serves is the route
// table of ./routes.ts.
import { chmodSync, existsSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { loadSeedFile } from "../tenant/load-seed";
import { Tenant } from "../tenant/tenant";
import { ensureSecrets, writePrivateFile, type EmulatorSecrets } from "./certificates";
import { cmdletError, ExchangeEndpoint } from "./exchange-endpoint";
import { Counters, FaultInjector, type FaultSettings } from "./faults";
import { GraphEndpoint, graphError, newCorrelation } from "./graph-endpoint";
import { clientRequestId, RequestError, sendJson } from "./http";
import { IdentityEndpoint } from "./identity-endpoint";
import { DirectorySync, type DirectorySyncSettings } from "./directory-sync";
import { LaggedGraphView, StaleExchangeReads } from "./propagation";
import { dispatch } from "./router";
import { emulatorRoutes, sendGraph } from "./routes";

export interface EmulatorOptions {
  /** Folder for the tenant database, keys and certificates (kept between starts). */
  readonly stateDir: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Seed used when the database is empty (default: the shipped Contoso seed). */
  readonly seedFile?: string;
  readonly faults?: FaultSettings;
  /** Where the fault rolls come from (default Math.random): tests pass seededRandom(seed). */
  readonly random?: () => number;
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

export async function startEmulator(options: EmulatorOptions): Promise<RunningEmulator> {
  const secrets = await ensureSecrets(options.stateDir);
  const tenantFile = path.join(options.stateDir, "tenant.sqlite");
  const tenant = Tenant.open(tenantFile);
  // The tenant's database is private too (SQLite gives its -wal and -shm files the same mode).
  for (const file of [tenantFile, `${tenantFile}-wal`, `${tenantFile}-shm`])
    if (existsSync(file)) chmodSync(file, 0o600);
  if (!tenant.isSeeded()) tenant.seed(loadSeedFile(options.seedFile));
  const info = tenant.info();
  const tenantDomain = `${info.name}.onmicrosoft.com`;
  const counters = new Counters();
  const faults = new FaultInjector(options.faults ?? {}, options.random);
  // The release lag is the tenant's (it persists with it); a fault profile that names it sets it.
  if (options.faults?.addressReleaseLagMs !== undefined)
    tenant.setAddressReleaseLagMs(options.faults.addressReleaseLagMs);
  let baseUrl = "";
  const url = () => baseUrl;
  const identity = new IdentityEndpoint(secrets, { tenantId: info.id, tenantDomain }, url);
  const graph = new GraphEndpoint(
    new LaggedGraphView(tenant, () => faults.settings.graphPropagationLagMs),
    faults,
    counters,
    url,
  );
  const exchange = new ExchangeEndpoint(
    tenant,
    counters,
    url,
    new StaleExchangeReads(tenant, () => faults.settings.exchangeStaleReads),
  );
  const directorySync = options.directory ? new DirectorySync(tenant, options.directory) : undefined;
  const federatedTokenFile = path.join(options.stateDir, "federated-token.jwt");
  writePrivateFile(federatedTokenFile, identity.federatedToken());
  writePrivateFile(path.join(options.stateDir, "control-token"), secrets.controlToken);

  const routes = emulatorRoutes({
    secrets,
    tenant,
    tenantId: info.id,
    tenantDomain,
    counters,
    faults,
    identity,
    graph,
    exchange,
    directorySync,
    url,
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let requestUrl: URL;
    try {
      requestUrl = new URL(req.url ?? "/", "https://127.0.0.1");
    } catch {
      return sendJson(res, 400, { error: { code: "BadRequest", message: "The request URL is not valid." } });
    }
    const method = req.method ?? "GET";
    const pathname = requestUrl.pathname;
    if (!(await dispatch(routes, { req, res, url: requestUrl, path: pathname, method }))) {
      sendJson(res, 404, {
        error: { code: "NotFound", message: `The emulator does not serve ${method} ${pathname}.` },
      });
    }
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
  const endpoints = (): EmulatorEndpoints => ({
    tenantId: info.id,
    clientId: secrets.clientId,
    authorityHost: baseUrl,
    graphBaseUrl: baseUrl,
    exchangeBaseUrl: baseUrl,
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
