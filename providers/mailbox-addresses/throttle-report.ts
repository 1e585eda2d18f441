// Says in the engine's output when a service's throttling holds the run (issue 25: "an up waiting
// out Retry-After answers shows only 'updating…' for minutes"): which service, how long, how many
// calls wait. The provider process is a plugin of the engine, started with the engine's address as
// its argument (@pulumi/pulumi's cmd/dynamic-provider); its log messages go there as the program's
// do (pulumi.log), and the CLI's progress line picks them up from the engine's events
// (cli/progress.ts, `throttleOf`).
import * as pulumi from "@pulumi/pulumi";
import { describeThrottle, type ThrottleWait } from "../../targets/target-definition";

/** Waits shorter than this go unreported: a paced run meets many short Retry-Afters. */
const REPORT_FROM_MS = 1000;
/** At most one report per service in this time. */
const EVERY_MS = 5000;

/** The engine's address this plugin was started with, made the SDK's, so pulumi.log reaches the engine. */
function connectToEngine(): boolean {
  if (pulumi.runtime.getEngine() !== undefined) return true;
  const address = process.argv[2];
  if (address === undefined || !/^[\w.-]+:\d+$/.test(address)) return false;
  pulumi.runtime.resetOptions(pulumi.runtime.getProject(), pulumi.runtime.getStack(), -1, address, "", false, "");
  return pulumi.runtime.getEngine() !== undefined;
}

/** A reporter for one provider process: throttling waits of a second or more, each service at most every 5 s. */
export function throttleReporter(
  now: () => number = Date.now,
  log: (message: string) => void = defaultLog,
): (wait: ThrottleWait) => void {
  const last = new Map<string, number>();
  return (wait) => {
    if (wait.waitMs < REPORT_FROM_MS) return;
    const at = now();
    if (at - (last.get(wait.service) ?? Number.NEGATIVE_INFINITY) < EVERY_MS) return;
    last.set(wait.service, at);
    log(describeThrottle(wait));
  };
}

let connected: boolean | undefined;

function defaultLog(message: string): void {
  connected ??= connectToEngine();
  if (!connected) return;
  void pulumi.log.info(message).catch(() => undefined);
}
