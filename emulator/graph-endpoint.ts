// Microsoft Graph v1.0, the part this project reads: users by id or UPN, groups and organizational
// contacts by id, their lists with @odata.nextLink paging, $select, $filter on proxyAddresses and
// the properties that tell the kinds apart (./graph-filter.ts), PATCH of a user's
// userPrincipalName, and JSON $batch (at most 20 requests, each throttled on its own, dependsOn
// honoured; GET and PATCH items answered as the same request sent alone, POST, PUT and DELETE
// items as Graph methods the emulator does not implement). The tenant model's recipients are
// shown where Graph shows each kind (exchange/exchange-rules.ts RECIPIENT_KINDS: mailboxes and
// mail users are users; distribution, mail-enabled security and Microsoft 365 groups are groups;
// mail contacts are contacts; dynamic distribution groups are not in Graph), seen through the
// propagation lag when one is set (Exchange writes reach Graph later).
// Sources: https://learn.microsoft.com/graph/api/resources/user (properties, default set)
//          https://learn.microsoft.com/graph/api/group-list, .../resources/group (default set, $filter support)
//          https://learn.microsoft.com/graph/api/orgcontact-list, .../resources/orgcontact
//          https://learn.microsoft.com/graph/microsoft365-groups-concept-overview (groupTypes, mailEnabled, securityEnabled)
//          https://learn.microsoft.com/graph/query-parameters ($select, @odata.context)
//          https://learn.microsoft.com/graph/json-batching (limits, dependsOn, 424)
//          https://learn.microsoft.com/graph/errors (error body, innerError)
import { randomUUID } from "node:crypto";
import { parseProxyAddress } from "../core/address";
import { RECIPIENT_KINDS, ALL_RECIPIENT_KINDS, type RecipientKind } from "../exchange/exchange-rules";
import type { DirectoryHolder, ListOptions, Recipient } from "../tenant/tenant";
import { aliasOf } from "./exchange-endpoint";
import type { Counters, FaultInjector } from "./faults";
import { parseDirectoryFilter, type FilterableProperty, type FilterValue } from "./graph-filter";

/** Graph's limit on requests inside one JSON batch. */
export const MAX_BATCH_REQUESTS = 20;
const MAX_PAGE = 999;
const DEFAULT_PAGE = 100;

/** The content type Graph answers with (JSON, OData minimal metadata). */
export const GRAPH_CONTENT_TYPE =
  "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

/** Properties v1.0 returns for a user without $select, in Graph's order. */
export const DEFAULT_USER_PROPERTIES = [
  "businessPhones",
  "displayName",
  "givenName",
  "jobTitle",
  "mail",
  "mobilePhone",
  "officeLocation",
  "preferredLanguage",
  "surname",
  "userPrincipalName",
  "id",
];

/** Collection-valued user properties: unmodelled ones come back as [], as Graph sends empty collections. */
const COLLECTION_PROPERTIES = new Set([
  "businessPhones",
  "imAddresses",
  "otherMails",
  "proxyAddresses",
  "identities",
  "assignedLicenses",
  "assignedPlans",
  "provisionedPlans",
  "onPremisesProvisioningErrors",
  "infoCatalogs",
  "interests",
  "pastProjects",
  "responsibilities",
  "schools",
  "skills",
]);

/** Every property of the v1.0 user resource a $select may name (the emulator models a few). */
const USER_PROPERTIES = [
  ...DEFAULT_USER_PROPERTIES,
  "aboutMe",
  "accountEnabled",
  "ageGroup",
  "assignedLicenses",
  "assignedPlans",
  "birthday",
  "city",
  "companyName",
  "consentProvidedForMinor",
  "country",
  "createdDateTime",
  "creationType",
  "deletedDateTime",
  "department",
  "employeeHireDate",
  "employeeId",
  "employeeLeaveDateTime",
  "employeeOrgData",
  "employeeType",
  "externalUserState",
  "externalUserStateChangeDateTime",
  "faxNumber",
  "hireDate",
  "identities",
  "imAddresses",
  "interests",
  "isResourceAccount",
  "lastPasswordChangeDateTime",
  "legalAgeGroupClassification",
  "licenseAssignmentStates",
  "mailboxSettings",
  "mailNickname",
  "mySite",
  "onPremisesDistinguishedName",
  "onPremisesDomainName",
  "onPremisesExtensionAttributes",
  "onPremisesImmutableId",
  "onPremisesLastSyncDateTime",
  "onPremisesProvisioningErrors",
  "onPremisesSamAccountName",
  "onPremisesSecurityIdentifier",
  "onPremisesSyncEnabled",
  "onPremisesUserPrincipalName",
  "otherMails",
  "passwordPolicies",
  "passwordProfile",
  "pastProjects",
  "postalCode",
  "preferredDataLocation",
  "preferredName",
  "provisionedPlans",
  "proxyAddresses",
  "responsibilities",
  "schools",
  "securityIdentifier",
  "showInAddressList",
  "signInActivity",
  "signInSessionsValidFromDateTime",
  "skills",
  "state",
  "streetAddress",
  "usageLocation",
  "userType",
];
/** Properties v1.0 returns for a group without $select, in the order of group-list's example 1. */
export const DEFAULT_GROUP_PROPERTIES = [
  "id",
  "deletedDateTime",
  "classification",
  "createdDateTime",
  "description",
  "displayName",
  "expirationDateTime",
  "groupTypes",
  "isAssignableToRole",
  "mail",
  "mailEnabled",
  "mailNickname",
  "membershipRule",
  "membershipRuleProcessingState",
  "onPremisesLastSyncDateTime",
  "onPremisesSecurityIdentifier",
  "onPremisesSyncEnabled",
  "preferredDataLocation",
  "preferredLanguage",
  "proxyAddresses",
  "renewedDateTime",
  "resourceBehaviorOptions",
  "resourceProvisioningOptions",
  "securityEnabled",
  "theme",
  "visibility",
  "onPremisesProvisioningErrors",
];
/** Every property of the v1.0 group resource a $select may name. */
const GROUP_PROPERTIES = [
  ...DEFAULT_GROUP_PROPERTIES,
  "allowExternalSenders",
  "assignedLabels",
  "assignedLicenses",
  "autoSubscribeNewMembers",
  "hasMembersWithLicenseErrors",
  "hideFromAddressLists",
  "hideFromOutlookClients",
  "isArchived",
  "isSubscribedByMail",
  "licenseProcessingState",
  "onPremisesDomainName",
  "onPremisesNetBiosName",
  "onPremisesSamAccountName",
  "securityIdentifier",
  "serviceProvisioningErrors",
  "unseenCount",
];
/** Properties of an organizational contact returned without $select (orgContact resource; order unverified). */
export const DEFAULT_CONTACT_PROPERTIES = [
  "id",
  "deletedDateTime",
  "companyName",
  "department",
  "displayName",
  "givenName",
  "jobTitle",
  "mail",
  "mailNickname",
  "onPremisesLastSyncDateTime",
  "onPremisesSyncEnabled",
  "surname",
  "addresses",
  "onPremisesProvisioningErrors",
  "phones",
  "proxyAddresses",
  "serviceProvisioningErrors",
];
const CONTACT_PROPERTIES = [...DEFAULT_CONTACT_PROPERTIES, "imAddresses", "manager"];
const GROUP_COLLECTIONS = new Set([
  "groupTypes",
  "proxyAddresses",
  "resourceBehaviorOptions",
  "resourceProvisioningOptions",
  "onPremisesProvisioningErrors",
  "assignedLabels",
  "assignedLicenses",
  "serviceProvisioningErrors",
]);
const CONTACT_COLLECTIONS = new Set([
  "addresses",
  "onPremisesProvisioningErrors",
  "phones",
  "proxyAddresses",
  "serviceProvisioningErrors",
  "imAddresses",
]);

/** What $filter may name on each resource (the resource pages' "Supports $filter"). */
const PROXY_ADDRESSES: FilterableProperty = {
  collection: true,
  operators: ["eq", "startswith", "endswith"],
  advanced: ["endswith"],
};
const STRING_EQ: FilterableProperty = { collection: false, operators: ["eq", "ne", "startswith"] };
const BOOLEAN_EQ: FilterableProperty = { collection: false, operators: ["eq", "ne"] };
const ID_EQ: FilterableProperty = { collection: false, operators: ["eq", "ne"] };
const USER_FILTERS: Record<string, FilterableProperty> = {
  id: ID_EQ,
  displayName: STRING_EQ,
  mail: { collection: false, operators: ["eq", "ne", "startswith", "endswith"], advanced: ["endswith", "ne"] },
  userPrincipalName: {
    collection: false,
    operators: ["eq", "ne", "startswith", "endswith"],
    advanced: ["endswith", "ne"],
  },
  onPremisesSyncEnabled: BOOLEAN_EQ,
  proxyAddresses: PROXY_ADDRESSES,
};
const GROUP_FILTERS: Record<string, FilterableProperty> = {
  id: ID_EQ,
  displayName: STRING_EQ,
  mail: { collection: false, operators: ["eq", "ne", "startswith", "endswith"], advanced: ["endswith", "ne"] },
  mailNickname: STRING_EQ,
  mailEnabled: BOOLEAN_EQ,
  securityEnabled: BOOLEAN_EQ,
  onPremisesSyncEnabled: BOOLEAN_EQ,
  groupTypes: { collection: true, operators: ["eq"] },
  proxyAddresses: PROXY_ADDRESSES,
};
const CONTACT_FILTERS: Record<string, FilterableProperty> = {
  id: ID_EQ,
  displayName: STRING_EQ,
  mail: STRING_EQ,
  mailNickname: STRING_EQ,
  onPremisesSyncEnabled: BOOLEAN_EQ,
  proxyAddresses: PROXY_ADDRESSES,
};

/** The kinds Graph shows in each collection. */
const KINDS_IN: Record<"users" | "groups" | "contacts", readonly RecipientKind[]> = {
  users: ALL_RECIPIENT_KINDS.filter((t) => RECIPIENT_KINDS[t].graph.collection === "users"),
  groups: ALL_RECIPIENT_KINDS.filter((t) => RECIPIENT_KINDS[t].graph.collection === "groups"),
  contacts: ALL_RECIPIENT_KINDS.filter((t) => RECIPIENT_KINDS[t].graph.collection === "contacts"),
};

/** One directory collection Graph serves: how its objects look and what a request may ask. */
interface DirectoryResource {
  readonly root: "users" | "groups" | "contacts";
  /** The OData type named in "Could not find a property named…". */
  readonly odataType: string;
  /** The resource's name in filter refusals ("… of resource 'Group'"). */
  readonly filterName: string;
  readonly defaults: readonly string[];
  readonly properties: ReadonlyMap<string, string>;
  readonly collections: ReadonlySet<string>;
  readonly filters: Readonly<Record<string, FilterableProperty>>;
  readonly view: (r: Recipient) => Record<string, unknown>;
}

const primaryAddressOf = (r: Recipient) => r.addresses.map(parseProxyAddress).find((p) => p.primary)?.value ?? null;

const RESOURCES: Record<"users" | "groups" | "contacts", DirectoryResource> = {
  users: {
    root: "users",
    odataType: "microsoft.graph.user",
    filterName: "User",
    defaults: DEFAULT_USER_PROPERTIES,
    properties: new Map(USER_PROPERTIES.map((p) => [p.toLowerCase(), p])),
    collections: COLLECTION_PROPERTIES,
    filters: USER_FILTERS,
    view: (r) => ({
      id: r.id,
      userPrincipalName: r.upn ?? null,
      displayName: r.displayName,
      mail: primaryAddressOf(r),
      proxyAddresses: r.addresses,
      onPremisesSyncEnabled: r.synced ? true : null,
      // Set by the directory sync (./directory-sync.ts); null on cloud-only users, as Graph shows them.
      onPremisesImmutableId: r.onPremises?.immutableId ?? null,
      onPremisesSecurityIdentifier: r.onPremises?.securityIdentifier ?? null,
      onPremisesLastSyncDateTime: r.onPremises?.lastSyncDateTime ?? null,
      // The attributes address policies read (tenant/tenant.ts DirectoryAttributes); null when unset, as Graph shows them.
      givenName: r.attributes?.givenName ?? null,
      surname: r.attributes?.surname ?? null,
      mailNickname: aliasOf(r),
      department: r.attributes?.department ?? null,
      companyName: r.attributes?.companyName ?? null,
      country: r.attributes?.country ?? null,
    }),
  },
  groups: {
    root: "groups",
    odataType: "microsoft.graph.group",
    filterName: "Group",
    defaults: DEFAULT_GROUP_PROPERTIES,
    properties: new Map(GROUP_PROPERTIES.map((p) => [p.toLowerCase(), p])),
    collections: GROUP_COLLECTIONS,
    filters: GROUP_FILTERS,
    view: (r) => {
      const graph = RECIPIENT_KINDS[r.kind].graph;
      return {
        id: r.id,
        displayName: r.displayName,
        groupTypes: [...(graph.groupTypes ?? [])],
        mail: primaryAddressOf(r),
        mailEnabled: graph.mailEnabled ?? true,
        mailNickname: aliasOf(r),
        proxyAddresses: r.addresses,
        securityEnabled: graph.securityEnabled ?? false,
        onPremisesSyncEnabled: r.synced ? true : null,
        // Microsoft 365 groups are Public unless made Private; other groups have none (group resource, visibility).
        visibility: r.kind === "GroupMailbox" ? "Public" : null,
      };
    },
  },
  contacts: {
    root: "contacts",
    odataType: "microsoft.graph.orgContact",
    filterName: "OrgContact",
    defaults: DEFAULT_CONTACT_PROPERTIES,
    properties: new Map(CONTACT_PROPERTIES.map((p) => [p.toLowerCase(), p])),
    collections: CONTACT_COLLECTIONS,
    filters: CONTACT_FILTERS,
    view: (r) => ({
      id: r.id,
      displayName: r.displayName,
      mail: primaryAddressOf(r),
      mailNickname: aliasOf(r),
      proxyAddresses: r.addresses,
      onPremisesSyncEnabled: r.synced ? true : null,
    }),
  },
};

/** Root segments of real Graph v1.0 that the emulator does not serve: Graph has them, so not 400. */
const UNMODELLED_ROOTS = new Set([
  "me",
  "orgcontact",
  "applications",
  "serviceprincipals",
  "organization",
  "domains",
  "directoryobjects",
  "directoryroles",
  "devices",
  "invitations",
  "sites",
  "drives",
  "teams",
  "chats",
  "security",
  "identity",
  "policies",
  "reports",
  "subscriptions",
  "auditlogs",
  "admin",
  "places",
  "solutions",
  "education",
  "communications",
  "identitygovernance",
  "rolemanagement",
  "print",
  "external",
]);

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

/**
 * The ids of one request. Graph echoes the client's client-request-id; when the client sent none,
 * both headers carry the one id Graph made up (graph/errors: "request-id" and "client-request-id").
 */
export function newCorrelation(clientRequestId: string | undefined): Correlation {
  const requestId = randomUUID();
  return { requestId, clientRequestId: clientRequestId ?? requestId };
}

/** Graph's error body: code, message and innerError with the date (seconds) and both ids. */
export function graphError(
  status: number,
  code: string,
  message: string,
  correlation: Correlation,
  headers?: Record<string, string>,
): GraphResult {
  return {
    status,
    body: {
      error: {
        code,
        message,
        innerError: {
          date: new Date().toISOString().replace(/\.\d+Z$/, ""),
          "request-id": correlation.requestId,
          "client-request-id": correlation.clientRequestId,
        },
      },
    },
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
    "x-ms-ags-diagnostic": JSON.stringify({
      ServerInfo: { DataCenter: "Emulator", Slice: "E", Ring: "0", ScaleUnit: "000", RoleInstance: "127.0.0.1" },
    }),
    "Strict-Transport-Security": "max-age=31536000",
    "Cache-Control": "no-cache",
  };
}

/** $select parsed to canonical names; an error result for a name the resource does not have. */
function parseSelect(
  query: URLSearchParams,
  correlation: Correlation,
  resource: DirectoryResource = RESOURCES.users,
): string[] | GraphResult | undefined {
  const raw = query.get("$select");
  if (raw === null) return undefined;
  const names = raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const selected: string[] = [];
  for (const name of names) {
    const canonical = resource.properties.get(name.toLowerCase());
    if (canonical === undefined)
      return graphError(
        400,
        "BadRequest",
        `Could not find a property named '${name}' on type '${resource.odataType}'.`,
        correlation,
      );
    if (!selected.includes(canonical)) selected.push(canonical);
  }
  return selected;
}

/** An object with exactly the selected properties (the default set without $select); unmodelled ones null or []. */
function toGraphObject(
  resource: DirectoryResource,
  r: Recipient,
  select: readonly string[] | undefined,
): Record<string, unknown> {
  const modelled = resource.view(r);
  const keys = select ?? resource.defaults;
  return Object.fromEntries(
    keys.map((k) => [k, k in modelled ? modelled[k] : resource.collections.has(k) ? [] : null]),
  );
}

/** `users` or `groups(a,b)`, the form Graph puts in @odata.context. */
const contextOf = (select: readonly string[] | undefined, root = "users") =>
  select === undefined ? root : `${root}(${select.join(",")})`;

/** What Graph's PATCH of userPrincipalName writes to (the tenant). */
export interface UserPrincipalNameWriter {
  setUserPrincipalName(identity: string, upn: string): unknown;
}

/** Where Graph's directory objects come from: the tenant, possibly behind Exchange by a propagation lag. */
export interface GraphUserSource {
  find(identity: string): Recipient | undefined;
  list(options: ListOptions): Recipient[];
  /** Objects holding addresses that are not recipients (tenant/tenant.ts DirectoryHolder); absent: none. */
  holders?(kinds: readonly DirectoryHolder["kind"][]): DirectoryHolder[];
}

/** Which holders Graph shows in each collection: Entra users and contacts without a recipient. */
const HOLDERS_IN: Record<"users" | "groups" | "contacts", readonly DirectoryHolder["kind"][]> = {
  users: ["EntraUser"],
  groups: [],
  contacts: ["EntraContact"],
};

/** A holder Graph shows as a user or contact, in the shape the collection's view reads. */
function holderAsObject(h: DirectoryHolder): Recipient {
  const kind = h.kind === "EntraContact" ? "MailContact" : "UserMailbox";
  return {
    id: h.id,
    upn: h.upn,
    displayName: h.displayName,
    kind,
    synced: h.synced,
    cloudManaged: false,
    addresses: [...h.addresses],
  };
}

/** What Graph returns of a deleted user (user resource; deletedDateTime: directoryObject). */
const DELETED_USER_PROPERTIES = [
  "id",
  "displayName",
  "userPrincipalName",
  "mail",
  "proxyAddresses",
  "deletedDateTime",
  "onPremisesSyncEnabled",
];

interface BatchItem {
  id?: unknown;
  method?: unknown;
  url?: unknown;
  dependsOn?: unknown;
  headers?: unknown;
  body?: unknown;
}

/** What a batch's write items need: whether the caller's token may write (user-update's permissions), and the writer. */
export interface GraphWrites {
  readonly allowed: { readonly ok: true } | { readonly ok: false; readonly status: number; readonly reason: string };
  readonly writer: UserPrincipalNameWriter;
}

/** Methods Graph serves on its resources that the emulator does not implement (it writes a user's UPN only). */
const UNIMPLEMENTED_METHODS = new Set(["POST", "PUT", "DELETE"]);

/** A request method the emulator does not serve on `path`: 501 for a Graph method it does not implement, 405 otherwise. */
export function unservedMethod(method: string, path: string, correlation: Correlation): GraphResult {
  if (UNIMPLEMENTED_METHODS.has(method.toUpperCase())) {
    return graphError(
      501,
      "NotImplemented",
      `The emulator does not implement ${method.toUpperCase()} on '${path}'; it serves reads, PATCH of a user's userPrincipalName, and /$batch.`,
      correlation,
    );
  }
  return graphError(
    405,
    "Request_BadRequest",
    `The emulator serves only reads and PATCH of a user on ${path}.`,
    correlation,
  );
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

  /**
   * Answers one Graph GET (also used for each item of a batch). `path` is after /v1.0. `headers`
   * (lower-case names), where known, tell an advanced query (ConsistencyLevel: eventual) apart.
   */
  get(
    path: string,
    query: URLSearchParams,
    correlation: Correlation,
    headers?: Readonly<Record<string, string>>,
  ): GraphResult {
    let segments: string[];
    try {
      segments = path.split("/").filter(Boolean).map(decodeURIComponent);
    } catch {
      return graphError(400, "BadRequest", `The request URI '${path}' is not valid.`, correlation);
    }
    // Graph also takes a key in parentheses: /users('{id | userPrincipalName}'), the form it
    // requires for a UPN that starts with "$" (user-get); a quote inside is written twice.
    const keyed = /^(users|groups|contacts)\('((?:[^']|'')*)'\)$/i.exec(segments[0] ?? "");
    if (keyed) segments = [keyed[1]!, keyed[2]!.replace(/''/g, "'"), ...segments.slice(1)];
    const root = (segments[0] ?? "").toLowerCase();
    if (
      root === "directory" &&
      segments.length === 3 &&
      segments[1]!.toLowerCase() === "deleteditems" &&
      segments[2]!.toLowerCase() === "microsoft.graph.user"
    ) {
      return this.#deletedUsers(query, correlation);
    }
    const resource = root === "users" || root === "groups" || root === "contacts" ? RESOURCES[root] : undefined;
    if (
      resource !== undefined &&
      (segments.length === 1 || (segments.length === 2 && segments[1]!.toLowerCase() !== "delta"))
    ) {
      const select = parseSelect(query, correlation, resource);
      if (select !== undefined && !Array.isArray(select)) return select;
      return segments.length === 2
        ? this.#getOne(resource, segments[1]!, select, correlation)
        : this.#list(resource, query, select, correlation, headers);
    }
    if (resource !== undefined || UNMODELLED_ROOTS.has(root)) {
      const select = parseSelect(query, correlation);
      if (root === "users" && select !== undefined && !Array.isArray(select)) return select;
      // A real Graph resource the emulator does not model (users/delta, a user's memberOf, /groups/{id}/members…).
      return graphError(
        501,
        "NotImplemented",
        `The emulator does not implement '/${segments.join("/")}'; it serves /users, /groups and /contacts (lists and one by id), and /$batch.`,
        correlation,
      );
    }
    return graphError(400, "BadRequest", `Resource not found for the segment '${segments[0] ?? ""}'.`, correlation);
  }

  /**
   * PATCH /users/{id | userPrincipalName} (user-update): the emulator models userPrincipalName
   * only, under Entra's rules (tenant/tenant.ts setUserPrincipalName): 204 No Content on success;
   * 400 Request_BadRequest for a domain the tenant has not verified, a UPN another object has, a
   * synced user; 404 for an unknown user. Other properties: 501 (not modelled).
   */
  patch(path: string, body: unknown, correlation: Correlation, writer: UserPrincipalNameWriter): GraphResult {
    const segments = path
      .split("/")
      .filter(Boolean)
      .map((s) => {
        try {
          return decodeURIComponent(s);
        } catch {
          return s;
        }
      });
    if (segments.length !== 2 || segments[0]!.toLowerCase() !== "users")
      return graphError(405, "Request_BadRequest", `The emulator serves PATCH on /users/{id} only.`, correlation);
    this.#counters.add("graph.users.patch");
    if (typeof body !== "object" || body === null || Array.isArray(body))
      return graphError(400, "BadRequest", "Empty Payload. JSON content expected.", correlation);
    const keys = Object.keys(body);
    const unmodelled = keys.filter((k) => k !== "userPrincipalName");
    if (unmodelled.length > 0) {
      const unknown = unmodelled.find((k) => !RESOURCES.users.properties.has(k.toLowerCase()));
      if (unknown !== undefined)
        return graphError(
          400,
          "Request_BadRequest",
          `Property '${unknown}' does not exist as a declared property or extension property.`,
          correlation,
        );
      return graphError(
        501,
        "NotImplemented",
        `The emulator writes userPrincipalName only; not ${unmodelled.join(", ")}.`,
        correlation,
      );
    }
    const upn = (body as { userPrincipalName?: unknown }).userPrincipalName;
    if (typeof upn !== "string")
      return graphError(
        400,
        "Request_BadRequest",
        "Invalid value specified for property 'userPrincipalName' of resource 'User'.",
        correlation,
      );
    const found = this.#users.find(segments[1]!);
    const key = segments[1]!.toLowerCase();
    if (found === undefined || found.upn === undefined || (found.id !== key && found.upn.toLowerCase() !== key)) {
      return graphError(
        404,
        "Request_ResourceNotFound",
        `Resource '${segments[1]}' does not exist or one of its queried reference-property objects are not present.`,
        correlation,
      );
    }
    try {
      writer.setUserPrincipalName(found.id, upn);
    } catch (err) {
      const e = err as { name?: string; status?: number; code?: string; message?: string };
      if (e.name === "UpnError")
        return graphError(e.status ?? 400, e.code ?? "Request_BadRequest", e.message ?? "", correlation);
      throw err;
    }
    return { status: 204, body: undefined };
  }

  /**
   * GET /directory/deletedItems/microsoft.graph.user (directory-deleteditems-list): the users in
   * Entra's recycle bin, deleted less than 30 days ago (soft-deleted mailboxes' users among them),
   * with deletedDateTime and proxyAddresses; $select, $top, paged by @odata.nextLink.
   */
  #deletedUsers(query: URLSearchParams, correlation: Correlation): GraphResult {
    this.#counters.add("graph.deletedItems.list");
    if (query.has("$filter") || query.has("$search") || query.has("$orderby")) {
      return graphError(
        501,
        "NotImplemented",
        "The emulator lists deleted users without $filter, $search or $orderby.",
        correlation,
      );
    }
    const topText = query.get("$top");
    const top = topText === null ? DEFAULT_PAGE : Number(topText);
    if (!Number.isInteger(top) || top < 1 || top > MAX_PAGE) {
      return graphError(
        400,
        "Request_UnsupportedQuery",
        `Invalid page size specified: '${topText}'. Must be between 1 and ${MAX_PAGE} inclusive.`,
        correlation,
      );
    }
    const raw = query.get("$select");
    const select =
      raw === null
        ? DELETED_USER_PROPERTIES
        : raw
            .split(",")
            .map((n) => n.trim())
            .filter(Boolean);
    const unknown = select.find((n) => !DELETED_USER_PROPERTIES.some((p) => p.toLowerCase() === n.toLowerCase()));
    if (unknown !== undefined)
      return graphError(
        400,
        "BadRequest",
        `Could not find a property named '${unknown}' on type 'microsoft.graph.user'.`,
        correlation,
      );
    // An opaque skip token, as /users pages carry.
    const skipToken = query.get("$skiptoken");
    const after =
      skipToken === null ? "" : /^RFNwdA:(.+)$/.exec(Buffer.from(skipToken, "base64url").toString("utf8"))?.[1];
    if (after === undefined) return graphError(400, "Request_BadRequest", "Invalid $skiptoken.", correlation);
    const all = (this.#users.holders?.(["SoftDeletedMailbox", "DeletedUser"]) ?? []).filter((h) => h.id > after);
    const page = all.slice(0, top);
    const view = (h: DirectoryHolder): Record<string, unknown> => ({
      id: h.id,
      displayName: h.displayName,
      userPrincipalName: h.upn ?? null,
      mail: h.addresses.map(parseProxyAddress).find((p) => p.primary)?.value ?? null,
      proxyAddresses: h.addresses,
      deletedDateTime: h.deletedAt ?? null,
      onPremisesSyncEnabled: h.synced ? true : null,
    });
    const next = new URLSearchParams(query);
    if (all.length > top)
      next.set("$skiptoken", Buffer.from(`RFNwdA:${page[page.length - 1]!.id}`).toString("base64url"));
    return {
      status: 200,
      body: {
        "@odata.context": `${this.#baseUrl()}/v1.0/$metadata#directoryObjects/microsoft.graph.user`,
        ...(all.length > top
          ? {
              "@odata.nextLink": `${this.#baseUrl()}/v1.0/directory/deletedItems/microsoft.graph.user?${next.toString()}`,
            }
          : {}),
        value: page.map((h) => {
          const full = view(h);
          return {
            "@odata.type": "#microsoft.graph.user",
            ...Object.fromEntries(
              select
                .map((n) => DELETED_USER_PROPERTIES.find((p) => p.toLowerCase() === n.toLowerCase())!)
                .map((p) => [p, full[p]]),
            ),
          };
        }),
      },
    };
  }

  /** GET /users/{id | userPrincipalName}, /groups/{id}, /contacts/{id}. */
  #getOne(
    resource: DirectoryResource,
    identity: string,
    select: readonly string[] | undefined,
    correlation: Correlation,
  ): GraphResult {
    this.#counters.add(`graph.${resource.root}.get`);
    const key0 = identity.toLowerCase();
    const holder = this.#users
      .holders?.(HOLDERS_IN[resource.root])
      .find((h) => h.id === key0 || h.upn?.toLowerCase() === key0);
    const found = this.#users.find(identity) ?? (holder && holderAsObject(holder));
    // Graph addresses a user by object id or user principal name, a group or contact by object id: never by an email address.
    const key = identity.toLowerCase();
    const addressed =
      found !== undefined && (found.id === key || (resource.root === "users" && found.upn?.toLowerCase() === key));
    const shown =
      found !== undefined &&
      KINDS_IN[resource.root].includes(found.kind) &&
      (resource.root !== "users" || found.upn !== undefined);
    if (found === undefined || !addressed || !shown) {
      return graphError(
        404,
        "Request_ResourceNotFound",
        `Resource '${identity}' does not exist or one of its queried reference-property objects are not present.`,
        correlation,
      );
    }
    return {
      status: 200,
      body: {
        "@odata.context": `${this.#baseUrl()}/v1.0/$metadata#${contextOf(select, resource.root)}/$entity`,
        ...toGraphObject(resource, found, select),
      },
    };
  }

  /** GET /users, /groups, /contacts: $select, $top (1..999), $filter, $count, paged by @odata.nextLink. */
  #list(
    resource: DirectoryResource,
    query: URLSearchParams,
    select: readonly string[] | undefined,
    correlation: Correlation,
    headers: Readonly<Record<string, string>> | undefined,
  ): GraphResult {
    this.#counters.add(`graph.${resource.root}.list`);
    if (query.has("$search") || query.has("$orderby") || query.has("$expand")) {
      return graphError(
        501,
        "NotImplemented",
        `The emulator does not implement $search, $orderby or $expand on ${resource.root}.`,
        correlation,
      );
    }
    const topText = query.get("$top");
    const top = topText === null ? DEFAULT_PAGE : Number(topText);
    if (!Number.isInteger(top) || top < 1 || top > MAX_PAGE) {
      // Graph refuses a page size outside 1..999 for directory objects.
      return graphError(
        400,
        "Request_UnsupportedQuery",
        `Invalid page size specified: '${topText}'. Must be between 1 and ${MAX_PAGE} inclusive.`,
        correlation,
      );
    }
    const count = query.get("$count")?.toLowerCase() === "true";
    let keep: (r: Recipient) => boolean = () => true;
    const filterText = query.get("$filter");
    if (filterText !== null) {
      const filter = parseDirectoryFilter(filterText, resource.filterName, resource.filters);
      if (!filter.ok) return graphError(400, filter.code, filter.message, correlation);
      // Advanced queries need $count=true and ConsistencyLevel: eventual (where the headers are known).
      const eventual = headers === undefined || /^eventual$/i.test(headers["consistencylevel"] ?? "");
      if (filter.advanced && (!count || !eventual)) {
        return graphError(
          400,
          "Request_UnsupportedQuery",
          `Unsupported or invalid query filter clause specified for property '${advancedPropertyOf(filterText, resource)}' of resource '${resource.filterName}'. This query needs the ConsistencyLevel: eventual header and $count=true.`,
          correlation,
        );
      }
      const predicate = filter.predicate;
      keep = (r) => {
        const object = resource.view(r);
        return predicate((p) => (p in object ? (object[p] as FilterValue) : resource.collections.has(p) ? [] : null));
      };
    }
    const options: ListOptions = { usersOnly: resource.root === "users", kinds: KINDS_IN[resource.root] };
    const skipToken = query.get("$skiptoken");
    let after: string | undefined;
    if (skipToken !== null) {
      after = /^RFNwdA:(.+)$/.exec(Buffer.from(skipToken, "base64url").toString("utf8"))?.[1];
      if (after === undefined) return graphError(400, "Request_BadRequest", "Invalid $skiptoken.", correlation);
    }
    const page = this.#collect(options, after, top + 1, keep, resource.root);
    const objects = page.slice(0, top);
    const more = page.length > top;
    // Graph's nextLink keeps the query's "$" names as written and carries an opaque skip token.
    const next = new URLSearchParams(query);
    if (more) next.set("$skiptoken", Buffer.from(`RFNwdA:${objects[objects.length - 1]!.id}`).toString("base64url"));
    const nextQuery = [...next]
      .map(([k, v]) => `${k}=${encodeURIComponent(v).replace(/%2C/gi, ",").replace(/%24/g, "$")}`)
      .join("&");
    return {
      status: 200,
      body: {
        "@odata.context": `${this.#baseUrl()}/v1.0/$metadata#${contextOf(select, resource.root)}`,
        // The count comes with the first page only.
        ...(count && !query.has("$skiptoken")
          ? { "@odata.count": this.#collect(options, undefined, Infinity, keep, resource.root).length }
          : {}),
        ...(more ? { "@odata.nextLink": `${this.#baseUrl()}/v1.0/${resource.root}?${nextQuery}` } : {}),
        value: objects.map((o) => toGraphObject(resource, o, select)),
      },
    };
  }

  /**
   * Up to `limit` objects after `after` that pass `keep`, in id order: the collection's recipients
   * and the Entra objects without a recipient it shows (HOLDERS_IN).
   */
  #collect(
    options: ListOptions,
    after: string | undefined,
    limit: number,
    keep: (r: Recipient) => boolean,
    root: "users" | "groups" | "contacts" = "users",
  ): Recipient[] {
    const out: Recipient[] = [];
    const extra = (this.#users.holders?.(HOLDERS_IN[root]) ?? [])
      .map(holderAsObject)
      .filter((h) => (after === undefined || h.id > after) && (root !== "users" || h.upn !== undefined) && keep(h));
    const take = (r: Recipient) => {
      while (extra.length > 0 && extra[0]!.id < r.id && out.length < limit) out.push(extra.shift()!);
      if (out.length < limit && keep(r)) out.push(r);
    };
    let cursor = after;
    for (;;) {
      const chunk = this.#users.list({ ...options, after: cursor, limit: 1000 });
      for (const r of chunk) {
        take(r);
        if (out.length >= limit) return out;
      }
      if (chunk.length < 1000) break;
      cursor = chunk[chunk.length - 1]!.id;
    }
    while (extra.length > 0 && out.length < limit) out.push(extra.shift()!);
    return out;
  }

  /** POST /v1.0/$batch with a parsed body; `writes` for its PATCH items. */
  batch(body: unknown, correlation: Correlation, writes: GraphWrites): GraphResult {
    this.#counters.add("graph.batch");
    const requests = (body as { requests?: unknown })?.requests;
    if (!Array.isArray(requests)) return graphError(400, "BadRequest", "Invalid batch payload format.", correlation);
    if (requests.length === 0 || requests.length > MAX_BATCH_REQUESTS) {
      return graphError(
        400,
        "BadRequest",
        `Number of batch requests must be between 1 and ${MAX_BATCH_REQUESTS}; this batch holds ${requests.length}.`,
        correlation,
      );
    }
    const items = requests as BatchItem[];
    // Graph compares batch request ids without regard to case (duplicates and dependsOn).
    const ids = new Set<string>();
    for (const item of items) {
      if (
        typeof item !== "object" ||
        item === null ||
        typeof item.id !== "string" ||
        item.id === "" ||
        typeof item.method !== "string" ||
        typeof item.url !== "string"
      ) {
        return graphError(400, "BadRequest", "Each batch request needs a string id, method and url.", correlation);
      }
      if (ids.has(item.id.toLowerCase()))
        return graphError(400, "BadRequest", `Batch request contains duplicate id '${item.id}'.`, correlation);
      ids.add(item.id.toLowerCase());
    }
    for (const item of items) {
      const deps = item.dependsOn;
      if (deps === undefined) continue;
      if (
        !Array.isArray(deps) ||
        deps.some(
          (d) =>
            typeof d !== "string" || !ids.has(d.toLowerCase()) || d.toLowerCase() === item.id!.toString().toLowerCase(),
        )
      ) {
        return graphError(
          400,
          "BadRequest",
          `The dependsOn of batch request '${String(item.id)}' names a request that is not in the batch.`,
          correlation,
        );
      }
    }
    // Items run in order (a dependency runs first); one whose dependency failed is answered 424.
    const statusById = new Map<string, number>();
    const responses = items.map((item) => {
      const id = item.id as string;
      const itemCorrelation = { requestId: randomUUID(), clientRequestId: correlation.clientRequestId };
      const answer = this.#batchItem(
        item,
        (item.dependsOn as string[] | undefined) ?? [],
        statusById,
        itemCorrelation,
        writes,
      );
      statusById.set(id.toLowerCase(), answer.status);
      return {
        id,
        status: answer.status,
        headers: { ...batchItemHeaders(), ...(answer.headers ?? {}) },
        body: answer.body,
      };
    });
    // Graph may answer a batch's items in any order (json-batching); the fault shows it.
    if (this.#faults.settings.batchOutOfOrder === true) responses.reverse();
    return { status: 200, body: { responses } };
  }

  #batchItem(
    item: BatchItem,
    dependsOn: readonly string[],
    statusById: ReadonlyMap<string, number>,
    correlation: Correlation,
    writes: GraphWrites,
  ): GraphResult {
    this.#counters.add("graph.batch.items");
    const failed = dependsOn.find((d) => (statusById.get(d.toLowerCase()) ?? 0) >= 400);
    if (failed !== undefined)
      return graphError(
        424,
        "FailedDependency",
        `Batch request '${String(item.id)}' depends on request '${failed}', which failed.`,
        correlation,
      );
    const method = (item.method as string).toUpperCase();
    const fault = this.#faults.decideBatchItem();
    if (fault.kind === "throttle") {
      this.#counters.add("graph.batch.items.throttled");
      return graphError(
        429,
        "TooManyRequests",
        "Too many requests. Please retry after the time given in Retry-After.",
        correlation,
        { "Retry-After": String(fault.retryAfterSeconds) },
      );
    }
    let url: URL;
    try {
      url = new URL(item.url as string, "https://graph.invalid/v1.0/");
    } catch {
      return graphError(400, "BadRequest", `Invalid request URL '${String(item.url)}'.`, correlation);
    }
    // Relative URLs as the docs show them; Microsoft's SDKs (msgraph-core) also send absolute
    // URLs to Graph's own host, which Graph accepts. Another host is refused.
    if (
      url.host !== "graph.invalid" &&
      url.host !== new URL(this.#baseUrl()).host &&
      url.host !== "graph.microsoft.com"
    ) {
      return graphError(400, "BadRequest", "Batch request URLs must be relative to this service.", correlation);
    }
    const relative = url.pathname.replace(/^\/v1\.0/, "");
    const path = relative.startsWith("/") ? relative : `/${relative}`;
    // An item's own headers (ConsistencyLevel for an advanced query) travel in the batch.
    const headers = Object.fromEntries(
      Object.entries(
        typeof item.headers === "object" && item.headers !== null ? (item.headers as Record<string, unknown>) : {},
      ).map(([k, v]) => [k.toLowerCase(), String(v)]),
    );
    if (method === "GET") return this.get(path, url.searchParams, correlation, headers);
    // json-batching: "If a body is included with the request, the headers object must contain a
    // value for Content-Type" (the refusal's status and wording are not documented).
    if (item.body !== undefined && headers["content-type"] === undefined) {
      return graphError(
        400,
        "BadRequest",
        `Batch request '${String(item.id)}' has a body but no Content-Type header.`,
        correlation,
      );
    }
    if (method !== "PATCH") return unservedMethod(method, path, correlation);
    // A PATCH in a batch needs what the same PATCH alone needs: user-update's permissions.
    if (!writes.allowed.ok) {
      return graphError(
        writes.allowed.status,
        writes.allowed.status === 401 ? "InvalidAuthenticationToken" : "Authorization_RequestDenied",
        writes.allowed.reason,
        correlation,
      );
    }
    this.#counters.add("graph.batch.items.patch");
    return this.patch(path, item.body, correlation, writes.writer);
  }
}

/** Headers Graph puts on each response inside a batch. */
function batchItemHeaders(): Record<string, string> {
  return {
    "Cache-Control": "no-cache",
    "x-ms-resource-unit": "1",
    "OData-Version": "4.0",
    "Content-Type": GRAPH_CONTENT_TYPE,
  };
}

/** The property an advanced filter uses, named in the refusal. */
function advancedPropertyOf(filter: string, resource: DirectoryResource): string {
  for (const [name, spec] of Object.entries(resource.filters)) {
    if (spec.advanced?.length && new RegExp(`\\b${name}\\b`, "i").test(filter)) return name;
  }
  return "";
}
