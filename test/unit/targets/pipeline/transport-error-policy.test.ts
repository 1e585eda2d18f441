// The transport error policy (targets/exchange-online/pipeline/transport-error-policy.ts): a
// timeout or a stream error becomes a transport error the strategies retry; any other error passes.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fastOptions } from "../fast-retry";
import { FakeClient, pipeline, read } from "./fake-http-client";

describe("transport error policy", () => {
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
});
