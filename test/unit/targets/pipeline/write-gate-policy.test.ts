// The write gate's policy (targets/exchange-online/pipeline/write-gate-policy.ts) on a fake
// HttpClient: a 429 on a write holds every writer for its Retry-After, the throttled one first.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createHttpHeaders, type HttpClient } from "@azure/core-rest-pipeline";
import { fastOptions } from "../fast-retry";
import { pipeline, SCOPE } from "./fake-http-client";

describe("write gate policy", () => {
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
});
