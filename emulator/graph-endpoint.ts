// Microsoft Graph v1.0, the part this project reads: users by id or UPN, the users list with
// @odata.nextLink paging, $select, and JSON $batch (at most 20 requests, each throttled on its
// own, dependsOn honoured). Mailbox-holding recipients of the tenant model are Graph users, seen
// through the propagation lag when one is set (Exchange writes reach Graph later).
// Sources: https://learn.microsoft.com/graph/api/resources/user (properties, default set)
//          https://learn.microsoft.com/graph/query-parameters ($select, @odata.context)
//          https://learn.microsoft.com/graph/json-batching (limits, dependsOn, 424)
//          https://learn.microsoft.com/graph/errors (error body, innerError)
import { randomUUID } from "node:crypto";
import { parseProxyAddress } from "../core/address";
import type { Recipient } from "../tenant/tenant";
import type { Counters, FaultInjector } from "./faults";

/** Graph's limit on requests inside one JSON batch. */
export const MAX_BATCH_REQUESTS = 20;
const MAX_PAGE = 999;
const DEFAULT_PAGE = 100;

/** The content type Graph answers with (JSON, OData minimal metadata). */
export const GRAPH_CONTENT_TYPE = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

/** Properties v1.0 returns for a user without $select, in Graph's order. */
export const DEFAULT_USER_PROPERTIES = ["businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone", "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id"];

/** Collection-valued user properties: unmodelled ones come back as [], as Graph sends empty collections. */
const COLLECTION_PROPERTIES = new Set(["businessPhones", "imAddresses", "otherMails", "proxyAddresses", "identities", "assignedLicenses", "assignedPlans", "provisionedPlans", "onPremisesProvisioningErrors", "infoCatalogs", "interests", "pastProjects", "responsibilities", "schools", "skills"]);

/** Every property of the v1.0 user resource a $select may name (the emulator models a few). */
const USER_PROPERTIES = [
  ...DEFAULT_USER_PROPERTIES,
  "aboutMe", "accountEnabled", "ageGroup", "assignedLicenses", "assignedPlans", "birthday", "city", "companyName", "consentProvidedForMinor",
  "country", "createdDateTime", "creationType", "deletedDateTime", "department", "employeeHireDate", "employeeId", "employeeLeaveDateTime",
  "employeeOrgData", "employeeType", "externalUserState", "externalUserStateChangeDateTime", "faxNumber", "hireDate", "identities",
  "imAddresses", "interests", "isResourceAccount", "lastPasswordChangeDateTime", "legalAgeGroupClassification", "licenseAssignmentStates",
  "mailboxSettings", "mailNickname", "mySite", "onPremisesDistinguishedName", "onPremisesDomainName", "onPremisesExtensionAttributes",
  "onPremisesImmutableId", "onPremisesLastSyncDateTime", "onPremisesProvisioningErrors", "onPremisesSamAccountName",
  "onPremisesSecurityIdentifier", "onPremisesSyncEnabled", "onPremisesUserPrincipalName", "otherMails", "passwordPolicies",
  "passwordProfile", "pastProjects", "postalCode", "preferredDataLocation", "preferredName", "provisionedPlans", "proxyAddresses",
  "responsibilities", "schools", "securityIdentifier", "showInAddressList", "signInActivity", "signInSessionsValidFromDateTime", "skills",
  "state", "streetAddress", "usageLocation", "userType",
];
const CANONICAL_PROPERTY = new Map(USER_PROPERTIES.map((p) => [p.toLowerCase(), p]));

/** Root segments of real Graph v1.0 that the emulator does not serve: Graph has them, so not 400. */
const UNMODELLED_ROOTS = new Set(["me", "groups", "contacts", "orgcontact", "applications", "serviceprincipals", "organization", "domains", "directoryobjects", "directoryroles", "devices", "invitations", "sites", "drives", "teams", "chats", "security", "identity", "policies", "reports", "subscriptions", "auditlogs", "admin", "places", "solutions", "education", "communications", "identitygovernance", "rolemanagement", "print", "external"]);

export interface GraphResult {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

/** Correlation ids of one request: Graph returns them in headers and in every error's innerError. */
export interface Correlation {
  readonly requestId: string;
  readonly clientRequestId: string;
}

export function newCorrelation(clientRequestId: string): Correlation {
  return { requestId: randomUUID(), clientRequestId };
}

/** Graph's error body: code, message and innerError with the date (seconds) and both ids. */
export function graphError(status: number, code: string, message: string, correlation: Correlation, headers?: Record<string, string>): GraphResult {
  return {
    status,
    body: { error: { code, message, innerError: { date: new Date().toISOString().replace(/\.\d+Z$/, ""), "request-id": correlation.requestId, "client-request-id": correlation.clientRequestId } } },
    ...(headers ? { headers } : {}),
  };
}

/** Headers Graph sends with every answer. */
export function graphHeaders(correlation: Correlation): Record<string, string> {
  return {
    "content-type": GRAPH_CONTENT_TYPE,
    "OData-Version": "4.0",
    "request-id": correlation.requestId,
    "client-request-id": correlation.clientRequestId,
    "x-ms-ags-diagnostic": JSON.stringify({ ServerInfo: { DataCenter: "Emulator", Slice: "E", Ring: "0", ScaleUnit: "000", RoleInstance: "127.0.0.1" } }),
    "Strict-Transport-Security": "max-age=31536000",
    "Cache-Control": "no-cache",
  };
}

/** $select parsed to canonical names; an error result for a name the user resource does not have. */
function parseSelect(query: URLSearchParams, correlation: Correlation): string[] | GraphResult | undefined {
  const raw = query.get("$select");
  if (raw === null) return undefined;
  const names = raw.split(",").map((s) => s.trim()).filter(Boolean);
  const selected: string[] = [];
  for (const name of names) {
    const canonical = CANONICAL_PROPERTY.get(name.toLowerCase());
    if (canonical === undefined) return graphError(400, "BadRequest", `Could not find a property named '${name}' on type 'microsoft.graph.user'.`, correlation);
    if (!selected.includes(canonical)) selected.push(canonical);
  }
  return selected;
}

/** A user with exactly the selected properties (the default set without $select). */
function toGraphUser(r: Recipient, select: readonly string[] | undefined): Record<string, unknown> {
  const primary = r.addresses.map(parseProxyAddress).find((p) => p.primary)?.value ?? null;
  const modelled: Record<string, unknown> = {
    id: r.id,
    userPrincipalName: r.upn ?? null,
    displayName: r.displayName,
    mail: primary,
    proxyAddresses: r.addresses,
    onPremisesSyncEnabled: r.synced ? true : null,
  };
  const keys = select ?? DEFAULT_USER_PROPERTIES;
  return Object.fromEntries(keys.map((k) => [k, k in modelled ? modelled[k] : COLLECTION_PROPERTIES.has(k) ? [] : null]));
}

/** `users` or `users(a,b)`, the form Graph puts in @odata.context. */
const contextOf = (select: readonly string[] | undefined) => (select === undefined ? "users" : `users(${select.join(",")})`);

/** Where Graph's users come from: the tenant, possibly behind Exchange by a propagation lag. */
export interface GraphUserSource {
  find(identity: string): Recipient | undefined;
  list(options: { after?: string; limit?: number; usersOnly?: boolean }): Recipient[];
}

interface BatchItem {
  id?: unknown;
  method?: unknown;
  url?: unknown;
  dependsOn?: unknown;
  headers?: unknown;
}

export class GraphEndpoint {
  readonly #users: GraphUserSource;
  readonly #faults: FaultInjector;
  readonly #counters: Counters;
  readonly #baseUrl: () => string;

  constructor(users: GraphUserSource, faults: FaultInjector, counters: Counters, baseUrl: () => string) {
    this.#users = users;
    this.#faults = faults;
    this.#counters = counters;
    this.#baseUrl = baseUrl;
  }

  /** Answers one Graph GET (also used for each item of a batch). `path` is after /v1.0. */
  get(path: string, query: URLSearchParams, correlation: Correlation): GraphResult {
    const select = parseSelect(query, correlation);
    if (select !== undefined && !Array.isArray(select)) return select;
    let segments: string[];
    try {
      segments = path.split("/").filter(Boolean).map(decodeURIComponent);
    } catch {
      return graphError(400, "BadRequest", `The request URI '${path}' is not valid.`, correlation);
    }
    const root = (segments[0] ?? "").toLowerCase();
    if (root === "users" && segments.length === 2 && segments[1]!.toLowerCase() !== "delta") {
      this.#counters.add("graph.users.get");
      const identity = segments[1]!;
      const found = this.#users.find(identity);
      // Graph addresses a user by object id or user principal name only, not by an email address.
      const addressed = found !== undefined && (found.id === identity.toLowerCase() || found.upn?.toLowerCase() === identity.toLowerCase());
      if (found === undefined || found.upn === undefined || !addressed) {
        return graphError(404, "Request_ResourceNotFound", `Resource '${identity}' does not exist or one of its queried reference-property objects are not present.`, correlation);
      }
      return { status: 200, body: { "@odata.context": `${this.#baseUrl()}/v1.0/$metadata#${contextOf(select)}/$entity`, ...toGraphUser(found, select) } };
    }
    if (root === "users" && segments.length === 1) {
      this.#counters.add("graph.users.list");
      if (query.has("$filter") || query.has("$search") || query.has("$orderby") || query.has("$expand")) {
        return graphError(501, "NotImplemented", "The emulator does not implement $filter, $search, $orderby or $expand on users.", correlation);
      }
      const topText = query.get("$top");
      const top = topText === null ? DEFAULT_PAGE : Number(topText);
      if (!Number.isInteger(top) || top < 1 || top > MAX_PAGE) {
        // Graph refuses a page size outside 1..999 for directory objects.
        return graphError(400, "Request_UnsupportedQuery", `Invalid page size specified: '${topText}'. Must be between 1 and ${MAX_PAGE} inclusive.`, correlation);
      }
      const page = this.#users.list({ after: query.get("$skiptoken") ?? undefined, limit: top + 1, usersOnly: true });
      const users = page.slice(0, top);
      const more = page.length > top;
      const next = new URLSearchParams(query);
      if (more) next.set("$skiptoken", users[users.length - 1]!.id);
      return {
        status: 200,
        body: {
          "@odata.context": `${this.#baseUrl()}/v1.0/$metadata#${contextOf(select)}`,
          ...(more ? { "@odata.nextLink": `${this.#baseUrl()}/v1.0/users?${next.toString()}` } : {}),
          value: users.map((u) => toGraphUser(u, select)),
        },
      };
    }
    if (root === "users" || UNMODELLED_ROOTS.has(root)) {
      // A real Graph resource the emulator does not model (users/delta, a user's memberOf, /groups…).
      return graphError(501, "NotImplemented", `The emulator does not implement '/${segments.join("/")}'; it serves /users, /users/{id | userPrincipalName} and /$batch.`, correlation);
    }
    return graphError(400, "BadRequest", `Resource not found for the segment '${segments[0] ?? ""}'.`, correlation);
  }

  /** POST /v1.0/$batch with a parsed body. */
  batch(body: unknown, correlation: Correlation): GraphResult {
    this.#counters.add("graph.batch");
    const requests = (body as { requests?: unknown })?.requests;
    if (!Array.isArray(requests)) return graphError(400, "BadRequest", "Invalid batch payload format.", correlation);
    if (requests.length === 0 || requests.length > MAX_BATCH_REQUESTS) {
      return graphError(400, "BadRequest", `Number of batch requests must be between 1 and ${MAX_BATCH_REQUESTS}; this batch holds ${requests.length}.`, correlation);
    }
    const items = requests as BatchItem[];
    const ids = new Set<string>();
    for (const item of items) {
      if (typeof item !== "object" || item === null || typeof item.id !== "string" || item.id === "" || typeof item.method !== "string" || typeof item.url !== "string") {
        return graphError(400, "BadRequest", "Each batch request needs a string id, method and url.", correlation);
      }
      if (ids.has(item.id)) return graphError(400, "BadRequest", `Batch request contains duplicate id '${item.id}'.`, correlation);
      ids.add(item.id);
    }
    for (const item of items) {
      const deps = item.dependsOn;
      if (deps === undefined) continue;
      if (!Array.isArray(deps) || deps.some((d) => typeof d !== "string" || !ids.has(d) || d === item.id)) {
        return graphError(400, "BadRequest", `The dependsOn of batch request '${String(item.id)}' names a request that is not in the batch.`, correlation);
      }
    }
    // Items run in order (a dependency runs first); one whose dependency failed is answered 424.
    const statusById = new Map<string, number>();
    const responses = items.map((item) => {
      const id = item.id as string;
      const itemCorrelation = { requestId: randomUUID(), clientRequestId: correlation.clientRequestId };
      const answer = this.#batchItem(item, (item.dependsOn as string[] | undefined) ?? [], statusById, itemCorrelation);
      statusById.set(id, answer.status);
      return { id, status: answer.status, headers: { ...batchItemHeaders(), ...(answer.headers ?? {}) }, body: answer.body };
    });
    return { status: 200, body: { responses } };
  }

  #batchItem(item: BatchItem, dependsOn: readonly string[], statusById: ReadonlyMap<string, number>, correlation: Correlation): GraphResult {
    this.#counters.add("graph.batch.items");
    const failed = dependsOn.find((d) => (statusById.get(d) ?? 0) >= 400);
    if (failed !== undefined) return graphError(424, "FailedDependency", `Batch request '${String(item.id)}' depends on request '${failed}', which failed.`, correlation);
    if ((item.method as string).toUpperCase() !== "GET") return graphError(405, "Request_BadRequest", "The emulator batches GET requests only.", correlation);
    const fault = this.#faults.decideBatchItem();
    if (fault.kind === "throttle") {
      this.#counters.add("graph.batch.items.throttled");
      return graphError(429, "TooManyRequests", "Too many requests. Please retry after the time given in Retry-After.", correlation, { "Retry-After": String(fault.retryAfterSeconds) });
    }
    let url: URL;
    try {
      url = new URL(item.url as string, "https://graph.invalid/v1.0/");
    } catch {
      return graphError(400, "BadRequest", `Invalid request URL '${String(item.url)}'.`, correlation);
    }
    // Relative URLs as the docs show them; Microsoft's SDKs (msgraph-core) also send absolute
    // URLs to Graph's own host, which Graph accepts. Another host is refused.
    if (url.host !== "graph.invalid" && url.host !== new URL(this.#baseUrl()).host && url.host !== "graph.microsoft.com") {
      return graphError(400, "BadRequest", "Batch request URLs must be relative to this service.", correlation);
    }
    const path = url.pathname.replace(/^\/v1\.0/, "");
    return this.get(path.startsWith("/") ? path : `/${path}`, url.searchParams, correlation);
  }
}

/** Headers Graph puts on each response inside a batch. */
function batchItemHeaders(): Record<string, string> {
  return { "Cache-Control": "no-cache", "x-ms-resource-unit": "1", "OData-Version": "4.0", "Content-Type": GRAPH_CONTENT_TYPE };
}
