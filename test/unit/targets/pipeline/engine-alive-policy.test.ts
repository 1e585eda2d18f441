// The engine check (targets/exchange-online/pipeline/engine-alive-policy.ts): no write is sent once
// the engine is gone, and reads still are.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EngineGoneError } from "../../../../runtime/engine-watchdog";
import { fastOptions } from "../fast-retry";
import { FakeClient, pipeline, read, write } from "./fake-http-client";

describe("engine alive policy", () => {
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
