// The concurrency limit (targets/exchange-online/pipeline/concurrency-limit.ts) and its policy: at
// most maxConcurrency requests in flight.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createHttpHeaders, type HttpClient } from "@azure/core-rest-pipeline";
import { ConcurrencyLimit } from "../../../../targets/exchange-online/pipeline/concurrency-limit";
import { fastOptions } from "../fast-retry";
import { pipeline, read } from "./fake-http-client";

describe("concurrency limit policy", () => {
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
