// Reads users from Microsoft Graph through the HTTP pipeline (./http-pipeline.ts). Concurrent
// reads of single users are coalesced into JSON $batch requests of up to 20; an item Graph
// throttles inside a batch (a 200 holding a 429) waits as the pipeline's throttling strategy
// would (Retry-After, else backoff) and joins a later batch; full scans page through /users with
// large pages.
import { createHttpHeaders, type PipelineResponse } from "@azure/core-rest-pipeline";
import { HttpError, responseJson } from "./http-error";
import { RETRYABLE_STATUSES, retryDelayMs, type MicrosoftHttp, type RetryOptions } from "./http-pipeline";
import { accessDenied } from "./permissions";

export const GRAPH_SCOPE = "https://graph.microsoft.com/.default";
export const USER_SELECT = "id,userPrincipalName,displayName,mail,proxyAddresses,onPremisesSyncEnabled,onPremisesLastSyncDateTime";
const MAX_BATCH = 20;
const PAGE_SIZE = 999;

export interface GraphUser {
  readonly id: string;
  readonly userPrincipalName: string | null;
  readonly displayName: string | null;
  readonly mail: string | null;
  readonly proxyAddresses: readonly string[];
  readonly onPremisesSyncEnabled: boolean | null;
  readonly onPremisesLastSyncDateTime?: string | null;
}

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

export class GraphReader {
  readonly #http: MicrosoftHttp;
  readonly #base: string;
  readonly #options: RetryOptions;
  readonly #clientId: string;
  readonly #queue: Pending[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(baseUrl: string, http: MicrosoftHttp, options: RetryOptions, clientId: string) {
    this.#base = `${baseUrl.replace(/\/$/, "")}/v1.0`;
    this.#http = http;
    this.#options = options;
    this.#clientId = clientId;
  }

  /** One user by object id or UPN; undefined when Graph has no such user. */
  async getUser(identity: string): Promise<GraphUser | undefined> {
    const result = await this.#enqueue(`/users/${encodeURIComponent(identity)}?$select=${USER_SELECT}`);
    if (result.status === 404) return undefined;
    if (result.status !== 200) throw this.#failure(`Microsoft Graph GET /users/${identity.slice(0, 100)} (in $batch)`, result.response);
    const user = result.body as GraphUser;
    return { ...user, proxyAddresses: user.proxyAddresses ?? [] };
  }

  /** A page of users (999 at a time); pass the returned `next` to continue. */
  async listUsers(next?: string): Promise<{ users: GraphUser[]; next: string | undefined }> {
    const response = await this.#http.send(next ?? `${this.#base}/users?$select=${USER_SELECT}&$top=${PAGE_SIZE}`, { what: "Microsoft Graph GET /users", scope: GRAPH_SCOPE });
    if (response.status !== 200) throw this.#failure("Microsoft Graph GET /users", response);
    const page = responseJson(response) as { value?: GraphUser[]; "@odata.nextLink"?: string };
    return { users: (page.value ?? []).map((u) => ({ ...u, proxyAddresses: u.proxyAddresses ?? [] })), next: page["@odata.nextLink"] };
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
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#flush();
    }, Math.max(2, delayMs));
  }

  #flush(): void {
    const now = Date.now();
    const ready = this.#queue.filter((p) => p.notBefore <= now);
    for (const item of ready) this.#queue.splice(this.#queue.indexOf(item), 1);
    for (let i = 0; i < ready.length; i += MAX_BATCH) void this.#sendBatch(ready.slice(i, i + MAX_BATCH));
    if (this.#queue.length > 0) this.#schedule(Math.min(...this.#queue.map((p) => p.notBefore)) - now);
  }

  async #sendBatch(items: Pending[]): Promise<void> {
    let response: PipelineResponse;
    let answers: BatchItemAnswer[];
    try {
      response = await this.#http.send(`${this.#base}/$batch`, {
        what: "Microsoft Graph POST /$batch",
        scope: GRAPH_SCOPE,
        method: "POST",
        body: { requests: items.map((item, i) => ({ id: String(i), method: "GET", url: item.url })) },
      });
      if (response.status !== 200) throw this.#failure("Microsoft Graph POST /$batch", response);
      answers = (responseJson(response) as { responses?: BatchItemAnswer[] }).responses ?? [];
    } catch (err) {
      for (const item of items) item.reject(err);
      return;
    }
    for (const answer of answers) {
      const item = items[Number(answer.id)];
      if (item === undefined) continue;
      // Each item as an answer of its own: its status, headers and body, the batch's request.
      const itemResponse: PipelineResponse = { request: response.request, status: answer.status, headers: createHttpHeaders({ ...batchIds(response), ...answer.headers }), bodyAsText: JSON.stringify(answer.body ?? {}) };
      if (RETRYABLE_STATUSES.has(answer.status)) {
        item.attempts++;
        if (item.attempts >= this.#options.maxAttempts) {
          item.reject(new HttpError(`Microsoft Graph GET ${item.url.split("?")[0]} (in $batch)`, itemResponse, { attempts: item.attempts }));
          continue;
        }
        // Throttled inside the batch: this item alone waits as the throttling strategy says, then joins a later batch.
        const wait = retryDelayMs(itemResponse.headers, item.attempts, this.#options);
        this.#options.onRetry?.(wait);
        item.notBefore = Date.now() + wait;
        this.#queue.push(item);
        this.#schedule(wait);
        continue;
      }
      item.resolve({ status: answer.status, body: answer.body, response: itemResponse });
    }
  }
}
