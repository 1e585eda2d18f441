// Reads users through @microsoft/microsoft-graph-client. Concurrent reads of single users are
// coalesced into JSON $batch requests of up to 20, each item retried on its own when Graph
// throttles it; full scans page through /users with large pages. Every HTTP attempt goes
// through the shared retry policy and concurrency limit.
import type { TokenCredential } from "@azure/identity";
import type { Client, Context, Middleware } from "@microsoft/microsoft-graph-client";
import type { ConcurrencyLimit } from "./concurrency-limit";
import { accessDenied, tokenFailure } from "./permissions";
import { backoffMs, retryAfterMs, RETRYABLE_STATUSES, sendWithRetries, type RetryOptions } from "./retry-policy";

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

/** The Graph client's middleware step that applies our retry policy and concurrency limit. */
class RetryMiddleware implements Middleware {
  #next: Middleware | undefined;
  readonly #limit: ConcurrencyLimit;
  readonly #options: RetryOptions;
  readonly #remember: (err: unknown) => unknown;

  constructor(limit: ConcurrencyLimit, options: RetryOptions, remember: (err: unknown) => unknown = (e) => e) {
    this.#limit = limit;
    this.#options = options;
    this.#remember = remember;
  }

  setNext(next: Middleware): void {
    this.#next = next;
  }

  async execute(context: Context): Promise<void> {
    const what = `Microsoft Graph ${typeof context.request === "string" ? new URL(context.request).pathname : "request"}`;
    context.response = await this.#send(what, context).catch((err: unknown) => {
      throw this.#remember(err);
    });
  }

  #send(what: string, context: Context): Promise<Response> {
    return sendWithRetries(
      what,
      (signal) =>
        this.#limit.run(async () => {
          context.options = { ...context.options, signal };
          await this.#next!.execute(context);
          return context.response!;
        }),
      this.#options,
      undefined,
      typeof context.request === "string" ? context.request : undefined,
    );
  }
}

/** Errors of ours that the Graph client re-wraps as a bare GraphError (name and class lost). */
const OURS = new Set(["ConnectionError", "TenantNotFoundError", "AccessError", "CredentialSetupError", "RetriesExhaustedError"]);

interface Pending {
  readonly url: string;
  readonly resolve: (result: { status: number; body: unknown }) => void;
  readonly reject: (err: unknown) => void;
  attempts: number;
  notBefore: number;
}

export class GraphReader {
  readonly #client: Client;
  readonly #options: RetryOptions;
  readonly #queue: Pending[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #clientId: string;
  /** Our errors by message, to undo the Graph client's wrapping (see {@link OURS}). */
  readonly #ours = new Map<string, Error>();

  #remember = (err: unknown): unknown => {
    if (err instanceof Error && OURS.has(err.name)) this.#ours.set(err.message, err);
    return err;
  };

  /** The error of ours a GraphError wraps, else the error itself. */
  #unwrap(err: unknown): unknown {
    return err instanceof Error && !OURS.has(err.name) ? (this.#ours.get(err.message) ?? err) : err;
  }

  constructor(baseUrl: string, credential: TokenCredential, limit: ConcurrencyLimit, options: RetryOptions, clientId: string) {
    const graph = require("@microsoft/microsoft-graph-client") as typeof import("@microsoft/microsoft-graph-client");
    const { TokenCredentialAuthenticationProvider } = require("@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials") as typeof import("@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials");
    const tokens: TokenCredential = {
      getToken: async (scopes, opts) => {
        try {
          return await credential.getToken(scopes, opts);
        } catch (err) {
          throw this.#remember(tokenFailure("Microsoft Graph", err));
        }
      },
    };
    // The chain: add the token → retry and limit → send.
    const auth = new graph.AuthenticationHandler(new TokenCredentialAuthenticationProvider(tokens, { scopes: [GRAPH_SCOPE] }));
    const retry = new RetryMiddleware(limit, options, this.#remember);
    auth.setNext(retry);
    retry.setNext(new graph.HTTPMessageHandler());
    this.#client = graph.Client.initWithMiddleware({ middleware: auth, baseUrl, defaultVersion: "v1.0", customHosts: new Set([new URL(baseUrl).hostname]) });
    this.#options = options;
    this.#clientId = clientId;
  }

  /** One user by object id or UPN; undefined when Graph has no such user. */
  async getUser(identity: string): Promise<GraphUser | undefined> {
    const result = await this.#enqueue(`/users/${encodeURIComponent(identity)}?$select=${USER_SELECT}`);
    if (result.status === 404) return undefined;
    if (result.status === 403 || result.status === 401) throw accessDenied("graph", result.status, result.body, this.#clientId);
    if (result.status !== 200) throw new Error(`Microsoft Graph answered HTTP ${result.status} reading "${identity}": ${JSON.stringify(result.body)}`);
    const user = result.body as GraphUser;
    return { ...user, proxyAddresses: user.proxyAddresses ?? [] };
  }

  /** A page of users (999 at a time); pass the returned `next` to continue. */
  async listUsers(next?: string): Promise<{ users: GraphUser[]; next: string | undefined }> {
    try {
      const page = next ? await this.#client.api(next).get() : await this.#client.api("/users").select(USER_SELECT).top(PAGE_SIZE).get();
      return { users: (page.value as GraphUser[]).map((u) => ({ ...u, proxyAddresses: u.proxyAddresses ?? [] })), next: page["@odata.nextLink"] };
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      if (status === 401 || status === 403) throw accessDenied("graph", status, (err as { body?: unknown }).body, this.#clientId);
      throw this.#unwrap(err);
    }
  }

  #enqueue(url: string): Promise<{ status: number; body: unknown }> {
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
    let responses: { id: string; status: number; headers?: Record<string, string>; body: unknown }[];
    try {
      const answer = await this.#client.api("/$batch").post({ requests: items.map((item, i) => ({ id: String(i), method: "GET", url: item.url })) });
      responses = answer.responses;
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      const failure = status === 401 || status === 403 ? accessDenied("graph", status, (err as { body?: unknown }).body, this.#clientId) : this.#unwrap(err);
      for (const item of items) item.reject(failure);
      return;
    }
    for (const response of responses) {
      const item = items[Number(response.id)];
      if (item === undefined) continue;
      if (RETRYABLE_STATUSES.has(response.status)) {
        item.attempts++;
        if (item.attempts >= this.#options.maxAttempts) {
          item.reject(new Error(`Microsoft Graph kept answering HTTP ${response.status} for ${item.url} (${item.attempts} attempts)`));
          continue;
        }
        // Throttled inside the batch: this item alone waits as told, then joins a later batch.
        const wait = Math.min(this.#options.maxDelayMs, retryAfterMs(response.headers ?? {}) ?? backoffMs(item.attempts, this.#options));
        item.notBefore = Date.now() + wait;
        this.#queue.push(item);
        this.#schedule(wait);
        continue;
      }
      item.resolve({ status: response.status, body: response.body });
    }
  }
}
