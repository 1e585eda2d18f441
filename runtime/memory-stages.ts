// What the program holds at each stage of a run, for measuring it (docs/benchmarks.md, "State and
// memory"): with MAILBOX_ADDRESSES_MEMORY_LOG naming a file, each stage appends one JSON line: the
// process's resident size, its peak so far, and the JavaScript heap in use (after a collection when
// node runs with --expose-gc, so that the heap is what is still held). Nothing is written otherwise.
// MAILBOX_ADDRESSES_HEAP_SNAPSHOT=<stage> also writes a V8 heap snapshot at that stage, beside the
// log (<log>.<stage>.heapsnapshot; Chrome DevTools' Memory tab reads it): what is held, by kind.
import { appendFileSync } from "node:fs";
import { writeHeapSnapshot } from "node:v8";

const MB = 1024 * 1024;

/** Where the heap snapshot of `stage` goes, beside the memory log `file`. */
export function heapSnapshotFile(file: string, stage: string): string {
  return `${file}.${stage.replace(/\W+/g, "-")}.heapsnapshot`;
}

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
    if (env.MAILBOX_ADDRESSES_HEAP_SNAPSHOT === stage) writeHeapSnapshot(heapSnapshotFile(file, stage));
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
