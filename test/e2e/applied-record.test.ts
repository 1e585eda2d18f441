// What the stack last applied stays apart from what a refresh read (issue 31's last limit). An alias
// added by hand in the tenant is "changed outside git" in `plan`, `pulumi preview --diff` and
// `drift`, and `accept` keeps it as the admin's, also after a refresh wrote the tenant into the
// state: an `apply --plan` refused because the reviewed plan is stale (its refresh is saved), and a
// standalone `pulumi refresh --yes`. A state from the previous release, without the `applied`
// output, behaves as it did. Real pulumi, local tenant.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import Ajv2020 from "ajv/dist/2020";
import schema from "../../schemas/report.schema.json";
import type { Report } from "../../core/report/report";
import { TestStack } from "../../harness/pulumi-stack";
import { stackFromPreviousRelease } from "../../harness/previous-release";
import { RUN_CHANNEL } from "../../runtime/run-channel";

const validateReport = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
const RESOURCE_TYPE = "pulumi-nodejs:dynamic/mailbox:MailboxAddresses";

function report(text: string): Report {
  const parsed = JSON.parse(text);
  assert.ok(validateReport(parsed), JSON.stringify(validateReport.errors));
  return parsed as unknown as Report;
}

/** identity → [address, change, cause] of each changed mailbox. */
function causesIn(r: Report): Record<string, [string, string, string][]> {
  return Object.fromEntries(
    r.mailboxes
      .filter((m) => m.change !== "none")
      .map((m) => [
        m.identity,
        (m.causes ?? []).map((c) => [c.address, c.change, c.cause] as [string, string, string]),
      ]),
  );
}

/**
 * identity → { live: the list the outputs hold (addresses, kept: what the last refresh or write
 * read), applied: what the stack last applied (the `applied` output, absent while it is the live
 * list), stored: the `applied` output itself } of the stack's state.
 */
function outputsOf(
  stack: TestStack,
): Record<string, { live: string[]; applied: string[]; stored: string[] | undefined }> {
  const resources = (stack.state().checkpoint.latest?.resources ?? []).filter((r) => r.type === RESOURCE_TYPE);
  return Object.fromEntries(
    resources.map((r) => {
      const out = r.outputs as {
        identity: string;
        addresses: Record<string, string>;
        kept: Record<string, string>;
        applied?: string[];
      };
      const live = [...Object.values(out.addresses), ...Object.values(out.kept)];
      return [out.identity, { live, applied: out.applied ?? live, stored: out.applied }];
    }),
  );
}

const ANNA = "anna.kowalski@contoso.com";
const LEE = "lee.chen@contoso.com";
const ROGUE = "smtp:rogue@contoso.com";

const SPEC = (lee: string[], anna: string[] = []) => `version: 1
allowedDomains: [contoso.com, fabrikam.com]
mailboxes:
  ${ANNA}:
    primary: ${ANNA}
    aliases: [${["anna@contoso.com", ...anna].join(", ")}]
  ${LEE}:
    primary: ${LEE}
    aliases: [${lee.join(", ")}]
`;

describe("the last applied list stays apart from what refresh reads, on the local target", () => {
  let stack: TestStack;
  let planFile: string;
  const annaWrites = () => stack.withTenant((t) => t.writes(t.find(ANNA)!.id).length);
  /** When rogue@ was added by hand, from the local tenant's write log. */
  let handEdit = "";

  before(() => {
    stack = new TestStack("applied");
    stack.seedTenant();
    planFile = path.join(stack.dir, RUN_CHANNEL.reviewedPlan.file);
  });
  after(() => stack?.dispose());

  /** What plan (JSON, Markdown, table), preview --diff and drift say once rogue@ was added to anna by hand and lee@ to lee in the spec. */
  function assertHandEditIsOutsideGit(): void {
    const plan = report(stack.cli(["plan", "--json"]).stdout);
    assert.deepEqual(causesIn(plan), {
      [ANNA]: [["rogue@contoso.com", "remove", "drift"]],
      [LEE]: [["lee@contoso.com", "add", "spec"]],
    });
    // When: the local tenant's write log tells the hand edit's time.
    assert.equal(plan.mailboxes.find((m) => m.identity === ANNA)?.causes?.[0]?.changedAt, handEdit);
    const WHEN = String.raw` \(last changed ${handEdit.replaceAll(".", "\\.")}\)`;
    const markdown = stack.cli(["plan", "--markdown"]).stdout;
    const outside = markdown.indexOf("#### Changed outside git: merging reverts these");
    const own = markdown.indexOf("<summary>This pull request's own changes</summary>");
    assert.ok(outside > 0 && own > outside, markdown);
    assert.match(
      markdown.slice(outside, own),
      new RegExp(
        String.raw`\`anna\.kowalski@contoso\.com\`: \`- rogue@contoso\.com\` \(added outside git${WHEN}; merging removes it\)\. Keep it instead: \`npx mailbox-addresses accept anna\.kowalski@contoso\.com\``,
      ),
    );
    assert.doesNotMatch(markdown.slice(own), /rogue@/);
    assert.match(stack.cli(["plan"]).stdout, /1 change reverts a change made outside git \(on 1 mailbox\)/);

    const diff = stack.preview("--diff");
    assert.equal(diff.code, 0, diff.output);
    assert.match(
      diff.output,
      new RegExp(
        String.raw`anna\.kowalski@contoso\.com: live tenant → spec: - rogue@contoso\.com \([^)]*\) \[why: changed outside git, merging reverts: - rogue@contoso\.com \(added outside git${WHEN}; merging removes it\)`,
      ),
    );
    assert.match(
      diff.output,
      /lee\.chen@contoso\.com: live tenant → spec: \+ lee@contoso\.com \[why: the spec \(changed since the last apply\): \+ lee@contoso\.com\]/,
    );

    const drift = stack.cli(["drift", "--json"]);
    assert.equal(drift.code, 2, drift.output);
    const found = report(drift.stdout);
    assert.deepEqual(
      Object.fromEntries(
        found.mailboxes
          .filter((m) => m.change === "drift")
          .map((m) => [m.identity, m.causes?.map((c) => [c.address, c.cause])]),
      ),
      {
        [ANNA]: [["rogue@contoso.com", "drift"]],
        [LEE]: [["lee@contoso.com", "spec"]],
      },
    );
    assert.equal(found.mailboxes.find((m) => m.identity === ANNA)?.causes?.[0]?.changedAt, handEdit);
    assert.match(
      stack.cli(["drift"]).stdout,
      /To accept the tenant's values into the spec, then commit it: npx mailbox-addresses accept anna\.kowalski@contoso\.com\n/,
    );
  }

  it("an up records what it applied as `applied`, the live list as it left it (so not written twice)", () => {
    stack.writeSpec(SPEC(["lchen@contoso.com"]));
    const up = stack.up();
    assert.equal(up.code, 0, up.output);
    const outputs = outputsOf(stack);
    for (const identity of [ANNA, LEE]) {
      const held = stack.withTenant((t) => t.find(identity)!.addresses);
      assert.deepEqual([...outputs[identity]!.applied].sort(), [...held].sort(), identity);
      assert.equal(outputs[identity]!.stored, undefined, `${identity}: the live list is what was applied`);
    }
  });

  it("a hand edit, then an `apply --plan` refused as stale: the refresh saved rogue@ as live, not as applied; plan, preview --diff and drift say outside git", () => {
    stack.writeSpec(SPEC(["lchen@contoso.com", "lee@contoso.com"]));
    const saved = stack.cli(["plan", "--save", planFile]);
    assert.equal(saved.code, 2, saved.output);
    // After the review, an admin adds rogue@ to anna in the tenant.
    handEdit = stack.withTenant((t) => {
      t.addRemoveEmailAddresses(ANNA, [ROGUE], []);
      return t.writes(t.find(ANNA)!.id).at(-1)!.at;
    });
    const writesBefore = stack.withTenant((t) => t.writes().length);
    const refused = stack.cli(["apply", "--plan", planFile]);
    assert.equal(refused.code, 1, refused.output);
    assert.match(
      refused.output,
      /mailbox "anna\.kowalski@contoso\.com": the reviewed plan showed no change; the tenant now needs - rogue@contoso\.com/,
    );
    assert.equal(
      stack.withTenant((t) => t.writes().length),
      writesBefore,
      "the refused apply writes nothing",
    );
    assert.ok(stack.withTenant((t) => t.find(ANNA)!.addresses).includes(ROGUE));

    // The refresh of the refused run was saved: the live set has rogue@, what was applied has not.
    const anna = outputsOf(stack)[ANNA]!;
    assert.ok(anna.live.includes(ROGUE), JSON.stringify(anna));
    assert.ok(!anna.applied.includes(ROGUE), JSON.stringify(anna));
    assert.ok(anna.stored !== undefined, "recorded: it is not the live list");
    assertHandEditIsOutsideGit();
  });

  it("a standalone `pulumi refresh --yes` keeps it so", () => {
    const refresh = stack.run(["refresh", "--yes", "--skip-preview"]);
    assert.equal(refresh.code, 0, refresh.output);
    const anna = outputsOf(stack)[ANNA]!;
    assert.ok(anna.live.includes(ROGUE) && !anna.applied.includes(ROGUE), JSON.stringify(anna));
    assertHandEditIsOutsideGit();
  });

  it("accept keeps rogue@ as the admin's and lee@ as the spec's; the up then writes lee only, and the record follows the spec", () => {
    const accept = stack.cli(["accept", ANNA, LEE]);
    assert.equal(accept.code, 0, accept.output);
    assert.match(
      accept.stdout,
      /lee\.chen@contoso\.com: \+ lee@contoso\.com kept \(the spec \(changed since the last apply\); `pulumi up` applies it\)/,
    );
    assert.match(accept.stdout, /anna\.kowalski@contoso\.com: \+ rogue@contoso\.com/);
    assert.match(readFileSync(stack.specFile, "utf8"), /aliases: \[anna@contoso\.com, rogue@contoso\.com\]/);
    const plan = report(stack.cli(["plan", "--json"]).stdout);
    assert.deepEqual(causesIn(plan), { [LEE]: [["lee@contoso.com", "add", "spec"]] });

    const before = annaWrites();
    const up = stack.up();
    assert.equal(up.code, 0, up.output);
    assert.equal(annaWrites(), before, "anna is not written: the tenant has what the spec now says");
    stack.withTenant((t) => {
      assert.ok(t.find(ANNA)!.addresses.includes(ROGUE));
      assert.ok(t.find(LEE)!.addresses.includes("smtp:lee@contoso.com"));
    });
    // The up's refresh found anna as the accepted spec asks: that is now what the stack applied.
    assert.ok(outputsOf(stack)[ANNA]!.applied.includes(ROGUE));
    assert.equal(stack.preview("--expect-no-changes").code, 0);

    // So a later removal of rogue@ by hand is the tenant's change, which merging reverts.
    stack.withTenant((t) => t.addRemoveEmailAddresses(ANNA, [], [ROGUE]));
    assert.deepEqual(causesIn(report(stack.cli(["plan", "--json"]).stdout)), {
      [ANNA]: [["rogue@contoso.com", "add", "drift"]],
    });
  });
});

describe("a state from the previous release (no `applied` output) behaves as it did", () => {
  let stack: TestStack;

  before(() => {
    stack = stackFromPreviousRelease("applied-v01");
  });
  after(() => stack?.dispose());

  it("its recorded live set is the record: a hand edit is outside git in drift and plan; the first refresh keeps that record as `applied`", () => {
    const imported = outputsOf(stack);
    assert.deepEqual(Object.keys(imported).sort(), [ANNA, LEE, "mark.wilson@contoso.com", "sales@contoso.com"]);
    for (const o of Object.values(imported)) assert.equal(o.stored, undefined);
    stack.withTenant((t) => t.addRemoveEmailAddresses(LEE, [ROGUE], []));

    const drift = report(stack.cli(["drift", "--json"]).stdout);
    assert.deepEqual(
      drift.mailboxes
        .filter((m) => m.change === "drift")
        .map((m) => [m.identity, m.causes?.map((c) => [c.address, c.cause])]),
      [[LEE, [["rogue@contoso.com", "drift"]]]],
    );
    assert.deepEqual(causesIn(report(stack.cli(["plan", "--json"]).stdout)), {
      [LEE]: [["rogue@contoso.com", "remove", "drift"]],
    });

    const refresh = stack.run(["refresh", "--yes", "--skip-preview"]);
    assert.equal(refresh.code, 0, refresh.output);
    const lee = outputsOf(stack)[LEE]!;
    assert.ok(lee.live.includes(ROGUE), JSON.stringify(lee));
    assert.deepEqual([...lee.applied].sort(), [...imported[LEE]!.live].sort(), "applied: what the old state recorded");
    assert.deepEqual(causesIn(report(stack.cli(["plan", "--json"]).stdout)), {
      [LEE]: [["rogue@contoso.com", "remove", "drift"]],
    });
    const diff = stack.preview("--diff");
    assert.match(
      diff.output,
      /lee\.chen@contoso\.com: live tenant → spec: - rogue@contoso\.com \([^)]*\) \[why: changed outside git/,
    );
  });
});
