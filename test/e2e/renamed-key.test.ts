// Issue 24, "A renamed key's release is never shown": the spec changes a mailbox's sign-in name
// (keyed by its object id, as the tool asks), then keys it by the new one. The old key's release
// must show in `plan` (its row and the released count), and a second rename must not list a stale
// key as `change: none`. Real pulumi, on the local tenant and the emulator.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parseReport as report, stackOnTarget, type StackOnTarget } from "../../harness/stack-on-target";
import type { TestStack } from "../../harness/pulumi-stack";

const ANNA = "anna.kowalski@contoso.com";

function defineRenameTests(title: string, makeTarget: () => Promise<StackOnTarget>): void {
  describe(`a key renamed to the mailbox's new UPN: the old key's release is shown (issue 24), ${title}`, () => {
    let target: StackOnTarget;
    let stack: TestStack;
    let id = "";
    before(async () => {
      target = await makeTarget();
      stack = target.stack;
      id = target.withTenant((t) => t.find(ANNA)!.id);
    });
    after(() => target?.dispose());

    const entry = (key: string, primary: string, upn?: string) =>
      `version: 1\nallowedDomains: [contoso.com]\nmailboxes:\n  ${key}:\n    primary: ${primary}\n${upn ? `    userPrincipalName: ${upn}\n` : ""}`;
    const keys = () =>
      (stack.state().checkpoint.latest?.resources ?? [])
        .filter((r) => r.type.includes("MailboxAddresses"))
        .map((r) => decodeURIComponent(r.urn.slice(r.urn.lastIndexOf("::") + 2)))
        .sort();

    /** Changes the UPN (keyed by object id), then keys the entry by the new UPN: plan shows the old key's release. */
    function rename(to: string): void {
      stack.writeSpec(entry(id, to, to));
      const up = stack.up();
      assert.equal(up.code, 0, up.output);
      assert.equal(
        target.withTenant((t) => t.find(id)?.upn),
        to,
      );
      assert.deepEqual(keys(), [id]);
      stack.writeSpec(entry(to, to));
      const plan = report(stack.cli(["plan", "--json"]).stdout);
      assert.equal(plan.summary.released, 1, JSON.stringify(plan));
      assert.deepEqual(
        plan.mailboxes.map((m) => [m.identity, m.change]).sort(),
        [
          [id, "release"],
          [to, "adopt"],
        ].sort(),
      );
      assert.match(stack.cli(["plan"]).stdout, /1 released \(left as they are\)/);
      const applied = stack.up();
      assert.equal(applied.code, 0, applied.output);
      assert.deepEqual(keys(), [to]);
      // Released: nothing written, the mailbox stays as it is.
      assert.equal(
        target.withTenant((t) => t.find(to)?.id),
        id,
      );
    }

    it("first rename: released 1, the old key's row says release; the state keeps only the new key", () => {
      stack.writeSpec(entry(id, ANNA));
      const adopted = stack.up();
      assert.equal(adopted.code, 0, adopted.output);
      rename("anna.k@contoso.com");
    });

    it("second rename: the stale key is released, never listed as change: none", () => {
      rename("anna.kw@contoso.com");
      const plan = report(stack.cli(["plan", "--json"]).stdout);
      assert.deepEqual(
        plan.mailboxes.map((m) => [m.identity, m.change]),
        [["anna.kw@contoso.com", "none"]],
      );
      assert.equal(stack.preview("--expect-no-changes").code, 0);
    });
  });
}

defineRenameTests("on the local target", () => stackOnTarget("local", "rename"));

defineRenameTests("on the emulator (exchange-online target)", () => stackOnTarget("emulator", "rename"));
