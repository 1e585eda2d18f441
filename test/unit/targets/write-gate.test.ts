// The write gate, with a fake clock: first come first served, a rate learnt from 429s and from
// the budget headers answers carry, Retry-After held for everyone.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { WriteGate, type GateClock } from "../../../targets/exchange-online/write-gate";

/** A clock that moves only when told; sleepers wake in time order. */
class FakeClock implements GateClock {
  time = 0;
  readonly #sleepers: { at: number; wake: () => void }[] = [];
  now = () => this.time;
  sleep = (ms: number) => new Promise<void>((wake) => this.#sleepers.push({ at: this.time + ms, wake }));
  async advance(ms: number): Promise<void> {
    this.time += ms;
    for (const s of this.#sleepers.filter((s) => s.at <= this.time)) {
      this.#sleepers.splice(this.#sleepers.indexOf(s), 1);
      s.wake();
    }
    await settle();
  }
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("WriteGate", () => {
  it("admits up to its limit at once, then one per release, in ticket order", async () => {
    const gate = new WriteGate(2, new FakeClock());
    const admitted: number[] = [];
    const releases: ((o: "done") => void)[] = [];
    for (let i = 0; i < 4; i++) {
      const ticket = gate.ticket();
      void gate.acquire(ticket).then((release) => {
        admitted.push(ticket);
        releases.push(release);
      });
    }
    await settle();
    assert.deepEqual(admitted, [0, 1]);
    releases[1]!("done");
    await settle();
    assert.deepEqual(admitted, [0, 1, 2]);
    releases[0]!("done");
    await settle();
    assert.deepEqual(admitted, [0, 1, 2, 3]);
  });

  it("on a 429 holds every writer for the Retry-After, then lets the throttled one go first, at a rate just under what was accepted", async () => {
    const clock = new FakeClock();
    const gate = new WriteGate(4, clock);
    const first = gate.ticket();
    const release = await gate.acquire(first);
    const later = [gate.ticket(), gate.ticket(), gate.ticket()];
    const admitted: number[] = [];
    const pending = later.map((t) => gate.acquire(t).then((r) => (admitted.push(t), r)));
    await settle();
    assert.deepEqual(admitted, [1, 2, 3], "free slots are used at once");
    assert.equal(gate.rate, undefined, "no pace before a budget is met");
    for (const r of await Promise.all(pending)) r("done");
    release({ throttledForMs: 500 });
    // 3 accepted within the last second: the pace is 0.9 × 3 per second.
    assert.ok(Math.abs(gate.rate! - 2.7) < 1e-9, String(gate.rate));
    assert.equal(gate.state.heldForMs, 500);
    const again: number[] = [];
    const next = gate.ticket();
    void gate.acquire(next).then((r) => (again.push(next), r("done")));
    void gate.acquire(first).then((r) => (again.push(first), r("done")));
    await clock.advance(499);
    assert.deepEqual(again, [], "nobody writes during the Retry-After");
    assert.equal(gate.state.waiting, 2);
    await clock.advance(1);
    assert.deepEqual(again, [first], "the throttled writer keeps its place at the head, and the pace spaces the next");
    await clock.advance(Math.ceil(1000 / gate.rate!));
    assert.deepEqual(again, [first, next]);
  });

  it("cuts once per round (429s to writes sent before the last cut do not cut again) and not before 20 successes since", async () => {
    const clock = new FakeClock();
    const gate = new WriteGate(8, clock);
    const releases = await Promise.all([0, 1, 2, 3].map(() => gate.acquire(gate.ticket())));
    for (let i = 0; i < 10; i++) (await gate.acquire(gate.ticket()))("done");
    releases[0]!({ throttledForMs: 0 });
    const rate = gate.rate!;
    releases[1]!({ throttledForMs: 0 });
    releases[2]!({ throttledForMs: 0 });
    assert.equal(gate.rate, rate, "sent before the cut");
    const write = async (outcome: "done" | { throttledForMs: number }) => {
      const admitted = gate.acquire(gate.ticket());
      await clock.advance(1000);
      (await admitted)(outcome);
    };
    for (let i = 0; i < 19; i++) await write("done");
    await write({ throttledForMs: 0 });
    assert.equal(gate.rate, rate, "19 successes since the cut: a 429 that may be the service's whim");
    await write("done");
    await write({ throttledForMs: 0 });
    assert.ok(Math.abs(gate.rate! - rate * 0.9) < 1e-9, "a write sent after the cut, 20 successes later, throttled: cuts again");
    releases[3]!("done");
  });

  it("paces at its rate, and grows it while writers wait", async () => {
    const clock = new FakeClock();
    const gate = new WriteGate(32, clock);
    (await gate.acquire(gate.ticket()))("done");
    (await gate.acquire(gate.ticket()))({ throttledForMs: 0 });
    const rate = gate.rate!;
    assert.ok(Math.abs(rate - 0.9) < 1e-9, String(rate));
    const admitted: number[] = [];
    for (let i = 0; i < 3; i++) void gate.acquire(gate.ticket()).then((r) => (admitted.push(clock.time), r("done")));
    await settle();
    for (let t = 0; t < 4000; t += 100) await clock.advance(100);
    assert.equal(admitted.length, 3);
    assert.ok(admitted[1]! - admitted[0]! >= 1000 && admitted[2]! - admitted[1]! >= 1000, `spaced by the pace: ${admitted.join(", ")}`);
    assert.ok(gate.rate! > rate, "successes with writers waiting raise the rate");
  });

  it("follows the budget the answers announce: spreads what remains until the reset, holds everyone when none remains", async () => {
    const clock = new FakeClock();
    const gate = new WriteGate(4, clock);
    (await gate.acquire(gate.ticket()))("done", { remaining: 40, resetMs: 10_000 });
    assert.equal(gate.rate, 4);
    (await gate.acquire(gate.ticket()))("done", { remaining: 0, resetMs: 3_000 });
    assert.equal(gate.state.heldForMs, 3_000);
    let admitted = false;
    void gate.acquire(gate.ticket()).then((r) => ((admitted = true), r("done")));
    await clock.advance(2_999);
    assert.equal(admitted, false, "nobody sends before the reset");
    await clock.advance(1);
    assert.equal(admitted, true);
  });

  it("cuts when Graph says the limit is nearly used (x-ms-throttle-limit-percentage)", async () => {
    const clock = new FakeClock();
    const gate = new WriteGate(4, clock);
    for (let i = 0; i < 5; i++) (await gate.acquire(gate.ticket()))("done");
    (await gate.acquire(gate.ticket()))("done", { usedFraction: 0.95 });
    assert.ok(Math.abs(gate.rate! - 6 * 0.9) < 1e-9, String(gate.rate));
  });

  it("leaves the pace as it is when the outcome is unknown (503, dropped connection)", async () => {
    const gate = new WriteGate(3, new FakeClock());
    (await gate.acquire(gate.ticket()))("unknown");
    assert.equal(gate.limit, 3);
    assert.equal(gate.rate, undefined);
  });
});
