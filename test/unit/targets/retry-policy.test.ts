// The retry policy, with a fake clock: no real waiting.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { backoffMs, DEFAULT_RETRY_OPTIONS, isTransportError, retryAfterMs, RetriesExhaustedError, sendWithRetries, type RetryOptions } from "../../../targets/exchange-online/retry-policy";
import { ConcurrencyLimit } from "../../../targets/exchange-online/concurrency-limit";

function fakeOptions(overrides: Partial<RetryOptions> = {}): RetryOptions & { waits: number[] } {
  const waits: number[] = [];
  return { ...DEFAULT_RETRY_OPTIONS, random: () => 0.5, sleep: async (ms) => void waits.push(ms), waits, ...overrides };
}

const response = (status: number, headers: Record<string, string> = {}) => new Response(status === 204 ? null : "{}", { status, headers });

describe("retryAfterMs", () => {
  it("reads seconds", () => assert.equal(retryAfterMs(new Headers({ "Retry-After": "3" })), 3000));
  it("reads fractional seconds", () => assert.equal(retryAfterMs(new Headers({ "Retry-After": "0.25" })), 250));
  it("reads an HTTP date", () => assert.equal(retryAfterMs(new Headers({ "Retry-After": new Date(10_000).toUTCString() }), 4_000), 6000));
  it("prefers retry-after-ms and x-ms-retry-after-ms", () => {
    assert.equal(retryAfterMs(new Headers({ "retry-after-ms": "120", "Retry-After": "9" })), 120);
    assert.equal(retryAfterMs(new Headers({ "x-ms-retry-after-ms": "80" })), 80);
  });
  it("reads a plain header object (Graph $batch items)", () => assert.equal(retryAfterMs({ "Retry-After": "2" }), 2000));
  it("is undefined without a header or with garbage", () => {
    assert.equal(retryAfterMs(new Headers()), undefined);
    assert.equal(retryAfterMs(new Headers({ "Retry-After": "soon" })), undefined);
  });
});

describe("sendWithRetries", () => {
  it("returns a success at once", async () => {
    const options = fakeOptions();
    const result = await sendWithRetries("x", async () => response(200), options);
    assert.equal(result.status, 200);
    assert.deepEqual(options.waits, []);
  });

  it("retries 429, 503 and 504, waiting as Retry-After says", async () => {
    const options = fakeOptions();
    const answers = [response(429, { "Retry-After": "2" }), response(503), response(504, { "retry-after-ms": "10" }), response(200)];
    const result = await sendWithRetries("x", async () => answers.shift()!, options);
    assert.equal(result.status, 200);
    assert.deepEqual(options.waits, [2000, backoffMs(2, options), 10]);
  });

  it("does not retry other errors (400, 401, 404, 500)", async () => {
    for (const status of [400, 401, 404, 500]) {
      let calls = 0;
      const result = await sendWithRetries("x", async () => (calls++, response(status)), fakeOptions());
      assert.equal(result.status, status);
      assert.equal(calls, 1);
    }
  });

  it("retries dropped connections and timeouts", async () => {
    const options = fakeOptions();
    let calls = 0;
    const result = await sendWithRetries(
      "x",
      async () => {
        calls++;
        if (calls === 1) throw Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNRESET" } });
        if (calls === 2) throw new DOMException("The operation was aborted due to timeout", "TimeoutError");
        return response(200);
      },
      options,
    );
    assert.equal(result.status, 200);
    assert.equal(calls, 3);
  });

  it("rethrows an error that is not about the connection", async () => {
    await assert.rejects(sendWithRetries("x", async () => { throw new RangeError("bug"); }, fakeOptions()), RangeError);
  });

  it("gives up after maxAttempts with what happened", async () => {
    const options = fakeOptions({ maxAttempts: 3 });
    let calls = 0;
    await assert.rejects(
      sendWithRetries("Graph /users", async () => (calls++, response(429, { "Retry-After": "1" })), options),
      (err: unknown) => err instanceof RetriesExhaustedError && /Graph \/users: gave up after 3 attempts \(last: HTTP 429\)/.test(err.message),
    );
    assert.equal(calls, 3);
    assert.equal(options.waits.length, 2);
  });

  it("caps every wait at maxDelayMs", async () => {
    const options = fakeOptions({ maxDelayMs: 5000 });
    const answers = [response(429, { "Retry-After": "3600" }), response(200)];
    await sendWithRetries("x", async () => answers.shift()!, options);
    assert.deepEqual(options.waits, [5000]);
  });

  it("backs off exponentially with jitter", () => {
    const low = { ...DEFAULT_RETRY_OPTIONS, random: () => 0 };
    const high = { ...DEFAULT_RETRY_OPTIONS, random: () => 1 };
    assert.equal(backoffMs(1, low), 400);
    assert.equal(backoffMs(1, high), 600);
    assert.equal(backoffMs(3, low), 1600);
  });
});

describe("isTransportError", () => {
  it("knows connection failures", () => {
    assert.equal(isTransportError(Object.assign(new Error("x"), { code: "ECONNRESET" })), true);
    assert.equal(isTransportError(new TypeError("fetch failed")), true);
    assert.equal(isTransportError(new Error("boom")), false);
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
