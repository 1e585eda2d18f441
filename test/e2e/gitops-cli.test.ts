// The GitOps commands on both targets: export is stable and round-trips to zero changes, drift
// names what changed outside git and agrees with `pulumi preview --refresh`, plan renders the
// preview per mailbox, and exit codes follow terraform's -detailed-exitcode (0/2/1).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { PROJECT_ROOT, type TestStack } from "../../harness/pulumi-stack";
import { parseReport as report, stackOnTarget, type StackOnTarget } from "../../harness/stack-on-target";

const EXAMPLE_SPEC = readFileSync(path.join(PROJECT_ROOT, "infra/mailboxes.yaml"), "utf8");

function defineGitOpsTests(title: string, makeTarget: () => Promise<StackOnTarget>): void {
  describe(title, () => {
    let target: StackOnTarget;
    let stack: TestStack;
    before(async () => {
      target = await makeTarget();
      stack = target.stack;
    });
    after(() => target?.dispose());

    it("export is a valid spec and byte-identical twice", () => {
      const first = stack.cli(["export"]);
      assert.equal(first.code, 0, first.output);
      const second = stack.cli(["export"]);
      assert.equal(second.stdout, first.stdout);
      assert.match(first.stdout, /sales@contoso\.com: {2}# Sales; shared mailbox/);
      assert.match(first.stdout, /george\.hall@contoso\.com: {2}# George Hall; synced from on-premises AD/);
      stack.writeSpec(first.stdout);
      assert.equal(stack.cli(["validate", stack.specFile]).code, 0);
    });

    it("export filters by domain, UPN pattern and type", () => {
      const shared = stack.cli(["export", "--type", "SharedMailbox"]);
      assert.equal(shared.code, 0, shared.output);
      assert.equal((shared.stdout.match(/shared mailbox/g) ?? []).length, 6);
      const fabrikam = stack.cli(["export", "--domain", "fabrikam.com", "--upn", "*@contoso.com"]);
      assert.match(fabrikam.stdout, /mei\.tanaka@contoso\.com/);
      assert.doesNotMatch(fabrikam.stdout, /anna\.kowalski/);
    });

    it("round trip: the export previews with zero changes, and adopting it writes nothing", () => {
      stack.writeSpec(stack.cli(["export"]).stdout);
      const plan = stack.cli(["plan", "--json"]);
      assert.equal(plan.code, 2, plan.output); // the stack adopts every mailbox...
      const adopted = report(plan.stdout);
      assert.equal(adopted.summary.changed, 0); // ...and writes none
      assert.equal(adopted.summary.adopted, adopted.summary.mailboxes);
      assert.ok(
        adopted.mailboxes.every(
          (m) => m.change === "adopt" && m.added.length === 0 && m.removed.length === 0 && m.primary === undefined,
        ),
      );
      assert.equal(stack.cli(["drift"]).code, 0);
      const writes = target.withTenant((t) => t.writes().length);
      const up = stack.up();
      assert.equal(up.code, 0, up.output);
      assert.equal(
        target.withTenant((t) => t.writes().length),
        writes,
      );
      assert.equal(stack.preview("--expect-no-changes").code, 0);
    });

    it("drift names the mailbox and the address changed outside git; exit 2; JSON and Markdown", () => {
      target.withTenant((t) => t.addRemoveEmailAddresses("lee.chen@contoso.com", ["smtp:rogue@contoso.com"], []));
      const table = stack.cli(["drift"]);
      assert.equal(table.code, 2, table.output);
      assert.match(table.stdout, /lee\.chen@contoso\.com\s+drift\s+rogue@contoso\.com/);
      const json = stack.cli(["drift", "--json"]);
      assert.equal(json.code, 2);
      const drift = report(json.stdout);
      assert.deepEqual(
        drift.mailboxes.filter((m) => m.change !== "none").map((m) => [m.identity, m.removed]),
        [["lee.chen@contoso.com", ["rogue@contoso.com"]]],
      );
      const markdown = stack.cli(["drift", "--markdown"]);
      assert.ok(
        markdown.stdout.startsWith(
          `<!-- mailbox-addresses:drift:${stack.stack} -->\n### mailbox-addresses drift: \`${stack.stack}\``,
        ),
      );
    });

    it("the fast path and pulumi preview --refresh agree on the drifted tenant", () => {
      const fast = report(stack.cli(["drift", "--json"]).stdout);
      const preview = stack.run(["preview", "--refresh", "--json"]);
      assert.equal(preview.code, 0, preview.output);
      const steps = (JSON.parse(preview.stdout).steps ?? []) as { op: string; urn: string }[];
      const updated = steps
        .filter((s) => s.urn.includes("MailboxAddresses") && s.op === "update")
        .map((s) => decodeURIComponent(s.urn.slice(s.urn.lastIndexOf("::") + 2)))
        .sort();
      const drifted = fast.mailboxes
        .filter((m) => m.change === "drift")
        .map((m) => m.identity)
        .sort();
      assert.deepEqual(updated, drifted);
      assert.ok(drifted.length > 0);
      // plan --refresh says the same, per mailbox.
      const plan = report(stack.cli(["plan", "--refresh", "--json"]).stdout);
      assert.deepEqual(
        plan.mailboxes
          .filter((m) => m.change !== "none")
          .map((m) => m.identity)
          .sort(),
        drifted,
      );
    });

    it("plan shows a spec change per mailbox (exit 2) and a problem at preview (exit 1)", () => {
      stack.writeSpec(EXAMPLE_SPEC);
      const plan = stack.cli(["plan", "--json"]);
      assert.equal(plan.code, 2, plan.output);
      const mark = report(plan.stdout).mailboxes.find((m) => m.identity === "mark.wilson@contoso.com")!;
      assert.deepEqual(mark.primary, { from: "mark.wilson@contoso.com", to: "mark.wilson@fabrikam.com" });
      assert.deepEqual(mark.added, ["mwilson@fabrikam.com"]);
      assert.deepEqual(mark.removed, ["mwilson@contoso.com"]);
      stack.writeSpec(
        EXAMPLE_SPEC.replace(
          "      - mwilson@fabrikam.com\n",
          "      - mwilson@fabrikam.com\n      - press@fabrikam.com\n",
        ),
      );
      const bad = stack.cli(["plan", "--json"]);
      assert.equal(bad.code, 1, bad.output);
      assert.match(
        report(bad.stdout).problems.join("\n"),
        /alias "press@fabrikam\.com" already belongs to mail contact "Press Office \(agency\)"/,
      );
      // One verdict (issue 19): drift reports the conflict preview reports, and exits 1 too.
      const drift = stack.cli(["drift"]);
      assert.equal(drift.code, 1, drift.output);
      assert.match(
        drift.stdout,
        /alias "press@fabrikam\.com" already belongs to mail contact "Press Office \(agency\)"/,
      );
    });

    it("an invalid spec makes drift and plan exit 1 with positions", () => {
      stack.writeSpec(EXAMPLE_SPEC.replace("mode: additive", "mode: merge"));
      const drift = stack.cli(["drift"]);
      assert.equal(drift.code, 1);
      assert.match(
        drift.stderr,
        /mailboxes\.yaml:\d+:\d+: mailboxes\["sales@contoso\.com"\]\.mode: "merge" is not allowed/,
      );
      const plan = stack.cli(["plan"]);
      assert.equal(plan.code, 1);
      assert.match(plan.stdout, /"merge" is not allowed/);
    });
  });
}

defineGitOpsTests("GitOps commands on the local target", () => stackOnTarget("local", "gitops"));

defineGitOpsTests("GitOps commands on the emulator (exchange-online target)", () =>
  stackOnTarget("emulator", "gitops"),
);
