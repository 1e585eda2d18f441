// Reads users from Microsoft Graph. Requests are built by Microsoft's Graph JavaScript client
// (@microsoft/microsoft-graph-client: `api().select().top()`, BatchRequestContent and
// BatchResponseContent for $batch) and sent by the one HTTP pipeline (./pipeline/): the
// client's middleware chain is a single terminal step, PipelineHandler, that sends
// `context.request` through MicrosoftHttp, so tokens, retries, throttling, the concurrency limit
// and typed errors are the pipeline's alone. The Graph client wraps anything that goes wrong in a
// GraphError; every request goes through `#graph`, which throws our own error instead (the
// pipeline's HttpError, ConnectionError, TransportError or AccessError, unchanged, request ids
// included). Many users are read in filtered lookups of 15 (`id eq … or …`), and concurrent reads
// (single users, lookups) are coalesced into JSON $batch requests of up to 20; an item Graph throttles inside a batch (a 200 holding a 429) waits as the pipeline's
// throttling strategy would (Retry-After, else backoff) and joins a later batch; full scans page
// through /users with large pages.
import { createHttpHeaders, type HttpMethods, type PipelineResponse } from "@azure/core-rest-pipeline";
import {
  BatchRequestContent,
  BatchResponseContent,
  Client,
  type Context,
  type GraphRequest,
  type Middleware,
  type MiddlewareOptions,
} from "@microsoft/microsoft-graph-client";
import { HttpError, responseJson } from "./http-error";
import { chunked } from "../../core/chunked";
import type { MicrosoftHttp } from "./pipeline/microsoft-http";
import { RETRYABLE_STATUSES, retryDelayMs, type RetryOptions } from "./pipeline/retry-options";
import { accessDenied } from "./permissions";

export const GRAPH_SCOPE = "https://graph.microsoft.com/.default";
export const USER_SELECT =
  "id,userPrincipalName,displayName,mail,proxyAddresses,onPremisesSyncEnabled,onPremisesLastSyncDateTime";
/** A full scan for address policies: USER_SELECT and the attributes policies read. */
export const POLICY_USER_SELECT = `${USER_SELECT},givenName,surname,mailNickname,department,companyName,country`;
const MAX_BATCH = 20;
const PAGE_SIZE = 999;
/**
 * Users per filtered lookup (`id eq 'a' or id eq 'b' …`): Graph refuses a 16th clause ("Too many
 * child clauses specified in search filter expression containing 'OR' operators: 16. Max allowed:
 * 15", microsoftgraph/microsoft-graph-docs#21098; the $filter page: 15 expressions by default).
 */
const USERS_PER_FILTER = 15;
/** An object id, as Graph's /users/{id | userPrincipalName} tells the two apart. */
const OBJECT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An object as Graph sent it, with its proxyAddresses a list even when Graph left them out. */
const withAddressList = <T extends { readonly proxyAddresses?: readonly string[] | null }>(
  o: T,
): T & { readonly proxyAddresses: readonly string[] } => ({ ...o, proxyAddresses: o.proxyAddresses ?? [] });

export interface GraphUser {
  readonly id: string;
  readonly userPrincipalName: string | null;
  readonly displayName: string | null;
  readonly mail: string | null;
  readonly proxyAddresses: readonly string[];
  readonly onPremisesSyncEnabled: boolean | null;
  readonly onPremisesLastSyncDateTime?: string | null;
  readonly givenName?: string | null;
  readonly surname?: string | null;
  readonly mailNickname?: string | null;
  readonly department?: string | null;
  readonly companyName?: string | null;
  readonly country?: string | null;
}

/** A group (/groups) or an organizational contact (/contacts), with what tells a group's kind. */
export interface GraphDirectoryObject {
  readonly id: string;
  readonly displayName: string | null;
  readonly proxyAddresses: readonly string[];
  readonly onPremisesSyncEnabled: boolean | null;
  /** Groups: ["Unified"] for a Microsoft 365 group, [] otherwise (Groups overview). */
  readonly groupTypes?: readonly string[];
  readonly mailEnabled?: boolean;
  readonly securityEnabled?: boolean;
}

const GROUP_SELECT = "id,displayName,proxyAddresses,groupTypes,mailEnabled,securityEnabled,onPremisesSyncEnabled";
const CONTACT_SELECT = "id,displayName,proxyAddresses,onPremisesSyncEnabled";

interface Pending {
  readonly url: string;
  readonly resolve: (result: { status: number; body: unknown; response: PipelineResponse }) => void;
  readonly reject: (err: unknown) => void;
  attempts: number;
  notBefore: number;
}

/** One answer inside a $batch answer. */
interface BatchItemAnswer {
  readonly id: string;
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
}

/** The batch's request ids, for an item's answer (which has none of its own). */
function batchIds(response: PipelineResponse): Record<string, string> {
  const ids: Record<string, string> = {};
  for (const name of ["request-id", "client-request-id"]) {
    const value = response.headers.get(name) ?? response.request.headers.get(name);
    if (value !== undefined) ids[name] = value;
  }
  return ids;
}

/**
 * One Graph call, handed to the terminal middleware in the Graph client's middleware options:
 * what it is called in messages, and, once sent, the pipeline's answer or the error it threw
 * (which the Graph client would otherwise hide in a GraphError).
 */
export class PipelineCall implements MiddlewareOptions {
  readonly what: string;
  response: PipelineResponse | undefined;
  failed = false;
  error: unknown;

  constructor(what: string) {
    this.what = what;
  }
}

/** Statuses whose answer has no body (the Response constructor refuses one). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * The Graph client's only middleware, the terminal one: `context.request` goes through the HTTP
 * pipeline (token for Graph, retries, throttling, concurrency limit, typed errors) and its answer,
 * whatever the status, becomes `context.response` for the client to read.
 */
export class PipelineHandler implements Middleware {
  readonly #http: MicrosoftHttp;

  constructor(http: MicrosoftHttp) {
    this.#http = http;
  }

  async execute(context: Context): Promise<void> {
    const call = context.middlewareControl?.getMiddlewareOptions(PipelineCall) as PipelineCall | undefined;
    const request = context.request as string | URL | Request;
    const url = typeof request === "string" ? request : request instanceof URL ? request.href : request.url;
    const method = (
      context.options?.method ?? (request instanceof Request ? request.method : "GET")
    ).toUpperCase() as HttpMethods;
    const headers = Object.fromEntries(
      new Headers(context.options?.headers ?? (request instanceof Request ? request.headers : undefined)),
    );
    const body = jsonBody(context.options?.body);
    try {
      const response = await this.#http.send(url, {
        what: call?.what ?? `Microsoft Graph ${method} ${new URL(url).pathname}`,
        scope: GRAPH_SCOPE,
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
      });
      if (call !== undefined) call.response = response;
      context.response = new Response(NULL_BODY_STATUSES.has(response.status) ? null : (response.bodyAsText ?? ""), {
        status: response.status,
        headers: response.headers.toJSON(),
      });
    } catch (err) {
      if (call !== undefined) {
        call.failed = true;
        call.error = err;
      }
      throw err;
    }
  }
}

/** The JSON text the Graph client serialized a body to, as the value the pipeline sends as JSON. */
function jsonBody(body: unknown): unknown {
  if (body === undefined || body === null) return undefined;
  if (typeof body !== "string") throw new TypeError("the Graph reader sends JSON bodies only");
  return JSON.parse(body) as unknown;
}

/**
 * BatchResponseContent serializes an item's JSON body only when its header is spelled
 * `Content-Type` (else the object becomes "[object Object]"). Graph spells it so; another spelling
 * is renamed, and a JSON body without one is given it.
 */
function forBatchResponseContent(answers: readonly BatchItemAnswer[]): { responses: BatchItemAnswer[] } {
  return {
    responses: answers.map((answer) => {
      if (answer.body === undefined || typeof answer.body === "string") return answer;
      const headers: Record<string, string> = {};
      let contentType = "application/json";
      for (const [name, value] of Object.entries(answer.headers ?? {})) {
        if (name.toLowerCase() === "content-type") contentType = value;
        else headers[name] = value;
      }
      return { ...answer, headers: { ...headers, "Content-Type": contentType } };
    }),
  };
}

export class GraphReader {
  readonly #http: MicrosoftHttp;
  readonly #base: string;
  readonly #client: Client;
  readonly #options: RetryOptions;
  readonly #clientId: string;
  readonly #queue: Pending[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(baseUrl: string, http: MicrosoftHttp, options: RetryOptions, clientId: string) {
    this.#base = `${baseUrl.replace(/\/$/, "")}/v1.0`;
    this.#http = http;
    this.#client = Client.initWithMiddleware({
      middleware: new PipelineHandler(this.#http),
      baseUrl,
      defaultVersion: "v1.0",
    });
    this.#options = options;
    this.#clientId = clientId;
  }

  /** One user by object id or UPN; undefined when Graph has no such user. */
  async getUser(identity: string): Promise<GraphUser | undefined> {
    const result = await this.#enqueue(`/users/${encodeURIComponent(identity)}?$select=${USER_SELECT}`);
    if (result.status === 404) return undefined;
    if (result.status !== 200)
      throw this.#failure(`Microsoft Graph GET /users/${identity.slice(0, 100)} (in $batch)`, result.response);
    const user = result.body as GraphUser;
    return withAddressList(user);
  }

  /**
   * Users by object id or UPN, as {@link getUser} answers each, in filtered lookups of 15
   * (`/users?$filter=userPrincipalName eq 'a' or …`), each an item of the $batch: 300 users a
   * request instead of 20. A key that is neither an object id nor an address is read alone, and
   * so is a block Graph refuses to filter (each read then reports its own failure).
   */
  async getUsers(identities: readonly string[]): Promise<Map<string, GraphUser | undefined>> {
    const found = new Map<string, GraphUser | undefined>();
    const byId = identities.filter((i) => OBJECT_ID.test(i));
    const byUpn = identities.filter((i) => !OBJECT_ID.test(i) && i.includes("@"));
    const alone = identities.filter((i) => !OBJECT_ID.test(i) && !i.includes("@"));
    const lookUp = async (property: "id" | "userPrincipalName", keys: readonly string[]) => {
      const filter = keys.map((k) => `${property} eq '${k.replace(/'/g, "''")}'`).join(" or ");
      try {
        const body = (await this.getBatched(
          `/users?$filter=${encodeURIComponent(filter)}&$select=${USER_SELECT}&$top=${keys.length}`,
          "/users",
        )) as { value?: GraphUser[] };
        const users = new Map(
          (body.value ?? []).map((u) => [String(property === "id" ? u.id : u.userPrincipalName).toLowerCase(), u]),
        );
        for (const key of keys) {
          const user = users.get(key.toLowerCase());
          found.set(key, user && withAddressList(user));
        }
      } catch {
        await Promise.all(keys.map(async (key) => found.set(key, await this.getUser(key))));
      }
    };
    await Promise.all([
      ...chunked(byId, USERS_PER_FILTER).map((keys) => lookUp("id", keys)),
      ...chunked(byUpn, USERS_PER_FILTER).map((keys) => lookUp("userPrincipalName", keys)),
      ...alone.map(async (key) => found.set(key, await this.getUser(key))),
    ]);
    return new Map(identities.map((identity) => [identity, found.get(identity)]));
  }

  /**
   * One GET (a path after the version, query encoded) sent inside a $batch with whatever else is
   * asked at the same moment; its body, or the typed error of its answer.
   */
  async getBatched(url: string, what: string): Promise<unknown> {
    const result = await this.#enqueue(url);
    if (result.status !== 200) throw this.#failure(`Microsoft Graph GET ${what} (in $batch)`, result.response);
    return result.body;
  }

  /** A page of users (999 at a time); pass the returned `next` to continue. */
  async listUsers(
    next?: string,
    select: string = USER_SELECT,
  ): Promise<{ users: GraphUser[]; next: string | undefined }> {
    const request =
      next !== undefined ? this.#client.api(next) : this.#client.api("/users").select(select).top(PAGE_SIZE);
    const { body } = await this.#graph("Microsoft Graph GET /users", request, (r) => r.get() as Promise<unknown>);
    const page = body as { value?: GraphUser[]; "@odata.nextLink"?: string };
    return {
      users: (page.value ?? []).map(withAddressList),
      next: page["@odata.nextLink"],
    };
  }

  /** PATCH /users/{id} with `userPrincipalName` (User.ReadWrite.All): 204 No Content. Idempotent, so a retry is safe. */
  async setUserPrincipalName(id: string, userPrincipalName: string): Promise<void> {
    await this.#graph(
      "Microsoft Graph PATCH /users",
      this.#client.api(`/users/${encodeURIComponent(id)}`),
      (r) => r.patch({ userPrincipalName }) as Promise<unknown>,
    );
  }

  /**
   * Every mail-enabled group (/groups, 999 a page; dynamic distribution groups are not in Graph)
   * or every organizational contact (/contacts), with their proxyAddresses (docs/RECIPIENT-KINDS.md).
   */
  async listAll(collection: "groups" | "contacts"): Promise<GraphDirectoryObject[]> {
    const all: GraphDirectoryObject[] = [];
    let next: string | undefined;
    do {
      const request =
        next !== undefined
          ? this.#client.api(next)
          : this.#client
              .api(`/${collection}`)
              .select(collection === "groups" ? GROUP_SELECT : CONTACT_SELECT)
              .top(PAGE_SIZE);
      const { body } = await this.#graph(
        `Microsoft Graph GET /${collection}`,
        request,
        (r) => r.get() as Promise<unknown>,
      );
      const page = body as { value?: GraphDirectoryObject[]; "@odata.nextLink"?: string };
      all.push(...(page.value ?? []).map(withAddressList));
      next = page["@odata.nextLink"];
    } while (next !== undefined);
    return all;
  }

  /**
   * Sends a request the Graph client built (`send` calls its get, post, …) through the pipeline.
   * Returns the parsed body and the pipeline's answer; a failure is our typed error, never the
   * client's GraphError: what the pipeline threw, or for an answer that is not 2xx, an HttpError
   * (AccessError for 401/403) made from that answer, request ids included.
   */
  async #graph<T>(
    what: string,
    request: GraphRequest,
    send: (request: GraphRequest) => Promise<T>,
  ): Promise<{ body: T; response: PipelineResponse }> {
    const call = new PipelineCall(what);
    let body: T;
    try {
      body = await send(request.middlewareOptions([call]));
    } catch (err) {
      if (call.failed) throw call.error;
      if (call.response !== undefined && (call.response.status < 200 || call.response.status > 299))
        throw this.#failure(what, call.response);
      throw err;
    }
    if (call.response === undefined)
      throw new Error(`${what}: the Graph client answered without sending the request through the pipeline`);
    return { body, response: call.response };
  }

  /** 401/403: which permission is missing; anything else: the typed HTTP error. */
  #failure(what: string, response: PipelineResponse): Error {
    if (response.status === 401 || response.status === 403) return accessDenied("graph", response, this.#clientId);
    return new HttpError(what, response);
  }

  #enqueue(url: string): Promise<{ status: number; body: unknown; response: PipelineResponse }> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ url, resolve, reject, attempts: 0, notBefore: 0 });
      this.#schedule(0);
    });
  }

  #schedule(delayMs: number): void {
    if (this.#timer !== undefined) return;
    // A short window lets reads that arrive together share a batch.
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#flush();
      },
      Math.max(2, delayMs),
    );
  }

  #flush(): void {
    const now = Date.now();
    const ready = this.#queue.filter((p) => p.notBefore <= now);
    for (const item of ready) this.#queue.splice(this.#queue.indexOf(item), 1);
    for (let i = 0; i < ready.length; i += MAX_BATCH) void this.#sendBatch(ready.slice(i, i + MAX_BATCH));
    if (this.#queue.length > 0) this.#schedule(Math.min(...this.#queue.map((p) => p.notBefore)) - now);
  }

  async #sendBatch(items: Pending[]): Promise<void> {
    let batch: PipelineResponse;
    let answers: Map<string, Response>;
    try {
      // BatchRequestContent (3.0.7) keeps everything after the host as the item's URL, version
      // included, which Graph refuses (msgraph-sdk-javascript#1178): the steps' URLs are given
      // without it, so the items read "/users/…", relative to the version as Graph documents.
      const origin = new URL(this.#base).origin;
      const steps = items.map((item, i) => ({
        id: String(i),
        request: new Request(`${origin}${item.url}`, { method: "GET" }),
      }));
      const content = await new BatchRequestContent(steps).getContent();
      const { body, response } = await this.#graph(
        "Microsoft Graph POST /$batch",
        this.#client.api("/$batch"),
        (r) => r.post(content) as Promise<unknown>,
      );
      batch = response;
      answers = new BatchResponseContent(
        forBatchResponseContent((body as { responses?: BatchItemAnswer[] }).responses ?? []),
      ).getResponses();
    } catch (err) {
      for (const item of items) item.reject(err);
      return;
    }
    for (const [id, answer] of answers) {
      const item = items[Number(id)];
      if (item === undefined) continue;
      // Each item as an answer of its own: its status, headers and body, the batch's request.
      const itemResponse: PipelineResponse = {
        request: batch.request,
        status: answer.status,
        headers: createHttpHeaders({ ...batchIds(batch), ...Object.fromEntries(answer.headers) }),
        bodyAsText: await answer.text(),
      };
      if (RETRYABLE_STATUSES.has(answer.status)) {
        item.attempts++;
        if (item.attempts >= this.#options.maxAttempts) {
          item.reject(
            new HttpError(`Microsoft Graph GET ${item.url.split("?")[0]} (in $batch)`, itemResponse, {
              attempts: item.attempts,
            }),
          );
          continue;
        }
        // Throttled inside the batch: this item alone waits as the throttling strategy says, then joins a later batch.
        const wait = retryDelayMs(itemResponse.headers, item.attempts, this.#options);
        this.#options.onRetry?.(wait);
        if (answer.status === 429) this.#http.noteThrottle(GRAPH_SCOPE, wait, false, item);
        item.notBefore = Date.now() + wait;
        this.#queue.push(item);
        this.#schedule(wait);
        continue;
      }
      item.resolve({ status: answer.status, body: responseJson(itemResponse), response: itemResponse });
    }
  }
}
