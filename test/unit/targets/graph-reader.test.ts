// The Graph reader (targets/exchange-online/graph-reader.ts): requests built by Microsoft's Graph
// JavaScript client, sent by the HTTP pipeline on a fake HttpClient. $batch of 20 (45 identities
// are 3 batches, items relative to the version), a 429 inside a batch waits its Retry-After, a
// missing user is undefined, failures are our typed errors (never the client's GraphError) with
// the request ids, and full scans page with $select/$top and the next link. Waits are milliseconds.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  createHttpHeaders,
  type HttpClient,
  type PipelineRequest,
  type PipelineResponse,
} from "@azure/core-rest-pipeline";
import type { TokenCredential } from "@azure/identity";
import { GraphError } from "@microsoft/microsoft-graph-client";
import { GRAPH_SCOPE, GraphReader, USER_SELECT } from "../../../targets/exchange-online/graph-reader";
import { ConnectionError, HttpError } from "../../../targets/exchange-online/http-error";
import { MicrosoftHttp } from "../../../targets/exchange-online/pipeline/microsoft-http";
import type { RetryOptions } from "../../../targets/exchange-online/pipeline/retry-options";
import { credential, fastOptions as fastRetryOptions } from "./fast-retry";
import { CredentialSetupError } from "../../../targets/exchange-online/credentials";
import { AccessError } from "../../../targets/exchange-online/permissions";

const BASE = "https://graph.test";

/** The shared fast options, with a shorter connect budget. */
const fastOptions = (overrides: Partial<RetryOptions> = {}) => fastRetryOptions({ connectBudgetMs: 100, ...overrides });

interface Sent {
  readonly at: number;
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

type Answer = { status: number; headers?: Record<string, string>; body?: unknown } | Error;

/** An HttpClient that answers through `answer` and records every request it got. */
class FakeGraph implements HttpClient {
  readonly sent: Sent[] = [];
  readonly #answer: (request: Sent) => Answer;

  constructor(answer: (request: Sent) => Answer) {
    this.#answer = answer;
  }

  get batches(): { id: string; method: string; url: string }[][] {
    return this.sent
      .filter((s) => s.url.endsWith("/$batch"))
      .map((s) => (s.body as { requests: { id: string; method: string; url: string }[] }).requests);
  }

  async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
    const text = typeof request.body === "string" ? request.body : "";
    const sent: Sent = {
      at: Date.now(),
      method: request.method,
      url: request.url,
      headers: request.headers.toJSON(),
      body: text === "" ? undefined : JSON.parse(text),
    };
    this.sent.push(sent);
    const answer = this.#answer(sent);
    if (answer instanceof Error) throw answer;
    const body =
      answer.body === undefined ? "" : typeof answer.body === "string" ? answer.body : JSON.stringify(answer.body);
    return {
      request,
      status: answer.status,
      headers: createHttpHeaders({ "content-type": "application/json", ...answer.headers }),
      bodyAsText: body,
    };
  }
}

function reader(client: HttpClient, options: RetryOptions, http?: MicrosoftHttp): GraphReader {
  const pipeline =
    http ??
    new MicrosoftHttp({
      credential,
      apiNames: new Map([[GRAPH_SCOPE, "Microsoft Graph"]]),
      maxConcurrency: 4,
      retry: options,
      httpClient: client,
    });
  return new GraphReader(BASE, pipeline, options, "app-1");
}

const user = (upn: string) => ({
  id: `id-${upn}`,
  userPrincipalName: upn,
  displayName: upn,
  mail: upn,
  proxyAddresses: [`SMTP:${upn}`],
  onPremisesSyncEnabled: false,
});
const graphHeaders = {
  "Content-Type": "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8",
  "OData-Version": "4.0",
};
const notFound = { error: { code: "Request_ResourceNotFound", message: "Resource does not exist." } };

/** A $batch answer: `item` says what each item gets (a user by default). */
function batchAnswer(
  request: Sent,
  item: (upn: string, id: string) => { status: number; headers?: Record<string, string>; body?: unknown } = (upn) => ({
    status: 200,
    body: user(upn),
  }),
): Answer {
  const requests = (request.body as { requests: { id: string; url: string }[] }).requests;
  const responses = requests.map(({ id, url }) => {
    const upn = decodeURIComponent(url.split("?")[0]!.split("/").pop()!);
    const answer = item(upn, id);
    return { id, status: answer.status, headers: { ...graphHeaders, ...answer.headers }, body: answer.body };
  });
  return { status: 200, headers: { "request-id": "batch-request-id" }, body: { responses } };
}

describe("GraphReader through Microsoft's Graph client and the pipeline", () => {
  it("reads 45 identities in 3 $batch requests of at most 20, items relative to the version", async () => {
    const client = new FakeGraph((request) => batchAnswer(request));
    const graph = reader(client, fastOptions());
    const upns = Array.from({ length: 45 }, (_, i) => `user${i}@contoso.com`);
    const users = await Promise.all(upns.map((upn) => graph.getUser(upn)));
    assert.deepEqual(
      client.batches.map((b) => b.length).sort((a, b) => b - a),
      [20, 20, 5],
    );
    assert.deepEqual(
      users.map((u) => u?.userPrincipalName),
      upns,
    );
    assert.deepEqual(users[7]?.proxyAddresses, ["SMTP:user7@contoso.com"]);
    for (const request of client.sent) {
      assert.equal(request.method, "POST");
      assert.equal(request.url, `${BASE}/v1.0/$batch`);
      assert.equal(request.headers.authorization, "Bearer token");
      assert.match(request.headers["client-request-id"]!, /^[0-9a-f-]{36}$/);
      assert.match(request.headers["content-type"]!, /^application\/json/);
    }
    const first = client.batches.find((b) => b.length === 20 && b[0]!.url.includes("user0%40"))!;
    assert.deepEqual(first[0], { id: "0", method: "GET", url: `/users/user0%40contoso.com?$select=${USER_SELECT}` });
    assert.equal(new Set(client.batches.flat().map((r) => r.url)).size, 45);
  });

  it("a user Graph does not have is undefined; the others in the batch are read", async () => {
    const client = new FakeGraph((request) =>
      batchAnswer(request, (upn) =>
        upn.startsWith("nobody") ? { status: 404, body: notFound } : { status: 200, body: user(upn) },
      ),
    );
    const graph = reader(client, fastOptions());
    const [nobody, mark] = await Promise.all([graph.getUser("nobody@contoso.com"), graph.getUser("mark@contoso.com")]);
    assert.equal(nobody, undefined);
    assert.equal(mark?.id, "id-mark@contoso.com");
    assert.equal(client.sent.length, 1);
  });

  it("an item throttled inside a batch waits its Retry-After, alone, then joins a later batch", async () => {
    let throttled = 0;
    const client = new FakeGraph((request) =>
      batchAnswer(request, (upn) => {
        if (upn === "busy@contoso.com" && throttled++ === 0)
          return {
            status: 429,
            headers: { "Retry-After": "0.3" },
            body: { error: { code: "TooManyRequests", message: "Too many requests." } },
          };
        return { status: 200, body: user(upn) };
      }),
    );
    const options = fastOptions();
    const graph = reader(client, options);
    const upns = ["a@contoso.com", "busy@contoso.com", "b@contoso.com"];
    const users = await Promise.all(upns.map((upn) => graph.getUser(upn)));
    assert.deepEqual(
      users.map((u) => u?.userPrincipalName),
      upns,
    );
    assert.deepEqual(options.waits, [300]);
    assert.deepEqual(
      client.batches.map((b) => b.map((r) => decodeURIComponent(r.url.split("?")[0]!.split("/").pop()!))),
      [upns, ["busy@contoso.com"]],
    );
    const waited = client.sent[1]!.at - client.sent[0]!.at;
    assert.ok(waited >= 290, `the throttled item was sent again after ${waited} ms, before its Retry-After of 300 ms`);
  });

  it("an item throttled on every attempt gives up with an HttpError naming it, with the batch's request id", async () => {
    const client = new FakeGraph((request) =>
      batchAnswer(request, () => ({
        status: 429,
        headers: { "Retry-After": "0.01" },
        body: { error: { code: "TooManyRequests", message: "Too many requests." } },
      })),
    );
    const options = fastOptions({ maxAttempts: 3 });
    await assert.rejects(reader(client, options).getUser("busy@contoso.com"), (err: unknown) => {
      assert.ok(err instanceof HttpError);
      assert.equal(err.status, 429);
      assert.equal(err.attempts, 3);
      assert.equal(err.requestId, "batch-request-id");
      assert.match(
        err.message,
        /^Microsoft Graph GET \/users\/busy%40contoso\.com \(in \$batch\): gave up after 3 attempts \(last: HTTP 429 TooManyRequests\)/,
      );
      return true;
    });
    assert.equal(client.sent.length, 3);
  });

  it("a 503 on every attempt: the pipeline retries the $batch, then our HttpError with the request id, not a GraphError", async () => {
    const client = new FakeGraph(() => ({
      status: 503,
      headers: { "request-id": "11111111-2222-3333-4444-555555555555" },
      body: { error: { code: "ServiceUnavailable", message: "Service is unavailable." } },
    }));
    const options = fastOptions({ maxAttempts: 3 });
    await assert.rejects(reader(client, options).getUser("mark@contoso.com"), (err: unknown) => {
      assert.ok(err instanceof HttpError, `not our HttpError: ${String(err)}`);
      assert.ok(!(err instanceof GraphError));
      assert.equal(err.name, "HttpError");
      assert.equal(err.status, 503);
      assert.equal(err.attempts, 3);
      assert.equal(err.requestId, "11111111-2222-3333-4444-555555555555");
      assert.equal(err.clientRequestId, client.sent[0]!.headers["client-request-id"]);
      assert.match(
        err.message,
        /^Microsoft Graph POST \/\$batch: gave up after 3 attempts \(last: HTTP 503 ServiceUnavailable\) from graph\.test: Service is unavailable\. \(request-id 11111111-2222-3333-4444-555555555555, client-request-id [0-9a-f-]{36}\)$/,
      );
      return true;
    });
    assert.equal(client.sent.length, 3);
    assert.equal(options.waits.length, 2);
  });

  it("a 500 is not retried (as Graph's own retry handler: 429, 503, 504): our HttpError with the request id", async () => {
    const client = new FakeGraph(() => ({
      status: 500,
      headers: { "request-id": "r-500" },
      body: { error: { code: "InternalServerError", message: "Something broke." } },
    }));
    await assert.rejects(reader(client, fastOptions()).getUser("mark@contoso.com"), (err: unknown) => {
      assert.ok(err instanceof HttpError && !(err instanceof GraphError));
      assert.equal(err.status, 500);
      assert.equal(err.serviceCode, "InternalServerError");
      assert.equal(err.requestId, "r-500");
      assert.equal(err.clientRequestId, client.sent[0]!.headers["client-request-id"]);
      assert.match(
        err.message,
        /^Microsoft Graph POST \/\$batch: graph\.test answered HTTP 500 InternalServerError: Something broke\. \(request-id r-500, client-request-id [0-9a-f-]{36}\)$/,
      );
      return true;
    });
    assert.equal(client.sent.length, 1);
    // An item answered 500 inside the batch: the same, with the batch's request id.
    const items = new FakeGraph((request) =>
      batchAnswer(request, () => ({
        status: 500,
        body: { error: { code: "InternalServerError", message: "Item broke." } },
      })),
    );
    await assert.rejects(
      reader(items, fastOptions()).getUser("mark@contoso.com"),
      (err: unknown) =>
        err instanceof HttpError &&
        err.status === 500 &&
        err.requestId === "batch-request-id" &&
        /\(in \$batch\): graph\.test answered HTTP 500 InternalServerError: Item broke\./.test(err.message),
    );
  });

  it("403 is an AccessError naming the permission; a token failure and a refused host come through unchanged", async () => {
    const denied = new FakeGraph(() => ({
      status: 403,
      headers: { "request-id": "r-403" },
      body: {
        error: { code: "Authorization_RequestDenied", message: "Insufficient privileges to complete the operation." },
      },
    }));
    await assert.rejects(
      reader(denied, fastOptions()).listUsers(),
      (err: unknown) =>
        err instanceof AccessError && /User\.Read\.All/.test(err.message) && /request-id r-403/.test(err.message),
    );

    const setup = new CredentialSetupError("no credential configured");
    const failing: TokenCredential = {
      getToken: async () => {
        throw setup;
      },
    };
    const options = fastOptions();
    const client = new FakeGraph(() => ({ status: 200, body: { value: [] } }));
    const http = new MicrosoftHttp({
      credential: failing,
      apiNames: new Map([[GRAPH_SCOPE, "Microsoft Graph"]]),
      maxConcurrency: 1,
      retry: options,
      httpClient: client,
    });
    await assert.rejects(reader(client, options, http).getUser("mark@contoso.com"), (err: unknown) => err === setup);

    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" });
    const closed = new FakeGraph(() => refused);
    await assert.rejects(
      reader(closed, fastOptions()).listUsers(),
      (err: unknown) =>
        err instanceof ConnectionError &&
        /^cannot connect to graph\.test: the connection was refused/.test(err.message),
    );
  });

  it("pages through /users with $select and $top, following the next link", async () => {
    const next = `${BASE}/v1.0/users?%24select=id&%24top=999&%24skiptoken=abc%3D%3D`;
    const client = new FakeGraph((request) =>
      request.url.includes("skiptoken")
        ? { status: 200, body: { value: [user("b@contoso.com")] } }
        : {
            status: 200,
            body: { value: [{ ...user("a@contoso.com"), proxyAddresses: null }], "@odata.nextLink": next },
          },
    );
    const graph = reader(client, fastOptions());
    const first = await graph.listUsers();
    assert.equal(client.sent[0]!.method, "GET");
    assert.equal(client.sent[0]!.url, `${BASE}/v1.0/users?$select=${USER_SELECT}&$top=999`);
    assert.deepEqual(first.users[0]?.proxyAddresses, []);
    assert.equal(first.next, next);
    const second = await graph.listUsers(first.next);
    assert.equal(client.sent[1]!.url, next);
    assert.deepEqual(
      second.users.map((u) => u.userPrincipalName),
      ["b@contoso.com"],
    );
    assert.equal(second.next, undefined);
  });
});
