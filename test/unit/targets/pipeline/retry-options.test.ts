// The waits between attempts (targets/exchange-online/pipeline/retry-options.ts).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { backoffMs, DEFAULT_RETRY_OPTIONS } from "../../../../targets/exchange-online/pipeline/retry-options";

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
