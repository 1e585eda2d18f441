// What the program holds at each stage of a run, for measuring it (docs/benchmarks.md, "State and
// memory"): with MAILBOX_ADDRESSES_MEMORY_LOG naming a file, each stage appends one JSON line: the
// process's resident size, its peak so far, and the JavaScript heap in use (after a collection when
// node runs with --expose-gc, so that the heap is what is still held). Nothing is written otherwise.
import { appendFileSync } from "node:fs";

const MB = 1024 * 1024;

/** Appends this stage's memory to the file MAILBOX_ADDRESSES_MEMORY_LOG names, if it names one. */
export function memoryStage(stage: string, env: NodeJS.ProcessEnv = process.env): void {
  const file = env.MAILBOX_ADDRESSES_MEMORY_LOG;
  if (!file) return;
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  const line = {
    pid: process.pid,
    stage,
    seconds: Math.round(process.uptime() * 10) / 10,
    // The clock's time too, to set the stages against other processes' (bench/scale/write-pace.ts).
    t: Date.now(),
    rssMb: Math.round(m.rss / MB),
    peakRssMb: Math.round((process.resourceUsage().maxRSS * 1024) / MB),
    heapUsedMb: Math.round(m.heapUsed / MB),
    externalMb: Math.round(m.external / MB),
  };
  try {
    appendFileSync(file, `${JSON.stringify(line)}\n`);
  } catch {
    // a measurement, never a reason to fail the run
  }
}

/**
 * The first stage ("start"), and the last ("exit", once the event loop is empty): what the engine's
 * registrations still hold once the program's own work is done, the SDK's part.
 */
export function startMemoryLog(env: NodeJS.ProcessEnv = process.env): void {
  memoryStage("start", env);
  if (env.MAILBOX_ADDRESSES_MEMORY_LOG) process.once("beforeExit", () => memoryStage("exit", env));
}
