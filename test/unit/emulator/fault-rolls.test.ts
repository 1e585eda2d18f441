// The emulator's fault rolls from a seed (emulator/faults.ts seededRandom): every number in [0, 1),
// the same seed the same sequence, so the same faults for the same requests; spread evenly enough
// that a rate of faults is met.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { FaultInjector, seededRandom } from "../../../emulator/faults";

describe("fault rolls from a seed", () => {
  it("every number is in [0, 1), and a seed gives the same sequence each time", () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }), (seed) => {
        const a = seededRandom(seed);
        const b = seededRandom(seed);
        for (let i = 0; i < 200; i++) {
          const x = a();
          assert.ok(x >= 0 && x < 1, `${x}`);
          assert.equal(b(), x);
        }
      }),
    );
  });

  it("two seeds give two sequences", () => {
    const a = seededRandom(1);
    const b = seededRandom(2);
    const first = Array.from({ length: 20 }, () => a());
    const second = Array.from({ length: 20 }, () => b());
    assert.notDeepEqual(first, second);
  });

  it("a fault rate over many requests is met within a few percent, and the same again with the same seed", () => {
    const decisions = (seed: number) => {
      const faults = new FaultInjector({ serverErrorRate: 0.3, surfaces: ["exchange"] }, seededRandom(seed));
      return Array.from({ length: 10_000 }, () => faults.decide("exchange", true).kind);
    };
    for (const seed of [26, 7, 123_456]) {
      const kinds = decisions(seed);
      const rate = kinds.filter((k) => k === "server-error").length / kinds.length;
      assert.ok(Math.abs(rate - 0.3) < 0.02, `seed ${seed}: rate ${rate}`);
      assert.deepEqual(decisions(seed), kinds);
    }
  });
});
