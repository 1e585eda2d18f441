// Microsoft Graph v1.0, the part this project reads: users by id or UPN, the users list with
// @odata.nextLink paging, $select, and JSON $batch (at most 20 requests, each throttled on its
// own). Mailbox-holding recipients of the tenant model are Graph users.
import type { IncomingMessage, ServerResponse } from "node:http";
import { parseProxyAddress } from "../core/address";
import type { Recipient, Tenant } from "../tenant/tenant";
import type { Counters, FaultInjector } from "./faults";
import { readBody, sendJson } from "./http";

/** Graph's limit on requests inside one JSON batch. */
export const MAX_BATCH_REQUESTS = 20;
const MAX_PAGE = 999;
const DEFAULT_PAGE = 100;
const DEFAULT_PROPERTIES = ["id", "displayName", "mail", "userPrincipalName"];

interface GraphResult {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

function graphError(status: number, code: string, message: string): GraphResult {
  return { status, body: { error: { code, message, innerError: { date: new Date().toISOString(), "request-id": crypto.randomUUID() } } } };
}

function toGraphUser(r: Recipient, select: readonly string[] | undefined): Record<string, unknown> {
  const primary = r.addresses.map(parseProxyAddress).find((p) => p.primary)?.value ?? null;
  const all: Record<string, unknown> = {
    id: r.id,
    userPrincipalName: r.upn ?? null,
    displayName: r.displayName,
    mail: primary,
    proxyAddresses: r.addresses,
    onPremisesSyncEnabled: r.synced ? true : null,
  };
  const keys = select ?? DEFAULT_PROPERTIES;
  return Object.fromEntries(["id", ...keys.filter((k) => k !== "id")].filter((k) => k in all).map((k) => [k, all[k]]));
}

export class GraphEndpoint {
  readonly #tenant: Tenant;
  readonly #faults: FaultInjector;
  readonly #counters: Counters;
  readonly #baseUrl: () => string;

  constructor(tenant: Tenant, faults: FaultInjector, counters: Counters, baseUrl: () => string) {
    this.#tenant = tenant;
    this.#faults = faults;
    this.#counters = counters;
    this.#baseUrl = baseUrl;
  }

  /** Answers one Graph request (also used for each item of a batch). `path` is after /v1.0. */
  get(path: string, query: URLSearchParams): GraphResult {
    const select = query.get("$select")?.split(",").map((s) => s.trim()).filter(Boolean);
    const single = /^\/users\/([^/?]+)$/.exec(path);
    if (single) {
      this.#counters.add("graph.users.get");
      const identity = decodeURIComponent(single[1]!);
      const found = this.#tenant.find(identity);
      // Graph addresses a user by object id or user principal name only, not by an email address.
      const addressed = found !== undefined && (found.id === identity.toLowerCase() || found.upn?.toLowerCase() === identity.toLowerCase());
      if (found === undefined || found.upn === undefined || !addressed) {
        return graphError(404, "Request_ResourceNotFound", `Resource '${identity}' does not exist or one of its queried reference-property objects are not present.`);
      }
      return { status: 200, body: { "@odata.context": `${this.#baseUrl()}/v1.0/$metadata#users/$entity`, ...toGraphUser(found, select) } };
    }
    if (path === "/users") {
      this.#counters.add("graph.users.list");
      if (query.has("$filter")) return graphError(400, "Request_UnsupportedQuery", "The emulator does not support $filter on users.");
      const top = Math.min(MAX_PAGE, Number(query.get("$top") ?? DEFAULT_PAGE) || DEFAULT_PAGE);
      const page = this.#tenant.list({ after: query.get("$skiptoken") ?? undefined, limit: top + 1, usersOnly: true });
      const users = page.slice(0, top);
      const more = page.length > top;
      const next = new URLSearchParams(query);
      if (more) next.set("$skiptoken", users[users.length - 1]!.id);
      return {
        status: 200,
        body: {
          "@odata.context": `${this.#baseUrl()}/v1.0/$metadata#users`,
          value: users.map((u) => toGraphUser(u, select)),
          ...(more ? { "@odata.nextLink": `${this.#baseUrl()}/v1.0/users?${next.toString()}` } : {}),
        },
      };
    }
    return graphError(400, "BadRequest", `Resource not found for the segment '${path.split("/")[1] ?? path}'.`);
  }

  /** POST /v1.0/$batch */
  async batch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.#counters.add("graph.batch");
    let body: { requests?: { id?: string; method?: string; url?: string }[] };
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      return sendJson(res, 400, graphError(400, "BadRequest", "Invalid JSON in the batch request.").body);
    }
    const requests = Array.isArray(body.requests) ? body.requests : [];
    if (requests.length === 0 || requests.length > MAX_BATCH_REQUESTS) {
      return sendJson(res, 400, graphError(400, "BadRequest", `A batch request must hold between 1 and ${MAX_BATCH_REQUESTS} requests; it holds ${requests.length}.`).body);
    }
    const responses = requests.map((item) => {
      this.#counters.add("graph.batch.items");
      const id = String(item.id ?? "");
      if ((item.method ?? "GET").toUpperCase() !== "GET") {
        return { id, status: 405, body: graphError(405, "Request_BadRequest", "The emulator batches GET requests only.").body };
      }
      const fault = this.#faults.decideBatchItem();
      if (fault.kind === "throttle") {
        this.#counters.add("graph.batch.items.throttled");
        return {
          id,
          status: 429,
          headers: { "Retry-After": String(fault.retryAfterSeconds) },
          body: graphError(429, "TooManyRequests", "Too many requests. Please retry after the time given in Retry-After.").body,
        };
      }
      const url = new URL(String(item.url ?? ""), "https://graph.invalid/v1.0/");
      const path = url.pathname.replace(/^\/v1\.0/, "");
      const result = this.get(path.startsWith("/") ? path : `/${path}`, url.searchParams);
      return { id, status: result.status, headers: { "Content-Type": "application/json" }, body: result.body };
    });
    sendJson(res, 200, { responses });
  }

  send(res: ServerResponse, result: GraphResult): void {
    sendJson(res, result.status, result.body, result.headers);
  }
}
