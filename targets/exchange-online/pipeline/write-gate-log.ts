// The write gate second by second, for measuring where a run's time goes (docs/benchmarks.md, "Where
// the time above the write budget's floor goes"): with MAILBOX_ADDRESSES_GATE_LOG naming a file, the
// provider appends one JSON line a second while writes are asked for, wait or are in flight: writes
// asked for so far, attempts admitted so far, writers waiting, in flight, the pace, the hold. Writers
// waiting while fewer than the budget are applied is the gate's doing; none waiting is the supply's
// (the engine's or the provider's). Nothing is written otherwise.
import { appendFileSync } from "node:fs";
import type { WriteGate } from "./write-gate";

/** Starts the gate's log if MAILBOX_ADDRESSES_GATE_LOG names a file; the timer never keeps the process alive. */
export function startWriteGateLog(gate: WriteGate, env: NodeJS.ProcessEnv = process.env): void {
  const file = env.MAILBOX_ADDRESSES_GATE_LOG;
  if (!file) return;
  let last = "";
  const timer = setInterval(() => {
    const state = gate.state;
    if (state.asked === 0) return;
    const line = JSON.stringify({
      pid: process.pid,
      asked: state.asked,
      admitted: state.admitted,
      waiting: state.waiting,
      inFlight: state.inFlight,
      rate: state.rate === undefined ? null : Math.round(state.rate * 100) / 100,
      heldForMs: Math.round(state.heldForMs),
    });
    // Idle and unchanged: nothing to say.
    if (line === last && state.waiting === 0 && state.inFlight === 0) return;
    last = line;
    try {
      appendFileSync(file, `{"t":${Date.now()},${line.slice(1)}\n`);
    } catch {
      // a measurement, never a reason to fail the run
    }
  }, 1000);
  timer.unref();
}
