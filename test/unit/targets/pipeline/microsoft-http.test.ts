// The client of the HTTP pipeline (targets/exchange-online/pipeline/microsoft-http.ts) on a fake
// HttpClient: its policies in order, one client-request-id per call across its retries, and the
// answers that are not retried.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fastOptions } from "../fast-retry";
import { FakeClient, pipeline, read } from "./fake-http-client";

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
});
