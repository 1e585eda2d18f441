// What the emulator serves, as a route table (./router.ts): the token-guarded control plane
// (/_emulator/...), the identity platform (OpenID metadata, keys, token, managed identity),
// Microsoft Graph (/v1.0/..., behind its token check and injected faults) and the Exchange Online
// admin API (InvokeCommand). Each handler hands the request to its endpoint.
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Tenant } from "../tenant/tenant";
import type { EmulatorSecrets } from "./certificates";
import type { DirectorySync } from "./directory-sync";
import { canonicalCmdlet, isWriteCmdlet, type ExchangeEndpoint } from "./exchange-endpoint";
import { checkFaultSettings, FaultSettingsError, type Counters, type FaultInjector, type Surface } from "./faults";
import {
  graphError,
  graphHeaders,
  newCorrelation,
  unservedMethod,
  type Correlation,
  type GraphEndpoint,
  type GraphResult,
} from "./graph-endpoint";
import { bearerToken, clientRequestId, readJsonBody, sendJson, sleep } from "./http";
import { AUDIENCES, DIRECTORY_ROLES, type IdentityEndpoint } from "./identity-endpoint";
import type { Call, RouteEntry } from "./router";

/** The parts of a running emulator the routes hand requests to. */
export interface RouteParts {
  readonly secrets: EmulatorSecrets;
  readonly tenant: Tenant;
  readonly tenantId: string;
  readonly tenantDomain: string;
  readonly counters: Counters;
  readonly faults: FaultInjector;
  readonly identity: IdentityEndpoint;
  readonly graph: GraphEndpoint;
  readonly exchange: ExchangeEndpoint;
  readonly directorySync: DirectorySync | undefined;
  /** The emulator's base URL (known once it listens). */
  readonly url: () => string;
}

const GRAPH_ROLES = ["User.Read.All", "User.ReadWrite.All", "Directory.Read.All"];
/** Graph application permissions that allow PATCH /users/{id} (user-update). */
const GRAPH_WRITE_ROLES = ["User.ReadWrite.All", "Directory.ReadWrite.All"];
const EXCHANGE_ROLES = ["Exchange.ManageAsApp"];
/** Directory roles that carry an Exchange RBAC role in app-only sessions (app-only auth docs). */
const EXCHANGE_DIRECTORY_ROLES: readonly string[] = [
  DIRECTORY_ROLES.exchangeAdministrator,
  DIRECTORY_ROLES.globalAdministrator,
];

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

/** A Graph answer, with Graph's correlation headers. */
export function sendGraph(res: ServerResponse, result: GraphResult, correlation: Correlation): void {
  if (result.status === 204) {
    res.writeHead(204, { ...graphHeaders(correlation), ...(result.headers ?? {}) });
    res.end();
    return;
  }
  sendJson(res, result.status, result.body, { ...graphHeaders(correlation), ...(result.headers ?? {}) });
}

/** The route table of an emulator made of `parts`. */
export function emulatorRoutes(parts: RouteParts): readonly RouteEntry[] {
  const { secrets, tenant, counters, faults, identity, graph, exchange, directorySync, url } = parts;

  /** Applies latency and the injected fault; "answered" when the request was answered or dropped. */
  async function injectFault(
    req: IncomingMessage,
    res: ServerResponse,
    surface: Surface,
    mutates: boolean,
    correlation?: Correlation,
  ): Promise<"answered" | "apply-then-drop" | "go"> {
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
        answer(429, "TooManyRequests", "Too many requests. Retry after the time given in Retry-After.", {
          "Retry-After": String(fault.retryAfterSeconds),
        });
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

  // Control plane for tests and benchmarks: only with the token from <stateDir>/control-token.
  const control: RouteEntry = {
    area: /^\/_emulator\//,
    guard: ({ req, res }) => {
      if (sameSecret(bearerToken(req), secrets.controlToken)) return true;
      counters.add("control.refused");
      sendJson(
        res,
        401,
        {
          error: {
            code: "Unauthorized",
            message:
              "The emulator's control plane needs the token from its state folder (control-token): Authorization: Bearer <token>.",
          },
        },
        { "WWW-Authenticate": 'Bearer realm="mailbox-addresses emulator control"' },
      );
      return false;
    },
    routes: [
      { method: "GET", path: /^\/_emulator\/counters$/, handle: ({ res }) => sendJson(res, 200, counters.snapshot()) },
      {
        method: "GET",
        path: /^\/_emulator\/counters\/timeline$/,
        handle: ({ res }) => sendJson(res, 200, counters.timeline()),
      },
      {
        method: "POST",
        path: /^\/_emulator\/counters\/reset$/,
        handle: ({ res }) => {
          counters.reset();
          sendJson(res, 200, {});
        },
      },
      { method: "GET", path: /^\/_emulator\/faults$/, handle: ({ res }) => sendJson(res, 200, faults.settings) },
      {
        method: "PUT",
        path: /^\/_emulator\/faults$/,
        handle: async ({ req, res }) => {
          try {
            faults.settings = checkFaultSettings(await readJsonBody(req, 64 * 1024));
            if (faults.settings.addressReleaseLagMs !== undefined)
              tenant.setAddressReleaseLagMs(faults.settings.addressReleaseLagMs);
          } catch (err) {
            if (!(err instanceof FaultSettingsError)) throw err;
            return sendJson(res, 400, {
              error: { code: "BadFaultSettings", message: err.message, problems: err.problems },
            });
          }
          sendJson(res, 200, faults.settings);
        },
      },
      // Entra Connect's delta cycle, on demand (Start-ADSyncSyncCycle): one sync of the AD given at start.
      { method: ["POST", "GET"], path: /^\/_emulator\/sync$/, handle: syncDirectory },
      {
        method: "POST",
        path: /^\/_emulator\/federated-token$/,
        handle: ({ res }) => sendJson(res, 200, { token: identity.federatedToken() }),
      },
    ],
    otherwise: ({ res }) =>
      sendJson(res, 404, { error: { code: "NotFound", message: "unknown emulator control endpoint" } }),
  };

  async function syncDirectory({ res, method }: Call): Promise<void> {
    if (directorySync === undefined)
      return sendJson(res, 409, {
        error: {
          code: "NoDirectory",
          message:
            "This emulator syncs no directory: start it with --ad-url, --ad-ca-file and --ad-base-dn (bind account from MAILBOX_ADDRESSES_AD_BIND_DN / _PASSWORD).",
        },
      });
    if (method === "GET") return sendJson(res, 200, directorySync.last ?? {});
    try {
      const report = await directorySync.sync();
      counters.add("sync.cycles");
      sendJson(res, 200, report);
    } catch (err) {
      sendJson(res, 502, { error: { code: "DirectoryUnavailable", message: (err as Error).message } });
    }
  }

  // Identity platform.
  const identityRoutes: RouteEntry[] = [
    {
      method: "GET",
      path: /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/,
      handle: ({ res, match }) => {
        counters.add("identity.openid-configuration");
        identity.openidConfiguration(res, decodeURIComponent(match[1]!));
      },
    },
    {
      method: "GET",
      path: /^\/([^/]+)\/discovery\/v2\.0\/keys$/,
      handle: ({ res, match }) => {
        counters.add("identity.keys");
        identity.signingKeys(res, decodeURIComponent(match[1]!));
      },
    },
    {
      method: "POST",
      path: /^\/([^/]+)\/oauth2\/v2\.0\/token$/,
      handle: async ({ req, res, match }) => {
        counters.add("identity.token");
        if ((await injectFault(req, res, "identity", false)) !== "go") return;
        await identity.token(req, res, decodeURIComponent(match[1]!));
      },
    },
    {
      method: "GET",
      path: /^\/msi\/token$/,
      handle: ({ req, res, url: requestUrl }) => {
        counters.add("identity.managed-identity");
        return identity.managedIdentity(req, res, requestUrl);
      },
    },
  ];

  // Microsoft Graph: every request under /v1.0 has its token checked, then may meet a fault.
  const correlations = new WeakMap<IncomingMessage, Correlation>();
  const correlationOf = (req: IncomingMessage) => correlations.get(req)!;
  const microsoftGraph: RouteEntry = {
    area: /^\/v1\.0(\/|$)/,
    guard: async ({ req, res }) => {
      counters.add("graph.requests");
      const correlation = newCorrelation(clientRequestId(req));
      correlations.set(req, correlation);
      const checked = identity.checkBearer(bearerToken(req), AUDIENCES.graph, GRAPH_ROLES);
      if (!checked.ok) {
        counters.add(`graph.status.${checked.status}`);
        const code = checked.status === 401 ? "InvalidAuthenticationToken" : "Authorization_RequestDenied";
        // Graph's 401 challenge names the authority and Graph's own app id (00000003-…).
        const challenge: Record<string, string> =
          checked.status === 401
            ? {
                "WWW-Authenticate": `Bearer realm="", authorization_uri="${url()}/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`,
              }
            : {};
        sendGraph(res, graphError(checked.status, code, checked.reason, correlation, challenge), correlation);
        return false;
      }
      return (await injectFault(req, res, "graph", false, correlation)) === "go";
    },
    routes: [
      {
        method: "POST",
        path: /^\/v1\.0\/\$batch$/,
        handle: async ({ req, res }) => {
          const correlation = correlationOf(req);
          // A batch's PATCH items need what the same PATCH alone needs (user-update's permissions).
          const writes = identity.checkBearer(bearerToken(req), AUDIENCES.graph, GRAPH_WRITE_ROLES);
          const allowed = writes.ok
            ? ({ ok: true } as const)
            : { ok: false as const, status: writes.status, reason: writes.reason };
          sendGraph(res, graph.batch(await readJsonBody(req), correlation, { allowed, writer: tenant }), correlation);
        },
      },
      {
        method: "*",
        path: /^\/v1\.0\/\$batch$/,
        handle: ({ req, res }) =>
          sendGraph(
            res,
            graphError(405, "Request_BadRequest", "The $batch endpoint takes POST only.", correlationOf(req)),
            correlationOf(req),
          ),
      },
      {
        method: "GET",
        path: /^\/v1\.0(\/.*)?$/,
        handle: ({ req, res, path, url: requestUrl }) =>
          sendGraph(
            res,
            graph.get(path.slice("/v1.0".length), requestUrl.searchParams, correlationOf(req)),
            correlationOf(req),
          ),
      },
      {
        method: "PATCH",
        path: /^\/v1\.0(\/.*)?$/,
        handle: async ({ req, res, path }) => {
          const correlation = correlationOf(req);
          // user-update: permission User.ReadWrite.All (or Directory.ReadWrite.All), application.
          const writes = identity.checkBearer(bearerToken(req), AUDIENCES.graph, GRAPH_WRITE_ROLES);
          if (!writes.ok)
            return sendGraph(
              res,
              graphError(
                writes.status,
                writes.status === 401 ? "InvalidAuthenticationToken" : "Authorization_RequestDenied",
                writes.reason,
                correlation,
              ),
              correlation,
            );
          sendGraph(
            res,
            graph.patch(path.slice("/v1.0".length), await readJsonBody(req), correlation, tenant),
            correlation,
          );
        },
      },
    ],
    otherwise: ({ req, res, path, method }) =>
      sendGraph(res, unservedMethod(method, path, correlationOf(req)), correlationOf(req)),
  };

  // Exchange Online admin API.
  async function invokeCommand({ req, res, match, url: requestUrl }: Call): Promise<void> {
    counters.add("exchange.requests");
    const headers = {
      "content-type":
        "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8",
      "OData-Version": "4.0",
      "request-id": newCorrelation(undefined).requestId,
      "Cache-Control": "no-cache",
    };
    const checked = identity.checkBearer(bearerToken(req), AUDIENCES.exchange, EXCHANGE_ROLES);
    if (!checked.ok) {
      counters.add(`exchange.status.${checked.status}`);
      return sendJson(
        res,
        checked.status,
        { error: { code: checked.status === 401 ? "Unauthorized" : "Forbidden", message: checked.reason } },
        headers,
      );
    }
    // App-only sessions take their Exchange RBAC from the directory roles in the token, or from a
    // management role assignment of the app's service principal in Exchange (custom RBAC): an app
    // with Exchange.ManageAsApp and neither is refused, as Exchange refuses it
    // (MicrosoftDocs/office-docs-powershell#11332; Microsoft365DSC#4530). A captured token Exchange
    // accepted carries no directory role in wids at all (test/fidelity/samples.ts).
    const wids = Array.isArray(checked.claims.wids) ? (checked.claims.wids as string[]) : [];
    if (
      !wids.some((w) => EXCHANGE_DIRECTORY_ROLES.includes(w)) &&
      !identity.hasExchangeRoleAssignment(checked.claims.oid)
    ) {
      counters.add("exchange.status.401");
      const message = `The role assigned to application ${String(checked.claims.appid)} isn't supported in this scenario. Please check online documentation for assigning correct Directory Roles to Azure AD Application for EXO App-Only Authentication.`;
      return sendJson(
        res,
        401,
        {
          error: {
            code: "Unauthorized",
            message,
            innererror: { message, type: "Microsoft.Exchange.Admin.OData.Core.ODataServiceException" },
          },
        },
        headers,
      );
    }
    const tenantInUrl = decodeURIComponent(match[1]!);
    if (tenantInUrl.toLowerCase() !== parts.tenantId && tenantInUrl.toLowerCase() !== parts.tenantDomain) {
      return sendJson(
        res,
        404,
        { error: { code: "NotFound", message: `Tenant '${tenantInUrl}' not found.` } },
        headers,
      );
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
    sendJson(res, result.status, result.body, {
      ...headers,
      ...(pageSize !== undefined ? { "Preference-Applied": `odata.maxpagesize=${Math.min(pageSize, 1000)}` } : {}),
    });
  }

  return [
    { method: "*", path: /^\/_emulator\/health$/, handle: ({ res }) => sendJson(res, 200, { ok: true }) },
    control,
    ...identityRoutes,
    microsoftGraph,
    { method: "POST", path: /^\/adminapi\/(?:beta|v1\.0)\/([^/]+)\/InvokeCommand$/i, handle: invokeCommand },
  ];
}
