// The transport retry strategy (targets/exchange-online/pipeline/transport-retry-strategy.ts):
// dropped connections and timeouts retried, a refused host given up within its connect budget,
// an untrusted certificate not retried. Waits are milliseconds.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createPipelineRequest, RestError } from "@azure/core-rest-pipeline";
import { ConnectionError, TransportError } from "../../../../targets/exchange-online/http-error";
import { DEFAULT_RETRY_OPTIONS } from "../../../../targets/exchange-online/pipeline/retry-options";
import { transportStrategy } from "../../../../targets/exchange-online/pipeline/transport-retry-strategy";
import { fastOptions } from "../fast-retry";
import { dropped, FakeClient, pipeline, read } from "./fake-http-client";

describe("transport retry strategy", () => {
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
});
