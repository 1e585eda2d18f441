// What an answer's headers say (targets/exchange-online/pipeline/rate-headers.ts): Retry-After in
// seconds, as an HTTP-date or in milliseconds, and the budget left (RateHint).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createHttpHeaders } from "@azure/core-rest-pipeline";
import { rateHintOf, retryAfterMs } from "../../../../targets/exchange-online/pipeline/rate-headers";

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
