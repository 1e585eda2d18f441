// The emulator's request counters and their timeline: counts per second since the last reset,
// with the first and last count of each counter (what the write-pace benchmark reads).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Counters } from "../../../emulator/faults";

describe("Counters", () => {
  it("counts per counter, and second by second since the last reset, with the first and last count", () => {
    let now = 10_000;
    const counters = new Counters(() => now);
    counters.add("exchange.Set-Mailbox.applied");
    now += 999;
    counters.add("exchange.Set-Mailbox.applied", 2);
    now += 2_001;
    counters.add("exchange.Set-Mailbox.applied");
    counters.add("faults.exchange.429");
    assert.equal(counters.get("exchange.Set-Mailbox.applied"), 4);
    assert.deepEqual(counters.timeline(), {
      since: 10_000,
      perSecond: { "exchange.Set-Mailbox.applied": [3, 0, 0, 1], "faults.exchange.429": [0, 0, 0, 1] },
      first: { "exchange.Set-Mailbox.applied": 0, "faults.exchange.429": 3_000 },
      last: { "exchange.Set-Mailbox.applied": 3_000, "faults.exchange.429": 3_000 },
    });
    now += 500;
    counters.reset();
    assert.deepEqual(counters.snapshot(), {});
    now += 1_200;
    counters.add("graph.requests");
    assert.deepEqual(counters.timeline(), {
      since: 13_500,
      perSecond: { "graph.requests": [0, 1] },
      first: { "graph.requests": 1_200 },
      last: { "graph.requests": 1_200 },
    });
  });
});
