// Issue 31 as a reviewer meets it: an alias added by hand outside git (rogue@ on anna.kowalski)
// and a spec change to two other mailboxes. The plan tells the pull request's own changes from
// what merging reverts, in `plan --json` (causes), `plan --markdown` (its own section first, with
// `accept` per reverted mailbox), the table and `pulumi preview --diff`; `drift` says the same,
// and `accept` keeps the hand-made change without undoing the spec's own. Real pulumi, local tenant.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { TestStack } from "../../harness/pulumi-stack";
import { parseReport as report } from "../../harness/stack-on-target";

const ANNA = "anna.kowalski@contoso.com";
const LEE = "lee.chen@contoso.com";
const MEI = "mei.tanaka@contoso.com";

const SPEC = (lee: string[], mei: string[], anna: string[] = []) => `version: 1
allowedDomains: [contoso.com, fabrikam.com]
mailboxes:
  ${ANNA}:
    primary: ${ANNA}
    aliases: [${["anna@contoso.com", ...anna].join(", ")}]
  ${LEE}:
    primary: ${LEE}
    aliases: [${lee.join(", ")}]
  ${MEI}:
    primary: ${MEI}
    aliases: [${mei.join(", ")}]
`;

describe("why each change happens (issue 31), on the local target", () => {
  let stack: TestStack;
  before(() => {
    stack = new TestStack("causes-local");
    stack.seedTenant();
  });
  after(() => stack?.dispose());

  it("rogue@ added by hand and a spec change to two other mailboxes: JSON causes, Markdown sections, table, preview --diff", () => {
    // The state's record: the spec applied once.
    stack.writeSpec(SPEC(["lchen@contoso.com"], ["mtanaka@contoso.com"]));
    const first = stack.up();
    assert.equal(first.code, 0, first.output);
    // Outside git: someone adds rogue@ to anna by hand. In git: aliases for lee and mei.
    const handEdit = stack.withTenant((t) => {
      t.addRemoveEmailAddresses(ANNA, ["smtp:rogue@contoso.com"], []);
      return t.writes(t.find(ANNA)!.id).at(-1)!.at;
    });
    stack.writeSpec(SPEC(["lchen@contoso.com", "lee@contoso.com"], ["mtanaka@contoso.com", "mei@contoso.com"]));

    const json = stack.cli(["plan", "--json"]);
    assert.equal(json.code, 2, json.output);
    const plan = report(json.stdout);
    assert.equal(plan.formatVersion, "1.4");
    const causes = Object.fromEntries(
      plan.mailboxes.filter((m) => m.change !== "none").map((m) => [m.identity, m.causes]),
    );
    assert.deepEqual(causes, {
      // When: the local tenant's write log tells the hand edit's time.
      [ANNA]: [{ address: "rogue@contoso.com", change: "remove", cause: "drift", changedAt: handEdit }],
      [LEE]: [{ address: "lee@contoso.com", change: "add", cause: "spec", since: "last-apply" }],
      [MEI]: [{ address: "mei@contoso.com", change: "add", cause: "spec", since: "last-apply" }],
    });

    const markdown = stack.cli(["plan", "--markdown"]).stdout;
    const outside = markdown.indexOf("#### Changed outside git: merging reverts these");
    const own = markdown.indexOf("<summary>This pull request's own changes</summary>");
    assert.ok(outside > 0 && own > outside, markdown);
    assert.match(
      markdown,
      /- `anna\.kowalski@contoso\.com`: `- rogue@contoso\.com` \(added outside git \(last changed [0-9T:.-]+Z\); merging removes it\)\. Keep it instead: `npx mailbox-addresses accept anna\.kowalski@contoso\.com`/,
    );
    assert.doesNotMatch(markdown.slice(own), /rogue@|anna\.kowalski/);
    assert.match(
      markdown.slice(own),
      /`lee\.chen@contoso\.com` \| update \| {2}\| `lee@contoso\.com` \| {2}\| cause: the spec \(changed since the last apply\) \|/,
    );
    assert.match(markdown.slice(own), /`mei\.tanaka@contoso\.com` \| update \|/);

    const table = stack.cli(["plan"]).stdout;
    assert.match(table, /1 change reverts a change made outside git \(on 1 mailbox\)/);
    assert.match(
      table,
      /anna\.kowalski@contoso\.com +update +-rogue@contoso\.com\n {4}cause: changed outside git, merging reverts: - rogue@contoso\.com \(added outside git \(last changed [0-9T:.-]+Z\); merging removes it\); keep it instead: npx mailbox-addresses accept anna\.kowalski@contoso\.com/,
    );
    assert.match(
      table,
      /lee\.chen@contoso\.com +update +\+lee@contoso\.com\n {4}cause: the spec \(changed since the last apply\): \+ lee@contoso\.com/,
    );

    const diff = stack.preview("--diff");
    assert.equal(diff.code, 0, diff.output);
    assert.match(
      diff.output,
      /anna\.kowalski@contoso\.com: live tenant → spec: - rogue@contoso\.com \([^)]*\) \[why: changed outside git, merging reverts: - rogue@contoso\.com \(added outside git \(last changed [0-9T:.-]+Z\); merging removes it\); keep it instead: npx mailbox-addresses accept anna\.kowalski@contoso\.com\]/,
    );
    assert.match(
      diff.output,
      /lee\.chen@contoso\.com: live tenant → spec: \+ lee@contoso\.com \[why: the spec \(changed since the last apply\): \+ lee@contoso\.com\]/,
    );
  });

  it("drift gives the same causes, and names only anna for accept; accept keeps rogue@ and the spec's own change", () => {
    const drift = report(stack.cli(["drift", "--json"]).stdout);
    const causes = Object.fromEntries(
      drift.mailboxes
        .filter((m) => m.change === "drift")
        .map((m) => [m.identity, m.causes?.map((c) => [c.address, c.cause])]),
    );
    assert.deepEqual(causes, {
      [ANNA]: [["rogue@contoso.com", "drift"]],
      [LEE]: [["lee@contoso.com", "spec"]],
      [MEI]: [["mei@contoso.com", "spec"]],
    });
    assert.match(
      stack.cli(["drift"]).stdout,
      /To accept the tenant's values into the spec, then commit it: npx mailbox-addresses accept anna\.kowalski@contoso\.com\n/,
    );

    // Accepting lee keeps the spec's own alias (not yet applied) instead of dropping it.
    const keepLee = stack.cli(["accept", LEE]);
    assert.equal(keepLee.code, 0, keepLee.output);
    assert.match(
      keepLee.stdout,
      /lee\.chen@contoso\.com: \+ lee@contoso\.com kept \(the spec \(changed since the last apply\); `pulumi up` applies it\)/,
    );
    const acceptAnna = stack.cli(["accept", ANNA]);
    assert.equal(acceptAnna.code, 0, acceptAnna.output);
    assert.match(acceptAnna.stdout, /anna\.kowalski@contoso\.com: \+ rogue@contoso\.com/);
    assert.match(stack.cli(["plan", "--json"]).stdout, /"formatVersion"/);
    const after = report(stack.cli(["plan", "--json"]).stdout);
    assert.deepEqual(
      after.mailboxes
        .filter((m) => m.change !== "none")
        .map((m) => m.identity)
        .sort(),
      [LEE, MEI],
    );
    const up = stack.up();
    assert.equal(up.code, 0, up.output);
    const held = stack.withTenant((t) => [ANNA, LEE].map((id) => t.find(id)!.addresses));
    assert.ok(held[0]!.includes("smtp:rogue@contoso.com"), JSON.stringify(held));
    assert.ok(held[1]!.includes("smtp:lee@contoso.com"), JSON.stringify(held));
    assert.equal(stack.preview("--expect-no-changes").code, 0);
  });
});
