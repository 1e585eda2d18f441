// The GitOps loop as a reviewer meets it, on the real pulumi binary and the local tenant: what
// `pulumi preview --diff` and `--json` name, address by address; a plain `up` after drift repairs
// it (refresh is the project's default); the pull-request plan (Markdown and JSON) shows exactly the
// writes the merge makes, drift repairs included; and the saved-plan mode refuses an apply after
// the tenant changed again. Verbs: adopt and release, never a created or deleted mailbox.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { addressKey, parseProxyAddress } from "../../core/address";
import type { Report } from "../../core/report/report";
import type { WriteRecord } from "../../tenant/tenant";
import { PROJECT_ROOT, TestStack } from "../../harness/pulumi-stack";
import { RUN_CHANNEL } from "../../runtime/run-channel";

/** The reviewed plan, as `pulumi up` in CI is given it (runtime/run-channel.ts). */
const REVIEWED_PLAN = RUN_CHANNEL.reviewedPlan;

const EXAMPLE_SPEC = readFileSync(path.join(PROJECT_ROOT, "infra/mailboxes.yaml"), "utf8");

/** What one write did, as a plan row shows it: primary to, SMTP addresses added and removed. */
function effectOf(write: WriteRecord): { primary?: string; added: string[]; removed: string[] } {
  const smtp = (list: readonly string[]) => list.map(parseProxyAddress).filter((p) => p.kind === "smtp");
  const before = new Map(smtp(write.before).map((p) => [addressKey(p.value), p]));
  const after = new Map(smtp(write.after).map((p) => [addressKey(p.value), p]));
  const primaryBefore = [...before.values()].find((p) => p.primary);
  const primaryAfter = [...after.values()].find((p) => p.primary);
  const primaryChanged = addressKey(primaryBefore?.value ?? "") !== addressKey(primaryAfter?.value ?? "");
  return {
    ...(primaryChanged ? { primary: addressKey(primaryAfter!.value) } : {}),
    added: [...after.keys()]
      .filter((k) => !before.has(k) && !(primaryChanged && k === addressKey(primaryAfter!.value)))
      .sort(),
    removed: [...before.keys()].filter((k) => !after.has(k)).sort(),
  };
}

describe("the review loop: preview --diff, plan, apply, saved plans", () => {
  let stack: TestStack;
  const writes = () => stack.withTenant((t) => t.writes());
  const upnOf = (id: string) => stack.withTenant((t) => t.find(id)!.upn!);

  before(() => {
    stack = new TestStack("review");
    stack.seedTenant();
    stack.writeSpec(EXAMPLE_SPEC);
  });
  after(() => stack?.dispose());

  it("adopting reads as adoption: the plan says adopt, the summary counts what is written", () => {
    const plan = stack.cli(["plan", "--json"]);
    assert.equal(plan.code, 2, plan.output);
    const report = JSON.parse(plan.stdout) as Report;
    assert.ok(
      report.mailboxes.every((m) => m.change === "adopt"),
      JSON.stringify(report.mailboxes.map((m) => m.change)),
    );
    assert.equal(report.summary.adopted, 8);
    const mark = report.mailboxes.find((m) => m.identity === "mark.wilson@contoso.com")!;
    assert.deepEqual(mark.primary, { from: "mark.wilson@contoso.com", to: "mark.wilson@fabrikam.com" });
    assert.match(stack.cli(["plan"]).stdout, /; 8 adopted/);
    const up = stack.up();
    assert.equal(up.code, 0, up.output);
  });

  it("pulumi preview --diff names each removed and added address and the primary change, and no re-case (Exchange keeps an address's case)", () => {
    stack.writeSpec(
      EXAMPLE_SPEC.replace("aliases: [helpdesk@contoso.com, support@fabrikam.com]", "aliases: [support@fabrikam.com]") // remove helpdesk@
        .replace("aliases: [lee.chen@fabrikam.com]", "aliases: [Lee.Chen@fabrikam.com, lchen@fabrikam.com]") // re-case one, add one
        .replace(
          "primary: info@contoso.com\n    aliases: [hello@contoso.com]",
          "primary: hello@contoso.com\n    aliases: [info@contoso.com]",
        ), // swap the primary
    );
    const preview = stack.preview("--diff");
    assert.equal(preview.code, 0, preview.output);
    const out = preview.output;
    // The removed alias is named as itself, not as the list position another address now holds.
    assert.match(out, /- helpdesk@contoso\.com: "smtp:helpdesk@contoso\.com"/);
    assert.doesNotMatch(out, /- support@fabrikam\.com/);
    assert.match(out, /\+ lchen@fabrikam\.com\s*: "smtp:lchen@fabrikam\.com"/);
    // The re-case is not written (exchange/exchange-rules.ts applyAddRemove), so it is not shown as a change.
    assert.doesNotMatch(
      out,
      /lee\.chen@fabrikam\.com\s*: "smtp:lee\.chen@fabrikam\.com" => "smtp:Lee\.Chen@fabrikam\.com"/,
    );
    assert.match(out, /~ hello@contoso\.com: "smtp:hello@contoso\.com" => "SMTP:hello@contoso\.com"/);
    assert.match(out, /~ info@contoso\.com : "SMTP:info@contoso\.com" => "smtp:info@contoso\.com"/);
    assert.doesNotMatch(out, /\[\d+\]:/, "no address is shown by list index");
  });

  it("pulumi preview --json carries the same per-address detail (detailedDiff keyed by address)", () => {
    const preview = stack.preview("--json");
    stack.writeSpec(EXAMPLE_SPEC);
    assert.equal(preview.code, 0, preview.output);
    const steps = JSON.parse(preview.stdout).steps as {
      op: string;
      urn: string;
      detailedDiff?: Record<string, { kind: string }>;
    }[];
    const update = (identity: string) => steps.find((s) => s.urn.endsWith(`::${identity}`) && s.op === "update")!;
    assert.deepEqual(update("support@contoso.com").detailedDiff, {
      'addresses["helpdesk@contoso.com"]': { kind: "delete", inputDiff: true },
    });
    assert.deepEqual(Object.keys(update("info@contoso.com").detailedDiff ?? {}).sort(), [
      'addresses["hello@contoso.com"]',
      'addresses["info@contoso.com"]',
    ]);
    assert.deepEqual(update("lee.chen@contoso.com").detailedDiff, {
      'addresses["lchen@fabrikam.com"]': { kind: "add", inputDiff: true },
    });
  });

  it("a plain pulumi up (no --refresh) repairs drift made outside git", () => {
    stack.withTenant((t) => t.addRemoveEmailAddresses("mark.wilson@contoso.com", ["smtp:rogue@contoso.com"], []));
    const before = writes().length;
    const up = stack.up();
    assert.equal(up.code, 0, up.output);
    assert.match(up.output, /1 updated/);
    const after = writes().slice(before);
    assert.deepEqual(
      after.map((w) => upnOf(w.recipientId)),
      ["mark.wilson@contoso.com"],
    );
    assert.deepEqual(effectOf(after[0]!).removed, ["rogue@contoso.com"]);
    assert.equal(stack.preview("--expect-no-changes").code, 0);
  });

  it("the pull request's plan shows the drift repairs and spec changes the merge makes, and nothing else is written", () => {
    // The pull request changes the spec; meanwhile an admin adds an alias by hand elsewhere.
    stack.writeSpec(
      EXAMPLE_SPEC.replace("aliases: [ppatel@contoso.com]", "aliases: [ppatel@contoso.com, priya@fabrikam.com]"),
    );
    stack.withTenant((t) => t.addRemoveEmailAddresses("anna.kowalski@contoso.com", ["smtp:anna.k@contoso.com"], []));
    const markdown = stack.cli(["plan", "--markdown"]);
    assert.equal(markdown.code, 2, markdown.output);
    // The pull request's own change is a row of its table; the repair of the hand edit is named
    // first, in its own section, with the command that keeps it instead (issue 31).
    assert.match(
      markdown.stdout,
      /`priya\.patel@contoso\.com` \| update \| +\| `priya@fabrikam\.com` \| +\| cause: the spec/,
    );
    assert.match(
      markdown.stdout,
      /#### Changed outside git: merging reverts these\n\n- `anna\.kowalski@contoso\.com`: `- anna\.k@contoso\.com` \(added outside git \(last changed [0-9T:.-]+Z\); merging removes it\)\. Keep it instead: `npx mailbox-addresses accept anna\.kowalski@contoso\.com`/,
    );
    assert.ok(
      markdown.stdout.indexOf("Changed outside git") < markdown.stdout.indexOf("priya.patel@contoso.com"),
      "the reverts come before the pull request's own changes",
    );
    const json = stack.cli(["plan", "--json"]);
    assert.equal(json.code, 2, json.output);
    const reviewed = JSON.parse(json.stdout) as Report;
    assert.match(reviewed.specDigest ?? "", /^sha256:[0-9a-f]{64}$/);
    const planFile = path.join(stack.dir, REVIEWED_PLAN.file);
    writeFileSync(planFile, json.stdout);

    // The merge applies with the reviewed plan: the writes are exactly the plan's rows.
    const before = writes().length;
    const up = stack.run(["up", "--yes", "--skip-preview"], { env: { [REVIEWED_PLAN.variable]: planFile } });
    assert.equal(up.code, 0, up.output);
    const applied = writes().slice(before);
    const rows = reviewed.mailboxes.filter((m) => m.change !== "none");
    assert.deepEqual(applied.map((w) => upnOf(w.recipientId)).sort(), rows.map((r) => r.identity).sort());
    for (const write of applied) {
      const row = rows.find((r) => r.identity === upnOf(write.recipientId))!;
      const effect = effectOf(write);
      assert.deepEqual(effect.added, row.added.map(addressKey).sort(), `added on ${row.identity}`);
      assert.deepEqual(effect.removed, row.removed.map(addressKey).sort(), `removed on ${row.identity}`);
      assert.equal(effect.primary, row.primary ? addressKey(row.primary.to) : undefined);
    }
  });

  it("with the saved plan, an apply refuses once the tenant changed after the review; nothing is written", () => {
    stack.writeSpec(
      EXAMPLE_SPEC.replace("aliases: [hello@contoso.com]", "aliases: [hello@contoso.com, welcome@contoso.com]"),
    );
    const json = stack.cli(["plan", "--json"]);
    assert.equal(json.code, 2, json.output);
    const planFile = path.join(stack.dir, REVIEWED_PLAN.file);
    writeFileSync(planFile, json.stdout);
    // The tenant changes after the review.
    stack.withTenant((t) => t.addRemoveEmailAddresses("lee.chen@contoso.com", ["smtp:lee@contoso.com"], []));
    const before = writes().length;
    const refused = stack.run(["up", "--yes", "--skip-preview"], {
      env: { [REVIEWED_PLAN.variable]: planFile },
    });
    assert.notEqual(refused.code, 0, refused.output);
    assert.match(
      refused.output,
      /mailbox "lee\.chen@contoso\.com": the reviewed plan showed no change; the tenant now needs - lee@contoso\.com/,
    );
    assert.match(refused.output, /would do what the reviewed plan .* did not show/);
    assert.equal(writes().length, before, "nothing is written");
    // A spec other than the reviewed one is refused too.
    stack.writeSpec(EXAMPLE_SPEC);
    const otherSpec = stack.run(["up", "--yes", "--skip-preview"], {
      env: { [REVIEWED_PLAN.variable]: planFile },
    });
    assert.notEqual(otherSpec.code, 0);
    assert.match(otherSpec.output, /the spec is not the one the reviewed plan was made from/);
    // Planned again and reviewed, the same change applies.
    stack.writeSpec(
      EXAMPLE_SPEC.replace("aliases: [hello@contoso.com]", "aliases: [hello@contoso.com, welcome@contoso.com]"),
    );
    const replanned = stack.cli(["plan", "--json"]).stdout;
    writeFileSync(planFile, replanned);
    const rows = (JSON.parse(replanned) as Report).mailboxes.filter((m) => m.change !== "none").map((m) => m.identity);
    assert.deepEqual(rows, ["info@contoso.com", "lee.chen@contoso.com", "priya.patel@contoso.com"]); // priya@ was the last change's
    const applied = stack.run(["up", "--yes", "--skip-preview"], {
      env: { [REVIEWED_PLAN.variable]: planFile },
    });
    assert.equal(applied.code, 0, applied.output);
    const made = writes()
      .slice(before)
      .map((w) => `${upnOf(w.recipientId)} ${JSON.stringify(effectOf(w))}`);
    assert.deepEqual(made.sort(), [
      'info@contoso.com {"added":["welcome@contoso.com"],"removed":[]}',
      'lee.chen@contoso.com {"added":[],"removed":["lee@contoso.com"]}',
      'priya.patel@contoso.com {"added":[],"removed":["priya@fabrikam.com"]}',
    ]);
  });

  it("why not Pulumi's own update plans: `up --plan` lets through a removal the reviewed preview never showed", () => {
    const spec = readFileSync(stack.specFile, "utf8");
    stack.writeSpec(
      spec.replace("aliases: [helpdesk@contoso.com, support@fabrikam.com]", "aliases: [support@fabrikam.com]"),
    );
    const pulumiPlan = path.join(stack.dir, "pulumi-plan.json");
    assert.equal(stack.run(["preview", "--save-plan", pulumiPlan]).code, 0);
    writeFileSync(path.join(stack.dir, REVIEWED_PLAN.file), stack.cli(["plan", "--json"]).stdout);
    // After the review, an admin adds an alias to the very mailbox the change updates.
    stack.withTenant((t) => t.addRemoveEmailAddresses("support@contoso.com", ["smtp:sneaky@contoso.com"], []));
    const ours = stack.run(["up", "--yes", "--skip-preview"], {
      env: { [REVIEWED_PLAN.variable]: path.join(stack.dir, REVIEWED_PLAN.file) },
    });
    assert.notEqual(ours.code, 0, "the reviewed-plan check refuses");
    assert.match(
      ours.output,
      /mailbox "support@contoso\.com": the reviewed plan showed - helpdesk@contoso\.com; the tenant now needs - helpdesk@contoso\.com; - sneaky@contoso\.com|mailbox "support@contoso\.com": the reviewed plan showed - helpdesk@contoso\.com; the tenant now needs - sneaky@contoso\.com; - helpdesk@contoso\.com/,
    );
    const theirs = stack.run(["up", "--yes", "--plan", pulumiPlan]);
    assert.equal(theirs.code, 0, "Pulumi's update plan accepts the apply");
    assert.ok(
      !stack.withTenant((t) => t.find("support@contoso.com")!.addresses).some((e) => /sneaky/i.test(e)),
      "and the unreviewed alias is gone",
    );
    stack.writeSpec(spec);
    assert.equal(stack.up().code, 0);
  });

  it("drift offers both remedies; accept rewrites the spec in place, and then nothing has drifted", () => {
    stack.writeSpec(`# our spec\n${EXAMPLE_SPEC}`);
    assert.equal(stack.up().code, 0);
    stack.withTenant((t) =>
      t.addRemoveEmailAddresses("support@contoso.com", ["smtp:help@contoso.com"], ["smtp:helpdesk@contoso.com"]),
    );
    const drift = stack.cli(["drift"]);
    assert.equal(drift.code, 2, drift.output);
    assert.match(drift.stdout, /To revert the tenant to the spec.*: pulumi up/);
    assert.match(
      drift.stdout,
      /To accept the tenant's values into the spec, then commit it: npx mailbox-addresses accept support@contoso\.com/,
    );
    const accept = stack.cli(["accept", "support@contoso.com"]);
    assert.equal(accept.code, 0, accept.output);
    assert.match(accept.stdout, /support@contoso\.com: \+ help@contoso\.com; - helpdesk@contoso\.com/);
    const text = readFileSync(stack.specFile, "utf8");
    assert.equal(
      text,
      `# our spec\n${EXAMPLE_SPEC.replace("aliases: [helpdesk@contoso.com, support@fabrikam.com]", "aliases: [support@fabrikam.com, help@contoso.com]")}`,
    );
    assert.equal(stack.cli(["drift"]).code, 0);
    const before = writes().length;
    assert.equal(stack.up().code, 0);
    assert.equal(writes().length, before, "the accepted spec matches the tenant: nothing to write");
    assert.equal(stack.cli(["accept", "nobody@contoso.com"]).code, 1);
  });

  it("releasing a mailbox reads as release: delete[retain] in the preview, release in the plan, nothing written", () => {
    const current = readFileSync(stack.specFile, "utf8");
    stack.writeSpec(current.replace(/\n {2}priya\.patel@contoso\.com:\n.*\n.*\n/, "\n"));
    const preview = stack.preview();
    assert.equal(preview.code, 0, preview.output);
    assert.match(preview.output, /priya\.patel@contoso\.com +delete\[retain\]/);
    const plan = JSON.parse(stack.cli(["plan", "--json"]).stdout) as Report;
    assert.deepEqual(
      plan.mailboxes.filter((m) => m.change !== "none").map((m) => [m.identity, m.change]),
      [["priya.patel@contoso.com", "release"]],
    );
    const before = writes().length;
    const up = stack.up();
    assert.equal(up.code, 0, up.output);
    assert.equal(writes().length, before);
  });

  it("a misspelt stack setting stops pulumi preview itself, with the setting it meant", () => {
    stack.run(["config", "set", "maxConcurrancy", "8"], { check: true });
    const preview = stack.preview();
    stack.run(["config", "rm", "maxConcurrancy"], { check: true });
    assert.notEqual(preview.code, 0);
    assert.match(
      preview.output,
      /unknown setting "mailbox-addresses:maxConcurrancy" \(did you mean "maxConcurrency"\?\)/,
    );
    assert.doesNotMatch(preview.output, /\n\s+at \S/);
    assert.equal(stack.preview().code, 0);
  });
});
