// MailboxAddresses is registered without the stack trace the SDK records on each of its promises
// (providers/mailbox-addresses/resource.ts): those are read only for PULUMI_DEBUG_PROMISE_LEAKS's
// leak report, which keeps them. The resource's source position (Resource.callsites(), which lifts
// the limit for itself) and the caller's Error.stackTraceLimit are unchanged, even when the SDK throws.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { MailboxAddresses } from "../../../providers/mailbox-addresses/resource";

void pulumi.runtime.setMocks(
  {
    newResource: (args) => ({ id: args.name, state: args.inputs }),
    call: () => ({}),
  },
  "mailbox-addresses",
  "promise-stacks",
  true,
);

/** Fresh inputs each time: the SDK adds its `__provider` to the object it is given. */
const argsOf = (address: string) => ({
  identity: address,
  addresses: { [address]: `SMTP:${address}` },
  mode: "strict" as const,
});

/** The number of frames of every stack trace formatted while `declare` runs. */
function framesFormatted(declare: () => void): number[] {
  const frames: number[] = [];
  const previous = Error.prepareStackTrace;
  Error.prepareStackTrace = (error, callSites) => {
    frames.push(callSites.length);
    return `${String(error)}\n${callSites.map((site) => `    at ${String(site)}`).join("\n")}`;
  };
  try {
    declare();
  } finally {
    Error.prepareStackTrace = previous;
  }
  return frames;
}

describe("MailboxAddresses and the SDK's promise stack traces", () => {
  it("records none on the SDK's promises; still takes its source position; the limit is as it was", () => {
    Error.stackTraceLimit = 5;
    const frames = framesFormatted(() => new MailboxAddresses("a@contoso.com", argsOf("a@contoso.com")));
    assert.equal(Error.stackTraceLimit, 5);
    const empty = frames.filter((n) => n === 0).length;
    assert.ok(empty >= 3, `the SDK's promises got stack traces: frames per trace ${frames.join(", ")}`);
    // Resource.callsites(): the whole stack (more than the caller's limit of 5), for the source
    // position the engine records.
    assert.ok(
      frames.some((n) => n > 5),
      `no full stack for the source position: ${frames.join(", ")}`,
    );
  });

  it("keeps them with PULUMI_DEBUG_PROMISE_LEAKS, which reports leaks with them", () => {
    process.env.PULUMI_DEBUG_PROMISE_LEAKS = "1";
    try {
      Error.stackTraceLimit = 10;
      const frames = framesFormatted(() => new MailboxAddresses("b@contoso.com", argsOf("b@contoso.com")));
      assert.ok(frames.length >= 3 && frames.every((n) => n > 0), `frames per trace: ${frames.join(", ")}`);
    } finally {
      delete process.env.PULUMI_DEBUG_PROMISE_LEAKS;
    }
  });

  it("gives the limit back when the SDK refuses the resource", () => {
    Error.stackTraceLimit = 10;
    assert.throws(() => new MailboxAddresses("", argsOf("c@contoso.com")), /name/i);
    assert.equal(Error.stackTraceLimit, 10);
  });
});
