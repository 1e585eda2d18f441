// The throttling retry strategy (targets/exchange-online/pipeline/throttling-retry-strategy.ts) on a
// fake HttpClient: Retry-After honoured (seconds, HTTP-date), capped, 5xx backoff bounded, and the
// typed error with the request ids when the attempts are spent. Waits are milliseconds.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RestError } from "@azure/core-rest-pipeline";
import { HttpError } from "../../../../targets/exchange-online/http-error";
import { fastOptions } from "../fast-retry";
import { FakeClient, pipeline, read } from "./fake-http-client";

describe("throttling retry strategy", () => {
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
});
