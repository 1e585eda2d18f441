// The write gate, with a fake clock: first come first served, halving on 429, Retry-After held
// for everyone, growth back to the limit.
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

  it("on a 429 halves the limit, holds every writer for the Retry-After, then lets the throttled one go first", async () => {
    const clock = new FakeClock();
    const gate = new WriteGate(4, clock);
    const first = gate.ticket();
    const release = await gate.acquire(first);
    const later = [gate.ticket(), gate.ticket(), gate.ticket()];
    const admitted: number[] = [];
    const pending = later.map((t) => gate.acquire(t).then((r) => (admitted.push(t), r)));
    await settle();
    assert.deepEqual(admitted, [1, 2, 3], "free slots are used at once");
    for (const r of await Promise.all(pending)) r("done");
    release({ throttledForMs: 500 });
    assert.equal(gate.limit, 2);
    const again: number[] = [];
    const next = gate.ticket();
    void gate.acquire(next).then(() => again.push(next));
    void gate.acquire(first).then(() => again.push(first));
    await clock.advance(499);
    assert.deepEqual(again, [], "nobody writes during the Retry-After");
    await clock.advance(1);
    assert.deepEqual(again, [first, next], "the throttled writer keeps its place at the head");
  });

  it("grows back by one after four times as many successes as are in flight, up to the maximum", async () => {
    const gate = new WriteGate(4, new FakeClock());
    (await gate.acquire(gate.ticket()))({ throttledForMs: 0 });
    (await gate.acquire(gate.ticket()))({ throttledForMs: 0 });
    assert.equal(gate.limit, 1);
    const succeed = async (times: number) => {
      for (let i = 0; i < times; i++) (await gate.acquire(gate.ticket()))("done");
    };
    await succeed(3);
    assert.equal(gate.limit, 1);
    await succeed(1);
    assert.equal(gate.limit, 2);
    await succeed(8);
    assert.equal(gate.limit, 3);
    await succeed(12 + 16);
    assert.equal(gate.limit, 4);
    await succeed(100);
    assert.equal(gate.limit, 4);
  });

  it("leaves the limit as it is when the outcome is unknown (503, dropped connection)", async () => {
    const gate = new WriteGate(3, new FakeClock());
    (await gate.acquire(gate.ticket()))("unknown");
    assert.equal(gate.limit, 3);
  });
});
