// Moves as real tenants have them (issue 30), end to end on the real pulumi binary against the
// emulator with Exchange's release lag on (addressReleaseLagMs): for a while after an address
// leaves a mailbox, Exchange refuses it to any other with "already being used". A move, a swap and
// a three-way rotation converge (the taker's add is retried, the run says what it waits for); past
// the stack's releaseWaitSeconds the run stops with exit 1 and the move pending (the address on
// neither mailbox, the state saying so) and the next up finishes it; a run killed while it waits
// leaves a state the next up completes. And preview names the holders Get-Mailbox does not list:
// a mail-enabled public folder, an Entra-only user, a soft-deleted mailbox, a recycle-bin user
// (issue 24, "Deleted holders"), with the requests that lookup costs.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { EmulatorProcess } from "../../harness/emulator-process";
import { generatedMailbox, migratedX500 } from "../../harness/generated-mailbox";
import { TestStack } from "../../harness/pulumi-stack";

const LAG_MS = 4_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A spec of the three mailboxes rl-a, rl-b, rl-c with these aliases. */
const specOf = (aliases: { a: string[]; b: string[]; c: string[] }) =>
  [
    "version: 1",
    "allowedDomains: [contoso.com, fabrikam.com]",
    "mailboxes:",
    ...(["a", "b", "c"] as const).flatMap((k) => [
      `  rl-${k}@contoso.com:`,
      `    primary: rl-${k}@contoso.com`,
      `    aliases: [${aliases[k].map((x) => `${x}@contoso.com`).join(", ")}]`,
    ]),
    "",
  ].join("\n");

describe("release lag: moves, swaps and rotations converge; a pending move is reported and finished", () => {
  let emulator: EmulatorProcess;
  let stack: TestStack;

  before(async () => {
    emulator = await EmulatorProcess.start({ addressReleaseLagMs: LAG_MS });
    emulator.withTenant((tenant) => {
      for (const k of ["a", "b", "c"]) tenant.addRecipient(generatedMailbox(`rl-${k}@contoso.com`, { x500: true }));
    });
    stack = new TestStack("lag", emulator.stackConfig(), emulator.environment());
    stack.writeSpec(specOf({ a: ["x", "y"], b: [], c: ["z"] }));
    const first = stack.up();
    assert.equal(first.code, 0, first.output.slice(-3000));
  });
  after(async () => {
    stack?.dispose();
    await emulator?.stop();
  });

  /** Each mailbox's SMTP aliases on the contoso.com domain (sorted), and that its X500 and MOERA are still there. */
  const aliasesNow = () =>
    emulator.withTenant((tenant) =>
      Object.fromEntries(
        (["a", "b", "c"] as const).map((k) => {
          const addresses = tenant.find(`rl-${k}@contoso.com`)!.addresses;
          assert.ok(
            addresses.includes(migratedX500(`rl-${k}`)) && addresses.includes(`smtp:rl-${k}@contoso.onmicrosoft.com`),
            `rl-${k} lost its X500 or MOERA: ${addresses}`,
          );
          assert.ok(addresses.includes(`SMTP:rl-${k}@contoso.com`), `rl-${k}'s primary changed: ${addresses}`);
          return [
            k,
            addresses
              .filter((e) => e.startsWith("smtp:") && e.endsWith("@contoso.com"))
              .map((e) => e.slice(5, e.indexOf("@")))
              .sort(),
          ];
        }),
      ),
    );

  /** The state's record of each mailbox's managed addresses. */
  const stateAliases = () =>
    Object.fromEntries(
      (stack.state().checkpoint.latest?.resources ?? [])
        .filter((r) => r.type.includes("MailboxAddresses") && r.outputs?.identity)
        .map((r) => [
          String(r.outputs!.identity).slice(3, 4),
          Object.keys(r.outputs!.addresses as Record<string, string>)
            .filter((a) => !a.startsWith("rl-"))
            .map((a) => a.split("@")[0])
            .sort(),
        ]),
    );

  it("a move: the taker's add is retried through the lag, the run says what it waits for, and the tenant has the address on the taker", async () => {
    stack.writeSpec(specOf({ a: ["y"], b: ["x"], c: ["z"] }));
    const run = stack.up();
    assert.equal(run.code, 0, run.output.slice(-3000));
    assert.match(
      run.output,
      /mailbox "rl-b@contoso\.com": Exchange has not freed "x@contoso\.com" yet \(the release lag/,
    );
    assert.deepEqual(aliasesNow(), { a: ["y"], b: ["x"], c: ["z"] });
    const check = stack.preview("--expect-no-changes");
    assert.equal(check.code, 0, check.output.slice(-3000));
  });

  it("a swap converges", async () => {
    stack.writeSpec(specOf({ a: ["x"], b: ["y"], c: ["z"] }));
    const run = stack.up();
    assert.equal(run.code, 0, run.output.slice(-3000));
    assert.deepEqual(aliasesNow(), { a: ["x"], b: ["y"], c: ["z"] });
    assert.equal(stack.preview("--expect-no-changes").code, 0);
  });

  it("a three-way rotation converges", async () => {
    stack.writeSpec(specOf({ a: ["y"], b: ["z"], c: ["x"] }));
    const run = stack.up();
    assert.equal(run.code, 0, run.output.slice(-3000));
    assert.deepEqual(aliasesNow(), { a: ["y"], b: ["z"], c: ["x"] });
    assert.equal(stack.preview("--expect-no-changes").code, 0);
  });

  it("past releaseWaitSeconds: exit 1, the move reported pending with the command that finishes it, the address on neither side and the state saying so; the next up finishes it", async () => {
    await emulator.setFaults({ addressReleaseLagMs: 600_000 });
    stack.run(["config", "set", "mailbox-addresses:releaseWaitSeconds", "3"], { check: true });
    stack.writeSpec(specOf({ a: ["y", "x"], b: ["z"], c: [] }));
    const run = stack.up();
    assert.equal(run.code, 1, run.output.slice(-3000));
    assert.match(
      run.output,
      /mailboxes\.yaml:\d+:\d+: mailbox "rl-a@contoso\.com": pending move: "x@contoso\.com" is on no mailbox now/,
    );
    assert.match(run.output, /what to do: run `pulumi up` again/);
    assert.deepEqual(aliasesNow(), { a: ["y"], b: ["z"], c: [] }, "x is on neither mailbox; everything else as it was");
    assert.deepEqual(stateAliases(), { a: ["y"], b: ["z"], c: [] }, "the state says where x is: nowhere");
    await emulator.setFaults({ addressReleaseLagMs: 0 });
    const again = stack.up();
    assert.equal(again.code, 0, again.output.slice(-3000));
    assert.deepEqual(aliasesNow(), { a: ["x", "y"], b: ["z"], c: [] });
    stack.run(["config", "set", "mailbox-addresses:releaseWaitSeconds", "3600"], { check: true });
  });

  it("a run killed while its taker waits for the release leaves a state the next up completes", async () => {
    await emulator.setFaults({ addressReleaseLagMs: 600_000 });
    stack.writeSpec(specOf({ a: ["x"], b: ["z"], c: ["y"] }));
    const command = stack.command(["up", "--yes", "--skip-preview"]);
    const child = spawn(command.file, command.args, {
      cwd: command.cwd,
      env: command.env,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    // The engine shows the provider's waiting line among its diagnostics (stdout or stderr).
    let stderr = "";
    for (const stream of [child.stdout!, child.stderr!])
      stream.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise((resolve) => child.once("exit", resolve));
    // The giver has let go of y and the taker is waiting for Exchange to free it.
    for (
      let waited = 0;
      !(aliasesNow().a?.length === 1 && /has not freed "y@contoso\.com"/.test(stderr)) && waited < 120_000;
      waited += 250
    )
      await sleep(250);
    assert.match(
      stderr,
      /mailbox "rl-c@contoso\.com": Exchange has not freed "y@contoso\.com" yet/,
      "the run says what it waits for",
    );
    assert.deepEqual(
      aliasesNow(),
      { a: ["x"], b: ["z"], c: [] },
      `the run is waiting with y on neither mailbox\n${stderr.slice(-2000)}`,
    );
    process.kill(-child.pid!, "SIGKILL");
    await exited;
    stack.run(["cancel", "--yes"]); // the lock a killed run leaves
    await emulator.setFaults({ addressReleaseLagMs: 0 });
    const again = stack.up();
    assert.equal(again.code, 0, again.output.slice(-3000));
    assert.deepEqual(aliasesNow(), { a: ["x"], b: ["z"], c: ["y"] });
    assert.deepEqual(stateAliases(), { a: ["x"], b: ["z"], c: ["y"] });
    assert.equal(stack.preview("--expect-no-changes").code, 0);
  });

  it("preview names the holders Get-Mailbox does not list, with kinds, dates and remedies, at the spec's line; and what the lookup costs", async () => {
    emulator.withTenant((tenant) =>
      tenant.addHolder({
        id: "7d1c6a40-35b4-4c1e-9d0e-0f3a3f4f0a01",
        kind: "EntraUser",
        displayName: "Jo Synced",
        upn: "jo.synced@contoso.com",
        synced: true,
        addresses: ["SMTP:jo@contoso.com"],
      }),
    );
    const spec = specOf({ a: ["x", "archive", "jo"], b: ["z"], c: ["y"] }).replace(
      "    aliases: [z@contoso.com]",
      "    aliases: [z@contoso.com, olivia@fabrikam.com, tom@fabrikam.com]",
    );
    stack.writeSpec(spec);
    await emulator.resetCounters();
    const preview = stack.preview();
    assert.notEqual(preview.code, 0, preview.output.slice(-3000));
    const out = preview.output;
    assert.match(
      out,
      /mailboxes\.yaml:\d+:\d+: .*"archive@contoso\.com" is held by mail-enabled public folder "Archive \(public folder\)".*Set-MailPublicFolder/,
    );
    assert.match(
      out,
      /mailboxes\.yaml:\d+:\d+: .*"jo@contoso\.com" is held by Entra user without a mailbox "Jo Synced" \(synced from on-premises AD\)/,
    );
    assert.match(
      out,
      /"olivia@fabrikam\.com" is held by soft-deleted mailbox "Olivia Former" \(deleted \d{4}-\d\d-\d\d; it keeps its addresses until it is purged on \d{4}-\d\d-\d\d\).*restore the mailbox.*purge it.*or wait until/,
    );
    assert.match(
      out,
      /"tom@fabrikam\.com" is held by deleted user in Entra's recycle bin "Tom Temp" \(deleted \d{4}-\d\d-\d\d;.*restore the user.*delete it permanently.*or wait until/,
    );
    const counters = await emulator.counters();
    console.log(`ℹ figures: holder lookup in a preview adding 5 addresses: ${JSON.stringify(counters)}`);
    assert.equal(counters["exchange.Set-Mailbox.applied"] ?? 0, 0, "preview writes nothing");
  });
});

describe("release lag and deleted holders on the local target", () => {
  let stack: TestStack;
  before(() => {
    stack = new TestStack("lag-local");
    stack.seedTenant();
  });
  after(() => stack?.dispose());

  const SPEC = (mark: string[], anna: string[]) =>
    [
      "version: 1",
      "allowedDomains: [contoso.com, fabrikam.com, contoso.onmicrosoft.com]",
      "mailboxes:",
      "  mark.wilson@contoso.com:",
      "    primary: mark.wilson@contoso.com",
      `    aliases: [${mark.join(", ")}]`,
      "  anna.kowalski@contoso.com:",
      "    primary: anna.kowalski@contoso.com",
      `    aliases: [${anna.join(", ")}]`,
      "",
    ].join("\n");

  it("preview names the seed's soft-deleted mailbox and recycle-bin user holding an address, with dates and remedies", () => {
    stack.writeSpec(SPEC(["mwilson@contoso.com", "olivia@fabrikam.com"], ["tom@fabrikam.com"]));
    const preview = stack.preview();
    assert.notEqual(preview.code, 0, preview.output.slice(-3000));
    assert.match(
      preview.output,
      /mailboxes\.yaml:6:\d+: .*"olivia@fabrikam\.com" is held by soft-deleted mailbox "Olivia Former" \(deleted \d{4}-\d\d-\d\d; it keeps its addresses until it is purged on \d{4}-\d\d-\d\d\).*restore the mailbox.*purge it.*or wait until/,
    );
    assert.match(
      preview.output,
      /mailboxes\.yaml:9:\d+: .*"tom@fabrikam\.com" is held by deleted user in Entra's recycle bin "Tom Temp" \(deleted .*restore the user.*delete it permanently.*or wait until/,
    );
    stack.withTenant((t) =>
      assert.ok(!t.find("mark.wilson@contoso.com")!.addresses.includes("smtp:olivia@fabrikam.com"), "nothing written"),
    );
  });

  it("a move under the local tenant's release lag converges, saying what it waits for", () => {
    stack.writeSpec(SPEC(["mwilson@contoso.com"], []));
    assert.equal(stack.up().code, 0);
    stack.withTenant((t) => t.setAddressReleaseLagMs(LAG_MS));
    stack.writeSpec(SPEC([], ["mwilson@contoso.com"]));
    const run = stack.up();
    assert.equal(run.code, 0, run.output.slice(-3000));
    assert.match(run.output, /Exchange has not freed "mwilson@contoso\.com" yet/);
    stack.withTenant((t) => {
      assert.ok(t.find("anna.kowalski@contoso.com")!.addresses.includes("smtp:mwilson@contoso.com"));
      const mark = t.find("mark.wilson@contoso.com")!.addresses;
      assert.ok(
        !mark.includes("smtp:mwilson@contoso.com") &&
          mark.includes("SIP:mark.wilson@contoso.com") &&
          mark.some((e) => e.startsWith("X500:")),
        String(mark),
      );
    });
  });
});
