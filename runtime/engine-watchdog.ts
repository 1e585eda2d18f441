// Stops this process when the Pulumi engine that started it is gone. The engine starts the
// language host, the program and the provider in process groups of their own, so killing the
// engine's group (Ctrl-C twice, a CI job cancelled, SIGKILL) leaves them running: a provider went
// on sending Set-Mailbox for seconds, racing the admin's next run. Each process therefore finds
// its `pulumi` ancestor once, checks it twice a second, and exits when it is gone; every write
// also checks just before it is sent, so no write leaves after the engine died.
//
// Linux only (/proc); elsewhere both functions do nothing.
import { readFileSync, readlinkSync } from "node:fs";
import { MailboxAddressesError } from "../core/errors";

interface ProcessIdentity {
  readonly pid: number;
  /** Start time in clock ticks since boot: a pid reused by another process has another one. */
  readonly startTime: string;
}

/** pid, parent pid and start time of a process, from /proc/<pid>/stat; undefined when it is gone. */
function statOf(pid: number): { comm: string; ppid: number; startTime: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name is in parentheses and may itself hold spaces or parentheses.
    const close = text.lastIndexOf(")");
    const comm = text.slice(text.indexOf("(") + 1, close);
    const fields = text.slice(close + 2).split(" ");
    return { comm, ppid: Number(fields[1]), startTime: fields[19]! };
  } catch {
    return undefined;
  }
}

/** The nearest ancestor process named `pulumi` (the engine), if any. */
function findEngine(): ProcessIdentity | undefined {
  let pid = process.ppid;
  for (let depth = 0; depth < 16 && pid > 1; depth++) {
    const stat = statOf(pid);
    if (stat === undefined) return undefined;
    if (stat.comm === "pulumi") return { pid, startTime: stat.startTime };
    pid = stat.ppid;
  }
  return undefined;
}

let engine: ProcessIdentity | undefined | null = null;

function engineIdentity(): ProcessIdentity | undefined {
  if (engine === null) engine = process.platform === "linux" ? findEngine() : undefined;
  return engine;
}

/** The engine run this process belongs to (`<pid>-<start time>`), where it can be told. */
export function engineRunId(): string | undefined {
  const known = engineIdentity();
  return known === undefined ? undefined : `${known.pid}-${known.startTime}`;
}

/**
 * The folder the engine runs in (where `pulumi` was started, or its `--cwd`), if it can be told.
 * The provider and the program are started in the program's folder instead, which may be reached
 * through a symlink the kernel resolves (a project linking a shared dist/), so only the engine's
 * folder finds the project's Pulumi.yaml reliably.
 */
export function engineWorkingDirectory(): string | undefined {
  const known = engineIdentity();
  if (known === undefined || !runIsAlive(`${known.pid}-${known.startTime}`)) return undefined;
  try {
    return readlinkSync(`/proc/${known.pid}/cwd`);
  } catch {
    return undefined;
  }
}

/** True while the engine of a run id from {@link engineRunId} is running. */
export function runIsAlive(runId: string): boolean {
  const [pid, startTime] = runId.split("-");
  const now = statOf(Number(pid));
  return now !== undefined && now.startTime === startTime && !isZombie(Number(pid));
}

/** True unless this process was started by an engine that has since exited. */
export function engineIsAlive(): boolean {
  const run = engineRunId();
  return run === undefined || runIsAlive(run);
}

function isZombie(pid: number): boolean {
  try {
    return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return true;
  }
}

/** The error a write gets instead of being sent once the engine is gone. */
export class EngineGoneError extends MailboxAddressesError {
  constructor() {
    // Not expected, as it never was: its stack shows which write was stopped.
    super(
      "the pulumi engine that started this run has exited; nothing more is written. Run `pulumi cancel` if the stack is still locked, then `pulumi up` again",
      {
        expected: false,
        remedy: "run `pulumi cancel` if the stack is still locked, then `pulumi up` again",
      },
    );
    this.name = "EngineGoneError";
  }
}

/** Throws instead of letting a write leave after the engine died. */
export async function assertEngineAlive(): Promise<void> {
  if (!engineIsAlive()) {
    process.exitCode = 1;
    setImmediate(() => process.exit(1));
    throw new EngineGoneError();
  }
}

let watching = false;

/** Exits this process within half a second of the engine's exit. Idempotent. */
export function stopWhenEngineIsGone(): void {
  if (watching || engineIdentity() === undefined) return;
  watching = true;
  setInterval(() => {
    if (!engineIsAlive()) {
      process.stderr.write("mailbox-addresses: the pulumi engine has exited; stopping.\n");
      process.exit(1);
    }
  }, 500).unref();
}
