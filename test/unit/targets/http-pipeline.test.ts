// The HTTP pipeline (targets/exchange-online/http-pipeline.ts) on a fake HttpClient: Retry-After
// honoured (seconds, HTTP-date, retry-after-ms), 5xx backoff bounded, transport errors retried, a
// refused host given up within its budget, no duplicate write after a dropped connection or a 503
// (verify-before-retry), 429 on a write held in the gate for every writer, no write once the
// engine is gone, and the request ids in the typed error. Waits are milliseconds (small delays).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  createHttpHeaders,
  createPipelineRequest,
  RestError,
  type HttpClient,
  type PipelineRequest,
  type PipelineResponse,
} from "@azure/core-rest-pipeline";
import type { TokenCredential } from "@azure/identity";
import { ConcurrencyLimit } from "../../../targets/exchange-online/concurrency-limit";
import {
  ConnectionError,
  connectionProblem,
  HttpError,
  TransportError,
} from "../../../targets/exchange-online/http-error";
import { accessDenied, AccessError } from "../../../targets/exchange-online/permissions";
import {
  backoffMs,
  DEFAULT_RETRY_OPTIONS,
  isVerifiedWrite,
  MicrosoftHttp,
  rateHintOf,
  retryAfterMs,
  transportStrategy,
  type RetryOptions,
} from "../../../targets/exchange-online/http-pipeline";
import { EngineGoneError } from "../../../runtime/engine-watchdog";

const SCOPE = "https://graph.microsoft.com/.default";
const URL_ = "https://graph.test/v1.0/users";

import { credential, fastOptions } from "./fast-retry";

type Answer = { status: number; headers?: Record<string, string>; body?: string } | RestError | Error;

/** An HttpClient that answers from a script (the last answer repeats) and records what it got. */
class FakeClient implements HttpClient {
  readonly requests: { at: number; url: string; headers: Record<string, string>; body: string }[] = [];
  readonly #answers: Answer[];
  readonly #onSend: ((request: PipelineRequest) => void) | undefined;

  constructor(answers: Answer[], onSend?: (request: PipelineRequest) => void) {
    this.#answers = answers;
    this.#onSend = onSend;
  }

  async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
    this.requests.push({
      at: Date.now(),
      url: request.url,
      headers: request.headers.toJSON(),
      body: String(request.body ?? ""),
    });
    this.#onSend?.(request);
    const answer = this.#answers.length > 1 ? this.#answers.shift()! : this.#answers[0]!;
    if (answer instanceof Error) {
      if (answer instanceof RestError)
        throw new RestError(answer.message, { ...(answer.code ? { code: answer.code } : {}), request });
      throw answer;
    }
    return {
      request,
      status: answer.status,
      headers: createHttpHeaders(answer.headers ?? {}),
      bodyAsText: answer.body ?? "{}",
    };
  }
}

function pipeline(
  client: HttpClient,
  options: RetryOptions,
  extra: { engineIsAlive?: () => boolean; maxConcurrency?: number } = {},
): MicrosoftHttp {
  return new MicrosoftHttp({
    credential,
    apiNames: new Map([[SCOPE, "Microsoft Graph"]]),
    maxConcurrency: extra.maxConcurrency ?? 4,
    retry: options,
    httpClient: client,
    ...(extra.engineIsAlive ? { engineIsAlive: extra.engineIsAlive } : {}),
  });
}

const read = (http: MicrosoftHttp) => http.send(URL_, { what: "Microsoft Graph GET /users", scope: SCOPE });
const dropped = () => new RestError("socket hang up", { code: "ECONNRESET" });

describe("retryAfterMs", () => {
  const h = (headers: Record<string, string>) => createHttpHeaders(headers);
  it("reads seconds", () => assert.equal(retryAfterMs(h({ "Retry-After": "3" })), 3000));
  it("reads fractional seconds", () => assert.equal(retryAfterMs(h({ "Retry-After": "0.25" })), 250));
  it("reads an HTTP-date", () =>
    assert.equal(retryAfterMs(h({ "Retry-After": new Date(10_000).toUTCString() }), 4_000), 6000));
  it("a date in the past is no wait", () =>
    assert.equal(retryAfterMs(h({ "Retry-After": new Date(1_000).toUTCString() }), 4_000), 0));
  it("prefers retry-after-ms and x-ms-retry-after-ms", () => {
    assert.equal(retryAfterMs(h({ "retry-after-ms": "120", "Retry-After": "9" })), 120);
    assert.equal(retryAfterMs(h({ "x-ms-retry-after-ms": "80" })), 80);
  });
  it("is undefined without a header or with garbage", () => {
    assert.equal(retryAfterMs(h({})), undefined);
    assert.equal(retryAfterMs(h({ "Retry-After": "soon" })), undefined);
  });
});

describe("rateHintOf", () => {
  const h = (headers: Record<string, string>) => createHttpHeaders(headers);
  it("reads the Exchange admin API's Rate-Limit-Remaining and Rate-Limit-Reset (seconds)", () =>
    assert.deepEqual(rateHintOf(h({ "Rate-Limit-Remaining": "12", "Rate-Limit-Reset": "30" })), {
      remaining: 12,
      resetMs: 30_000,
    }));
  it("reads the RateLimit-* names, a reset as epoch seconds or an HTTP-date", () => {
    assert.deepEqual(
      rateHintOf(h({ "RateLimit-Remaining": "0", "RateLimit-Reset": "2000000005" }), 2_000_000_000_000),
      { remaining: 0, resetMs: 5_000 },
    );
    assert.deepEqual(
      rateHintOf(h({ "x-ratelimit-remaining": "3", "x-ratelimit-reset": new Date(10_000).toUTCString() }), 4_000),
      { remaining: 3, resetMs: 6_000 },
    );
  });
  it("reads Graph's x-ms-throttle-limit-percentage", () =>
    assert.deepEqual(rateHintOf(h({ "x-ms-throttle-limit-percentage": "0.92" })), { usedFraction: 0.92 }));
  it("is undefined when the answer says nothing of the budget", () =>
    assert.equal(rateHintOf(h({ "Retry-After": "3", "RateLimit-Remaining": "many" })), undefined));
});

describe("backoffMs", () => {
  it("is exponential with ±20% jitter, capped", () => {
    const low = { ...DEFAULT_RETRY_OPTIONS, random: () => 0 };
    const high = { ...DEFAULT_RETRY_OPTIONS, random: () => 1 };
    assert.equal(backoffMs(1, low), 400);
    assert.equal(backoffMs(1, high), 600);
    assert.equal(backoffMs(3, low), 1600);
    assert.equal(backoffMs(20, low), DEFAULT_RETRY_OPTIONS.maxDelayMs);
  });
});

describe("MicrosoftHttp: one pipeline", () => {
  it("puts the policies in order: the engine check after the write gate and the token, just before sending", () => {
    assert.deepEqual(pipeline(new FakeClient([{ status: 200 }]), fastOptions()).policyNames, [
      "setClientRequestIdPolicy",
      "proxyPolicy",
      "retryPolicy",
      "verifyBeforeRetry",
      "writeGate",
      "bearerTokenPerAudience",
      "concurrencyLimit",
      "engineAlive",
      "transportErrors",
    ]);
  });

  it("sends the bearer token and a client-request-id, the same on every retry of one call", async () => {
    const client = new FakeClient([{ status: 503 }, { status: 200 }]);
    const response = await read(pipeline(client, fastOptions()));
    assert.equal(response.status, 200);
    assert.equal(client.requests.length, 2);
    assert.equal(client.requests[0]!.headers.authorization, "Bearer token");
    const ids = client.requests.map((r) => r.headers["client-request-id"]);
    assert.match(ids[0]!, /^[0-9a-f-]{36}$/);
    assert.equal(ids[1], ids[0]);
  });

  it("returns a success at once, and other failures (400, 401, 404, 500) without retrying", async () => {
    for (const status of [200, 400, 401, 404, 500]) {
      const options = fastOptions();
      const client = new FakeClient([{ status }]);
      assert.equal((await read(pipeline(client, options))).status, status);
      assert.equal(client.requests.length, 1, `HTTP ${status}`);
      assert.deepEqual(options.waits, []);
    }
  });

  it("honours Retry-After in seconds on a 429", async () => {
    const options = fastOptions();
    const client = new FakeClient([{ status: 429, headers: { "Retry-After": "0.3" } }, { status: 200 }]);
    await read(pipeline(client, options));
    assert.deepEqual(options.waits, [300]);
    const gap = client.requests[1]!.at - client.requests[0]!.at;
    assert.ok(gap >= 290, `waited ${gap} ms`);
  });

  it("honours Retry-After as an HTTP-date", async () => {
    const options = fastOptions();
    // HTTP-dates have whole seconds: two seconds ahead is a wait of more than one.
    const at = new Date(Math.ceil(Date.now() / 1000) * 1000 + 2000).toUTCString();
    const client = new FakeClient([{ status: 429, headers: { "Retry-After": at } }, { status: 200 }]);
    await read(pipeline(client, options));
    assert.equal(options.waits.length, 1);
    assert.ok(options.waits[0]! > 1000 && options.waits[0]! <= 2000, `planned ${options.waits[0]} ms`);
    const gap = client.requests[1]!.at - client.requests[0]!.at;
    assert.ok(gap >= options.waits[0]! - 10, `waited ${gap} ms`);
  });

  it("caps Retry-After at maxDelayMs", async () => {
    const options = fastOptions({ maxDelayMs: 50 });
    await read(
      pipeline(new FakeClient([{ status: 429, headers: { "Retry-After": "3600" } }, { status: 200 }]), options),
    );
    assert.deepEqual(options.waits, [50]);
  });

  it("backs off exponentially on 503 and 504, bounded by maxDelayMs", async () => {
    const options = fastOptions();
    const client = new FakeClient([{ status: 503 }, { status: 504 }, { status: 503 }, { status: 200 }]);
    assert.equal((await read(pipeline(client, options))).status, 200);
    assert.deepEqual(options.waits, [10, 20, 40]);
    const capped = fastOptions({ baseDelayMs: 1_000, maxDelayMs: 15 });
    await read(pipeline(new FakeClient([{ status: 503 }, { status: 503 }, { status: 200 }]), capped));
    assert.deepEqual(capped.waits, [15, 15]);
  });

  it("gives up after maxAttempts with a typed error: status, service code, request ids, body excerpt", async () => {
    const options = fastOptions({ maxAttempts: 3 });
    const body = JSON.stringify({
      error: { code: "ServiceUnavailable", message: "Service is unavailable.", padding: "x".repeat(2_000) },
    });
    const client = new FakeClient([
      { status: 503, headers: { "request-id": "11111111-2222-3333-4444-555555555555" }, body },
    ]);
    await assert.rejects(read(pipeline(client, options)), (err: unknown) => {
      assert.ok(err instanceof HttpError && err instanceof RestError);
      assert.equal(err.name, "HttpError");
      assert.equal(err.status, 503);
      assert.equal(err.statusCode, 503);
      assert.equal(err.serviceCode, "ServiceUnavailable");
      assert.equal(err.requestId, "11111111-2222-3333-4444-555555555555");
      assert.equal(err.clientRequestId, client.requests[0]!.headers["client-request-id"]);
      assert.equal(err.attempts, 3);
      assert.ok(err.bodyExcerpt.length < 600 && err.bodyExcerpt.startsWith('{"error":{"code":"ServiceUnavailable"'));
      assert.match(
        err.message,
        /^Microsoft Graph GET \/users: gave up after 3 attempts \(last: HTTP 503 ServiceUnavailable\) from graph\.test: Service is unavailable\. \(request-id 11111111-2222-3333-4444-555555555555, client-request-id [0-9a-f-]{36}\)$/,
      );
      return true;
    });
    assert.equal(client.requests.length, 3);
    assert.equal(options.waits.length, 2);
  });

  it("retries dropped connections and timeouts with backoff, then gives up naming the host", async () => {
    const options = fastOptions();
    const client = new FakeClient([
      dropped(),
      new RestError("no answer within 60 s", { code: "REQUEST_TIMEOUT" }),
      { status: 200 },
    ]);
    assert.equal((await read(pipeline(client, options))).status, 200);
    assert.deepEqual(options.waits, [10, 20]);
    const few = fastOptions({ maxAttempts: 2 });
    await assert.rejects(
      read(pipeline(new FakeClient([dropped()]), few)),
      (err: unknown) =>
        err instanceof TransportError &&
        /gave up after 2 attempts \(last: socket hang up\) on graph\.test/.test(err.message),
    );
  });

  it("a stream error or an abort by timeout becomes a retried transport error", async () => {
    const options = fastOptions();
    const abort = Object.assign(new Error("The operation was aborted."), { name: "AbortError" });
    const client = new FakeClient([
      abort,
      Object.assign(new Error("aborted"), { code: "ECONNRESET" }),
      { status: 200 },
    ]);
    assert.equal((await read(pipeline(client, options))).status, 200);
    assert.equal(client.requests.length, 3);
  });

  it("rethrows an error that is not about the connection", async () => {
    await assert.rejects(read(pipeline(new FakeClient([new RangeError("bug")]), fastOptions())), RangeError);
  });

  it("gives up on a refused host within its connect budget, naming host, cause and remedy", async () => {
    const options = fastOptions({ connectBudgetMs: 100 });
    const client = new FakeClient([new RestError("connect ECONNREFUSED 127.0.0.1:9", { code: "ECONNREFUSED" })]);
    await assert.rejects(
      read(pipeline(client, options)),
      (err: unknown) =>
        err instanceof ConnectionError &&
        /^cannot connect to graph\.test: the connection was refused \(ECONNREFUSED\).*Check the URL setting/.test(
          err.message,
        ),
    );
    assert.ok(options.waits.reduce((a, b) => a + b, 0) <= 100, JSON.stringify(options.waits));
    assert.equal(client.requests.length, options.waits.length + 1);
  });

  it("the default connect budget ends a refused host's retries within 20 s", () => {
    const strategy = transportStrategy({ ...DEFAULT_RETRY_OPTIONS, random: () => 1 });
    const request = createPipelineRequest({ url: "https://graph.example.test:9/v1.0/users" });
    let waited = 0;
    for (let retryCount = 0; retryCount < DEFAULT_RETRY_OPTIONS.maxAttempts; retryCount++) {
      const modifiers = strategy.retry({
        retryCount,
        responseError: new RestError("connect ECONNREFUSED", { code: "ECONNREFUSED", request }),
      });
      if (modifiers.errorToThrow) {
        assert.ok(modifiers.errorToThrow instanceof ConnectionError);
        assert.match(
          modifiers.errorToThrow.message,
          /graph\.example\.test:9: the connection was refused \(ECONNREFUSED\) \(tried for \d+ s\)/,
        );
        assert.ok(waited <= DEFAULT_RETRY_OPTIONS.connectBudgetMs, `waited ${waited} ms`);
        assert.ok(retryCount < DEFAULT_RETRY_OPTIONS.maxAttempts - 1, `${retryCount} retries`);
        return;
      }
      waited += modifiers.retryAfterInMs ?? 0;
    }
    assert.fail("never gave up");
  });

  it("does not retry an untrusted certificate", async () => {
    const client = new FakeClient([
      new RestError("self-signed certificate in certificate chain", { code: "SELF_SIGNED_CERT_IN_CHAIN" }),
    ]);
    await assert.rejects(
      read(pipeline(client, fastOptions())),
      (err: unknown) =>
        err instanceof ConnectionError && err.kind === "untrusted" && /NODE_EXTRA_CA_CERTS/.test(err.message),
    );
    assert.equal(client.requests.length, 1);
  });

  it("names the API when a token cannot be had", async () => {
    const failing: TokenCredential = {
      getToken: async () => {
        throw new Error("AADSTS7000215: Invalid client secret provided.\nTrace ID: x");
      },
    };
    const http = new MicrosoftHttp({
      credential: failing,
      apiNames: new Map([[SCOPE, "Microsoft Graph"]]),
      maxConcurrency: 1,
      retry: fastOptions(),
      httpClient: new FakeClient([{ status: 200 }]),
    });
    await assert.rejects(
      read(http),
      (err: unknown) =>
        err instanceof Error &&
        err.name === "AccessError" &&
        /could not get a token for Microsoft Graph: AADSTS7000215: Invalid client secret provided\.$/.test(err.message),
    );
  });

  it("keeps at most maxConcurrency requests in flight", async () => {
    let active = 0;
    let peak = 0;
    const client: HttpClient = {
      sendRequest: async (request) => {
        active++;
        peak = Math.max(peak, active);
        await new Promise((r) => setTimeout(r, 5));
        active--;
        return { request, status: 200, headers: createHttpHeaders(), bodyAsText: "{}" };
      },
    };
    const http = pipeline(client, fastOptions(), { maxConcurrency: 3 });
    await Promise.all(Array.from({ length: 20 }, () => read(http)));
    assert.equal(peak, 3);
  });
});

describe("MicrosoftHttp: writes", () => {
  /** A mailbox that a write changes: `applied` counts the writes that reached it. */
  function mailbox() {
    const state = { applied: 0, reads: 0 };
    return { state, landed: async () => (state.reads++, state.applied > 0) };
  }
  const write = (http: MicrosoftHttp, landed: () => Promise<boolean>) =>
    http.send("https://exchange.test/adminapi/beta/t/InvokeCommand", {
      what: "Exchange Set-Mailbox",
      scope: SCOPE,
      method: "POST",
      body: { CmdletInput: { CmdletName: "Set-Mailbox" } },
      write: { landed },
    });

  it("after a connection dropped once the write was applied, reads first and does not write again", async () => {
    const box = mailbox();
    const client = new FakeClient([dropped(), { status: 200 }], () => box.state.applied++);
    const response = await write(pipeline(client, fastOptions()), box.landed);
    assert.ok(isVerifiedWrite(response));
    assert.equal(box.state.applied, 1, "written once");
    assert.equal(client.requests.length, 1);
    assert.equal(box.state.reads, 1);
  });

  it("after a 503 that did not apply, reads, then sends again once", async () => {
    const box = mailbox();
    const answers: Answer[] = [{ status: 503 }, { status: 200 }];
    const client = new FakeClient(answers, () => {
      if (client.requests.length === 2) box.state.applied++;
    });
    const response = await write(pipeline(client, fastOptions()), box.landed);
    assert.equal(response.status, 200);
    assert.ok(!isVerifiedWrite(response));
    assert.equal(client.requests.length, 2);
    assert.equal(box.state.applied, 1);
    assert.equal(box.state.reads, 1);
  });

  it("after a refused connection (nothing sent) or a 429 (not applied), resends without reading", async () => {
    for (const first of [
      new RestError("connect ECONNREFUSED", { code: "ECONNREFUSED" }),
      { status: 429, headers: { "Retry-After": "0.01" } },
    ] as Answer[]) {
      const box = mailbox();
      const client = new FakeClient([first, { status: 200 }]);
      await write(pipeline(client, fastOptions()), box.landed);
      assert.equal(client.requests.length, 2);
      assert.equal(box.state.reads, 0);
    }
  });

  it("out of attempts after drops, one last read tells whether it landed", async () => {
    const box = mailbox();
    const client = new FakeClient([dropped()], () => {
      if (client.requests.length === 3) box.state.applied++;
    });
    const response = await write(
      pipeline(client, fastOptions({ maxAttempts: 3 })),
      async () => (box.state.reads++, client.requests.length === 3 && box.state.applied > 0),
    );
    assert.ok(isVerifiedWrite(response));
    assert.equal(client.requests.length, 3);
  });

  it("a 429 on one write holds every writer for its Retry-After, and the throttled one goes first", async () => {
    const order: string[] = [];
    let first = true;
    const client: HttpClient = {
      sendRequest: async (request) => {
        const who = String(request.body).includes("A") ? "A" : "B";
        order.push(`${who}@${Date.now()}`);
        if (who === "A" && first) {
          first = false;
          return { request, status: 429, headers: createHttpHeaders({ "Retry-After": "0.25" }), bodyAsText: "{}" };
        }
        return { request, status: 200, headers: createHttpHeaders(), bodyAsText: "{}" };
      },
    };
    const http = pipeline(client, fastOptions(), { maxConcurrency: 1 });
    const send = (name: string) =>
      http.send("https://exchange.test/x", {
        what: name,
        scope: SCOPE,
        method: "POST",
        body: { name },
        write: { landed: async () => false },
      });
    const a = send("A");
    await new Promise((r) => setTimeout(r, 1));
    const b = send("B");
    await Promise.all([a, b]);
    const times = order.map((o) => Number(o.split("@")[1]));
    assert.deepEqual(
      order.map((o) => o[0]),
      ["A", "A", "B"],
      "the throttled writer keeps its place at the head",
    );
    assert.ok(times[1]! - times[0]! >= 240, `nobody wrote during the Retry-After (${times[1]! - times[0]!} ms)`);
  });

  it("sends no write once the engine is gone, but still reads", async () => {
    const client = new FakeClient([{ status: 200 }]);
    const http = pipeline(client, fastOptions(), { engineIsAlive: () => false });
    await assert.rejects(
      write(http, async () => false),
      EngineGoneError,
    );
    assert.equal(client.requests.length, 0);
    assert.equal((await read(http)).status, 200);
  });
});

describe("typed errors", () => {
  const answer = (status: number, body: string, headers: Record<string, string> = {}): PipelineResponse => {
    const request = createPipelineRequest({
      url: "https://outlook.test/adminapi/beta/t/InvokeCommand",
      headers: createHttpHeaders({ "client-request-id": "c1" }),
    });
    return { request, status, headers: createHttpHeaders(headers), bodyAsText: body };
  };

  it("an HttpError says the host, status, code, the service's words and both request ids", () => {
    const err = new HttpError(
      'Exchange Set-Mailbox "lee"',
      answer(400, '{"error":{"code":"BadRequest","message":"Error executing cmdlet"}}', { "request-id": "r1" }),
      {
        detail: "The proxy address is invalid.",
      },
    );
    assert.equal(
      err.message,
      'Exchange Set-Mailbox "lee": outlook.test answered HTTP 400 BadRequest: The proxy address is invalid. (request-id r1, client-request-id c1)',
    );
    assert.equal(err.serviceCode, "BadRequest");
    assert.equal(err.requestId, "r1");
    assert.equal(err.clientRequestId, "c1");
  });

  it("keeps only the start of a long body", () => {
    const err = new HttpError("x", answer(502, "<html>" + "y".repeat(10_000)));
    assert.ok(err.bodyExcerpt.length < 600);
    assert.ok(err.message.length < 500, `${err.message.length} characters`);
  });

  it("an AccessError names the permission and carries the request id", () => {
    const err = accessDenied(
      "graph",
      answer(403, '{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges"}}', {
        "request-id": "r2",
      }),
      "app-1",
    );
    assert.ok(err instanceof AccessError);
    assert.equal(err.requestId, "r2");
    assert.match(
      err.message,
      /^Microsoft Graph refused the app \(HTTP 403 Authorization_RequestDenied: Insufficient privileges; request-id r2, client-request-id c1\)\. App app-1: .*User\.Read\.All/,
    );
  });
});

describe("ConcurrencyLimit", () => {
  it("never runs more than its limit at once", async () => {
    const limit = new ConcurrencyLimit(3);
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        limit.run(async () => {
          active++;
          peak = Math.max(peak, active);
          await new Promise((r) => setImmediate(r));
          active--;
        }),
      ),
    );
    assert.equal(peak, 3);
  });
});

describe("a port that answers, but not in TLS", () => {
  it("is a ConnectionError naming the host and the URL setting, not a raw EPROTO", () => {
    const eproto = new RestError("write EPROTO …:wrong version number", { code: "EPROTO" });
    const problem = connectionProblem(eproto);
    assert.deepEqual(problem, { kind: "notTls", code: "EPROTO" });
    const error = new ConnectionError("https://127.0.0.1:43783/v1.0/$batch", problem!);
    assert.match(
      error.message,
      /^cannot connect to 127\.0\.0\.1:43783: what answers there does not speak TLS \(EPROTO\)/,
    );
    assert.match(error.message, /graphBaseUrl/);
    assert.equal(error.expected, true);
  });
});
