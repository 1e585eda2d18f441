// Throttling shown as it happens (issue 25): the wording (which service, how long, how many wait),
// the provider's reports in the engine's output (a second or more, each service at most every 5 s),
// and the CLI's progress line picking them up from the engine's events.
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import { Progress, throttleOf } from "../../../cli/progress";
import { throttleReporter } from "../../../providers/mailbox-addresses/throttle-report";
import { describeThrottle } from "../../../targets/target-definition";

describe("throttling, shown", () => {
  it("names the service, the wait and how many wait", () => {
    assert.equal(
      describeThrottle({ service: "the Exchange Online admin API", waitMs: 3_000, waiting: 14, kind: "writes" }),
      "the Exchange Online admin API is throttling: waiting 3 s, 14 writes waiting",
    );
    assert.equal(
      describeThrottle({ service: "Microsoft Graph", waitMs: 1_250, waiting: 1, kind: "reads" }),
      "Microsoft Graph is throttling: waiting 1.3 s, 1 read waiting",
    );
    assert.equal(
      describeThrottle({ service: "Microsoft Graph", waitMs: 125_400, waiting: 2_000, kind: "reads" }),
      "Microsoft Graph is throttling: waiting 125 s, 2,000 reads waiting",
    );
  });

  it("the provider reports waits of a second or more, each service at most every 5 s", () => {
    let now = 0;
    const logged: string[] = [];
    const report = throttleReporter(
      () => now,
      (m) => logged.push(m),
    );
    const exchange = { service: "the Exchange Online admin API", waiting: 3, kind: "writes" } as const;
    report({ ...exchange, waitMs: 50 });
    assert.deepEqual(logged, [], "a paced run's short waits stay quiet");
    report({ ...exchange, waitMs: 2_000 });
    now = 4_000;
    report({ ...exchange, waitMs: 2_000 });
    report({ service: "Microsoft Graph", waitMs: 1_000, waiting: 1, kind: "reads" });
    now = 5_000;
    report({ ...exchange, waitMs: 30_000 });
    assert.deepEqual(logged, [
      "the Exchange Online admin API is throttling: waiting 2 s, 3 writes waiting",
      "Microsoft Graph is throttling: waiting 1 s, 1 read waiting",
      "the Exchange Online admin API is throttling: waiting 30 s, 3 writes waiting",
    ]);
  });

  it("the CLI's progress line shows the provider's message from the engine's events, and nothing else", () => {
    const message = "the Exchange Online admin API is throttling: waiting 30 s, 12 writes waiting";
    assert.equal(throttleOf({ diagnosticEvent: { message: `${message}\n`, severity: "info" } }), message);
    assert.equal(
      throttleOf({ diagnosticEvent: { message: "bench00001@contoso.com: live tenant → spec: +1", severity: "info" } }),
      undefined,
    );
    assert.equal(throttleOf({ diagnosticEvent: { message, severity: "error" } }), undefined);
    const progress = new Progress("apply (pulumi up)", {
      stream: new PassThrough() as unknown as NodeJS.WriteStream,
    }).counter("done", (n) => `${n} done`);
    progress.fromEngine({ diagnosticEvent: { message, severity: "info" } });
    assert.match(
      progress.line(),
      /^apply \(pulumi up\): 0 done \[\d+ s\] \(the Exchange Online admin API is throttling: waiting 30 s, 12 writes waiting\)$/,
    );
    progress.stop();
  });
});
