// Runs a command and measures it: wall time, and the peak resident memory (VmHWM, sampled from
// /proc every 200 ms) of each kind of process under it: the engine, the Pulumi program and the
// dynamic provider.
import type { TestStack } from "../../harness/pulumi-stack";
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

export interface Measured {
  readonly code: number;
  readonly ms: number;
  readonly output: string;
  /** Peak RSS in MB per process kind seen. */
  readonly peakMb: Record<string, number>;
}

function kindOf(cmdline: string): string {
  if (cmdline.includes("dynamic-provider")) return "provider";
  if (cmdline.includes("cmd/run")) return "program";
  if (cmdline.includes("pulumi-language-nodejs")) return "language host";
  if (/(^|\/)pulumi\0/.test(cmdline)) return "engine";
  return "other";
}

/** Peak RSS (MB) of every descendant of `root`, by kind. */
function sample(root: number, peaks: Record<string, number>): void {
  const parents = new Map<number, number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // gone meanwhile
    }
  }
  const isUnder = (pid: number): boolean => {
    for (let p: number | undefined = pid; p !== undefined && p > 1; p = parents.get(p)) if (p === root) return true;
    return false;
  };
  for (const pid of parents.keys()) {
    if (!isUnder(pid)) continue;
    try {
      const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      const kind = kindOf(readFileSync(`/proc/${pid}/cmdline`, "utf8"));
      if (hwm) peaks[kind] = Math.max(peaks[kind] ?? 0, Math.round(Number(hwm[1]) / 1024));
    } catch {
      // gone meanwhile
    }
  }
}

export function runMeasured(command: {
  file: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command.file, command.args, {
      cwd: command.cwd,
      env: command.env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => chunks.push(c));
    child.stderr.on("data", (c: Buffer) => chunks.push(c));
    const peakMb: Record<string, number> = {};
    const timer = setInterval(() => sample(child.pid!, peakMb), 200);
    child.once("error", reject);
    child.once("close", (code) => {
      clearInterval(timer);
      resolve({
        code: code ?? -1,
        ms: Number(process.hrtime.bigint() - started) / 1e6,
        output: Buffer.concat(chunks).toString("utf8"),
        peakMb,
      });
    });
  });
}

/**
 * The size of a stack's state: bytes in all, per mailbox (of `count`), and the serialized provider's
 * bytes (`__provider`, inputs and outputs) per MailboxAddresses or no-op resource.
 */
export function stateFacts(
  stack: TestStack,
  count: number,
): { stateBytes: number; bytesPerMailbox: number; providerBytesPerMailbox: number } {
  const text = stack.stateText();
  const resources = (JSON.parse(text).checkpoint.latest?.resources ?? []) as {
    type: string;
    inputs?: { __provider?: string };
    outputs?: { __provider?: string };
  }[];
  const ours = resources.filter((r) => r.type.includes("MailboxAddresses") || r.type.includes("NoopMailbox"));
  const providerBytes = ours.reduce(
    (sum, r) => sum + (r.inputs?.__provider?.length ?? 0) + (r.outputs?.__provider?.length ?? 0),
    0,
  );
  return {
    stateBytes: Buffer.byteLength(text),
    bytesPerMailbox: Math.round(Buffer.byteLength(text) / count),
    providerBytesPerMailbox: Math.round(providerBytes / Math.max(1, ours.length)),
  };
}
