// Targeted runs through the real CLI, the real engine and the project's own program
// (docs/TARGETED-RUNS.md): `plan --changed-since <ref> --save plan.json` then `apply --plan
// plan.json` declare and target only the mailboxes the change touches, run without refresh, and
// leave every other state entry byte-identical; a full `preview --refresh --expect-no-changes`
// afterwards finds nothing left to do. A stack-wide setting change widens the plan to every
// mailbox, saying why.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Report } from "../../core/report/report";
import { generatedMailbox } from "../../harness/generated-mailbox";
import { TestStack } from "../../harness/pulumi-stack";

const N = 300;
const TYPE = "pulumi-nodejs:dynamic/mailbox:MailboxAddresses";
const users = Array.from({ length: N + 1 }, (_, i) => `trun${String(i).padStart(3, "0")}@contoso.com`);
const SHARED = "moving-alias@contoso.com";
const ids = users.map(() => randomUUID());

/** The spec: N mailboxes (N + 1 with `added`), the shared alias on the first or the second. */
function specOf(options: { moved: boolean; added?: boolean; domains?: string }): string {
  const declared = options.added ? users : users.slice(0, N);
  return [
    "version: 1",
    `allowedDomains: [${options.domains ?? "contoso.com"}]`,
    "mailboxes:",
    ...declared.flatMap((u, i) => [
      `  ${u}:`,
      `    primary: ${u}`,
      ...(i === (options.moved ? 1 : 0) ? [`    aliases: [${SHARED}]`] : []),
    ]),
    "",
  ].join("\n");
}

describe(`targeted runs through the CLI: plan --changed-since and apply --plan in a stack of ${N}`, () => {
  let stack: TestStack;
  const git = (...args: string[]) => {
    const r = spawnSync("git", ["-c", "user.name=test", "-c", "user.email=test@example.com", ...args], {
      cwd: stack.dir,
      encoding: "utf8",
    });
    assert.equal(r.status, 0, `git ${args.join(" ")}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const commit = (message: string) => {
    git("add", "mailboxes.yaml");
    git("commit", "-q", "-m", message);
  };
  const exported = () =>
    (
      JSON.parse(stack.run(["stack", "export"], { check: true }).stdout) as {
        deployment: { resources: { urn: string; type: string }[] };
      }
    ).deployment.resources;
  const urn = (identity: string) => `urn:pulumi:${stack.stack}::mailbox-addresses::${TYPE}::${identity}`;
  const report = (file: string) => JSON.parse(readFileSync(file, "utf8")) as Report;

  before(() => {
    stack = new TestStack("tgtrun");
    stack.seedTenant();
    stack.withTenant((tenant) => {
      users.forEach((u, i) =>
        tenant.addRecipient(generatedMailbox(u, { id: ids[i]!, extra: i === 0 ? [`smtp:${SHARED}`] : [] })),
      );
    });
    git("init", "-q");
    stack.writeSpec(specOf({ moved: false }));
    commit("base");
    const adopted = stack.up();
    assert.equal(adopted.code, 0, adopted.output.slice(-3000));
  });
  after(() => stack?.dispose());

  it("a move and an addition: plan --changed-since shows only those mailboxes and why; apply --plan applies them; the other entries stay byte-identical; a full preview --refresh is clean", (t) => {
    const baseline = new Map(exported().map((r) => [r.urn, JSON.stringify(r)]));
    stack.writeSpec(specOf({ moved: true, added: true }));
    const planFile = path.join(stack.dir, "plan.json");

    const started = process.hrtime.bigint();
    const plan = stack.cli(["plan", "--changed-since", "HEAD", "--save", planFile]);
    const planSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    assert.equal(plan.code, 2, plan.output);
    assert.match(plan.stdout, /targeted: only the mailboxes the change since HEAD touches \(3 declared, 0 released\)/);
    assert.match(plan.stdout, /why: changed \(addresses\); gives moving-alias@contoso\.com to trun001@contoso\.com/);
    const saved = report(planFile);
    assert.equal(saved.scope?.kind, "targeted");
    assert.deepEqual(saved.scope?.declare, [users[0], users[1], users[N]]);
    assert.deepEqual(
      saved.mailboxes.map((m) => [m.identity, m.change]),
      [
        [users[0], "update"],
        [users[1], "update"],
        [users[N], "adopt"],
      ],
    );
    assert.deepEqual(saved.mailboxes[1]!.added, [SHARED]);
    assert.deepEqual(saved.mailboxes[0]!.removed, [SHARED]);
    assert.deepEqual(saved.mailboxes[1]!.why, ["changed (addresses)"]);
    assert.deepEqual(saved.mailboxes[2]!.why, ["added to the spec"]);
    // Why each change happens (issue 31): the move, this change, an adoption; drift outside the set not read.
    assert.deepEqual(saved.mailboxes[0]!.causes, [{ address: SHARED, change: "remove", cause: "move", to: users[1] }]);
    assert.deepEqual(saved.mailboxes[1]!.causes, [
      { address: SHARED, change: "add", cause: "spec", since: "this-change" },
    ]);
    assert.deepEqual(saved.scope?.outside, { read: false, mailboxes: N - 2, drifted: [] });
    assert.match(
      plan.stdout,
      new RegExp(`Drift on the ${N - 2} other mailboxes was not read: a targeted apply leaves it as it is`),
    );

    const apply = stack.cli(["apply", "--plan", planFile]);
    assert.equal(apply.code, 0, apply.output);
    assert.match(apply.stdout, /applied to stack .*: 1 create, 2 update \(targeted: 3 of the stack's resources\)/);
    stack.withTenant((tenant) => {
      assert.ok(
        tenant.find(users[1]!)!.addresses.some((e) => e.toLowerCase() === `smtp:${SHARED}`),
        "the taker has the alias",
      );
      assert.ok(
        !tenant.find(users[0]!)!.addresses.some((e) => e.toLowerCase() === `smtp:${SHARED}`),
        "the giver let go of it",
      );
    });

    const afterApply = new Map(exported().map((r) => [r.urn, JSON.stringify(r)]));
    assert.ok(afterApply.has(urn(users[N]!)), "the added mailbox is in the state");
    let identical = 0;
    for (const u of users.slice(2, N)) {
      assert.equal(afterApply.get(urn(u)), baseline.get(urn(u)), `${u}'s state entry changed`);
      identical++;
    }
    assert.equal(identical, N - 2);

    const full = stack.preview("--refresh", "--expect-no-changes");
    assert.equal(full.code, 0, full.output.slice(-3000));
    commit("move and add");
    t.diagnostic(`N=${N}: plan --changed-since (CLI, engine, program) ${planSeconds.toFixed(1)} s`);
  });

  it("an apply of a plan made for another spec refuses and writes nothing", () => {
    stack.writeSpec(specOf({ moved: false, added: true }));
    const planFile = path.join(stack.dir, "plan-back.json");
    assert.equal(stack.cli(["plan", "--changed-since", "HEAD", "--save", planFile]).code, 2);
    stack.writeSpec(specOf({ moved: true, added: true }) + "# edited after the plan\n");
    const apply = stack.cli(["apply", "--plan", planFile]);
    assert.equal(apply.code, 1, apply.output);
    assert.match(apply.stderr, /computed for another spec/);
    assert.doesNotMatch(apply.output, /at .*\.js:\d+/);
    stack.writeSpec(specOf({ moved: true, added: true }));
  });

  it("a targeted plan refuses an address drifted onto a mailbox outside it, and a new key for a recipient the stack manages under another key", () => {
    // Drift since the state was written: trun005 got an alias by hand; the state does not know.
    const DRIFTED = "drifted@contoso.com";
    stack.withTenant((tenant) => tenant.addRemoveEmailAddresses(users[5]!, [`smtp:${DRIFTED}`], []));
    const base = specOf({ moved: true, added: true });
    const claiming = base.replace(
      `  ${users[6]}:\n    primary: ${users[6]}\n`,
      `  ${users[6]}:\n    primary: ${users[6]}\n    aliases: [${DRIFTED}]\n`,
    );
    stack.writeSpec(claiming);
    const line = claiming.split("\n").indexOf(`    aliases: [${DRIFTED}]`) + 1;
    const drifted = stack.cli(["plan", "--changed-since", "HEAD"]);
    assert.equal(drifted.code, 1, drifted.output);
    assert.match(
      drifted.output,
      new RegExp(
        `mailboxes\\.yaml:${line}:\\d+: .*"${DRIFTED}" is on "${users[5]}", a mailbox of this spec outside the targeted run .*run the full plan \\(without --changed-since\\)`,
      ),
    );
    assert.doesNotMatch(drifted.output, /\n\s+at /);
    stack.withTenant((tenant) => tenant.addRemoveEmailAddresses(users[5]!, [], [`smtp:${DRIFTED}`]));

    // The object id of trun007, which the stack manages as trun007@contoso.com: one recipient, two keys.
    stack.writeSpec(`${base}  ${ids[7]}:\n    primary: second-key@contoso.com\n`);
    const twice = stack.cli(["plan", "--changed-since", "HEAD"]);
    assert.equal(twice.code, 1, twice.output);
    assert.match(
      twice.output,
      new RegExp(`the key "${ids[7]}" names .*which the stack already manages as "${users[7]}"`),
    );
    stack.writeSpec(base);
  });

  it("a stack-wide setting changed (allowedDomains): not targeted, every mailbox planned, with the reason", () => {
    stack.writeSpec(specOf({ moved: true, added: true, domains: "contoso.com, fabrikam.com" }));
    const planFile = path.join(stack.dir, "plan-wide.json");
    const plan = stack.cli(["plan", "--changed-since", "HEAD", "--save", planFile]);
    assert.equal(plan.code, 0, plan.output);
    assert.match(plan.stderr, /not targeted, planning every mailbox: allowedDomains changed \(added fabrikam\.com\)/);
    const saved = report(planFile);
    assert.equal(saved.scope?.kind, "full");
    assert.match(saved.scope?.reasons?.join(" ") ?? "", /allowedDomains changed/);
    assert.equal(saved.summary.mailboxes, N + 1);
    const apply = stack.cli(["apply", "--plan", planFile]);
    assert.equal(apply.code, 0, apply.output);
    assert.match(apply.stderr, /full apply/);
    commit("a domain");
  });

  it("--changed-since with a ref git does not know: one message, exit 1, no stack trace", () => {
    const plan = stack.cli(["plan", "--changed-since", "no-such-ref"]);
    assert.equal(plan.code, 1, plan.output);
    assert.match(plan.stderr, /git knows no commit "no-such-ref"/);
    assert.doesNotMatch(plan.stderr, /\n\s+at /);
    const none = stack.cli(["plan", "--changed-since", "HEAD"]);
    assert.equal(none.code, 0, none.output);
    assert.match(none.stdout, /targeted: .*\(0 declared, 0 released\)/);
  });
});
