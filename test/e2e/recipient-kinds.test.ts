// Every recipient kind end to end (issue 17), on both targets with the real pulumi binary: a spec
// with one recipient of each kind (keys by UPN, alias, primary address and object id), addresses
// moved between every pair of kinds in one change (each recipient written once, with its own
// cmdlet), a swap between a group and a mailbox, a clean `preview --refresh --expect-no-changes`
// after each `up`; `export` of the seeded tenant covers every kind and previews with zero changes.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { RECIPIENT_KINDS, ALL_RECIPIENT_KINDS, type RecipientKind } from "../../exchange/exchange-rules";
import type { TestStack } from "../../harness/pulumi-stack";
import { parseReport as report, stackOnTarget, type StackOnTarget } from "../../harness/stack-on-target";

interface Target extends StackOnTarget {
  /** Exchange cmdlet counters (the emulator), or undefined (the local target has none). */
  counters(): Promise<Record<string, number> | undefined>;
}

/** A stack on `target`, with the emulator's counters read and reset at each call. */
async function kindsTarget(target: "local" | "emulator"): Promise<Target> {
  const on = await stackOnTarget(target, "kinds");
  const emulator = on.emulator;
  return {
    ...on,
    counters: async () => {
      if (emulator === undefined) return undefined;
      const counters = await emulator.counters();
      await emulator.resetCounters();
      return counters;
    },
  };
}

/** One recipient of each kind from the seed, in the order addresses move (lower to higher: no cycle). */
const RECIPIENTS: readonly {
  kind: RecipientKind;
  key: string;
  id: string;
  primary: string;
  aliases: string[];
  external?: string;
}[] = [
  {
    kind: "UserMailbox",
    key: "mark.wilson@contoso.com",
    id: "58ad3f21-c0f1-54d9-be02-b88915ea4d1f",
    primary: "mark.wilson@contoso.com",
    aliases: ["mwilson@contoso.com"],
  },
  {
    kind: "SharedMailbox",
    key: "sales@contoso.com",
    id: "e1887e24-0e45-5c19-8327-7e1ea27d74dc",
    primary: "sales@contoso.com",
    aliases: ["orders@contoso.com", "quotes@contoso.com"],
  },
  {
    kind: "RoomMailbox",
    key: "boardroom@contoso.com",
    id: "cf7e3664-c70d-54f7-84fa-202c5a045239",
    primary: "boardroom@contoso.com",
    aliases: [],
  },
  {
    kind: "EquipmentMailbox",
    key: "projector1@contoso.com",
    id: "1708b186-7060-5c07-a8cb-4c9f825836b3",
    primary: "projector1@contoso.com",
    aliases: [],
  },
  // By alias, as Exchange resolves -Identity.
  {
    kind: "MailUniversalDistributionGroup",
    key: "marketing",
    id: "0fd310c3-0638-59ef-98ed-bbff211eda31",
    primary: "marketing@contoso.com",
    aliases: [],
  },
  // By primary address.
  {
    kind: "MailUniversalSecurityGroup",
    key: "finance-approvers@contoso.com",
    id: "9929913b-19ed-5228-b573-c15341bef091",
    primary: "finance-approvers@contoso.com",
    aliases: [],
  },
  {
    kind: "GroupMailbox",
    key: "5cfaed8d-398d-50ca-ad53-2892577dccb6",
    id: "5cfaed8d-398d-50ca-ad53-2892577dccb6",
    primary: "phoenix@contoso.com",
    aliases: [],
  },
  {
    kind: "DynamicDistributionGroup",
    key: "1137573a-2ba7-51b3-b5df-233172a18ae3",
    id: "1137573a-2ba7-51b3-b5df-233172a18ae3",
    primary: "everyone@contoso.com",
    aliases: [],
  },
  {
    kind: "MailUser",
    key: "dana.whitfield@contoso.com",
    id: "f5950370-170f-5710-8d11-6d7e30f78b13",
    primary: "dana.whitfield@contoso.com",
    aliases: [],
    external: "dana@consulting.example",
  },
  {
    kind: "MailContact",
    key: "ea80995e-6515-588c-a1d2-49c78ab6f97b",
    id: "ea80995e-6515-588c-a1d2-49c78ab6f97b",
    primary: "support@litware.example",
    aliases: ["litware-support@contoso.com"],
    external: "support@litware.example",
  },
];

/** The address that moves from kind i to kind j (i < j): held by i after step one, by j after step two. */
const moved = (i: number, j: number) => `move-${i}-${j}@contoso.com`;

/** The spec: `holder(i, j)` says which end of each pair holds its address; `extra` adds aliases per index. */
function specText(holder: (i: number, j: number) => number, extra: (i: number) => string[] = () => []): string {
  const lines = ["version: 1", "allowedDomains: [contoso.com, fabrikam.com]", "mailboxes:"];
  RECIPIENTS.forEach((r, index) => {
    const aliases = [...r.aliases, ...extra(index)];
    for (let i = 0; i < RECIPIENTS.length; i++)
      for (let j = i + 1; j < RECIPIENTS.length; j++) if (holder(i, j) === index) aliases.push(moved(i, j));
    lines.push(
      `  ${JSON.stringify(r.key)}:`,
      `    kind: ${r.kind}`,
      ...(r.external ? [`    externalEmailAddress: ${r.external}`] : []),
      `    primary: ${r.primary}`,
    );
    if (aliases.length > 0) lines.push("    aliases:", ...aliases.map((a) => `      - ${a}`));
  });
  return `${lines.join("\n")}\n`;
}

/** Writes since `seq`, per recipient id: their operations. */
function writesSince(target: Target, seq: number): Map<string, string[]> {
  const byRecipient = new Map<string, string[]>();
  for (const w of target.withTenant((t) => t.writes()).filter((w) => w.seq > seq))
    byRecipient.set(w.recipientId, [...(byRecipient.get(w.recipientId) ?? []), w.operation]);
  return byRecipient;
}
const lastSeq = (target: Target) => target.withTenant((t) => t.writes().at(-1)?.seq ?? 0);

function defineKindTests(title: string, makeTarget: () => Promise<Target>): void {
  describe(title, () => {
    let target: Target;
    let stack: TestStack;
    before(async () => {
      target = await makeTarget();
      stack = target.stack;
    });
    after(() => target?.dispose());

    it("export of the seeded tenant covers every kind and previews with zero changes", () => {
      const exported = stack.cli(["export"]);
      assert.equal(exported.code, 0, exported.output);
      for (const kind of ALL_RECIPIENT_KINDS.filter((k) => k !== "UserMailbox"))
        assert.match(exported.stdout, new RegExp(`\\n    kind: ${kind}\\n`), kind);
      assert.match(exported.stdout, /\n {4}externalEmailAddress: dana@consulting\.example\n/);
      // --type filters by RecipientTypeDetails.
      const groups = stack.cli(["export", "--type", "GroupMailbox"]);
      assert.equal((groups.stdout.match(/\n {4}kind: GroupMailbox\n/g) ?? []).length, 2, groups.output);
      assert.doesNotMatch(groups.stdout, /kind: (SharedMailbox|MailContact)/);
      stack.writeSpec(exported.stdout);
      const plan = stack.cli(["plan", "--json"]);
      assert.equal(plan.code, 2, plan.output); // adopts every recipient...
      const adopted = report(plan.stdout);
      assert.equal(adopted.summary.changed, 0, plan.stdout); // ...and writes none
      assert.equal(adopted.summary.problems, 0, plan.stdout);
      assert.deepEqual(new Set(adopted.mailboxes.map((m) => m.kind)), new Set(ALL_RECIPIENT_KINDS));
      const seq = lastSeq(target);
      const up = stack.up();
      assert.equal(up.code, 0, up.output);
      assert.equal(writesSince(target, seq).size, 0);
      const clean = stack.preview("--refresh", "--expect-no-changes");
      assert.equal(clean.code, 0, clean.output);
      const drift = stack.cli(["drift", "--json", "--type", "MailContact"]);
      assert.equal(drift.code, 0, drift.output);
      assert.ok(
        report(drift.stdout).mailboxes.length >= 2 &&
          report(drift.stdout).mailboxes.every((m) => m.kind === "MailContact"),
      );
      // Released again: the next tests start from their own spec.
      stack.writeSpec("version: 1\nallowedDomains: [contoso.com]\nmailboxes: {}\n");
      assert.equal(stack.up().code, 0);
    });

    it("one recipient of each kind: addresses given out, then moved between every pair of kinds in one up, one write each with the kind's cmdlet", async () => {
      // Step 1: the lower kind of each pair holds its address.
      stack.writeSpec(specText((i) => i));
      let seq = lastSeq(target);
      const first = stack.up();
      assert.equal(first.code, 0, first.output);
      const givers = writesSince(target, seq);
      for (const [index, r] of RECIPIENTS.entries()) {
        const operations = givers.get(r.id) ?? [];
        // Every kind but the last gives out at least one address: one write each.
        assert.equal(operations.length, index < RECIPIENTS.length - 1 ? 1 : 0, `${r.kind}: ${operations.join(", ")}`);
        for (const op of operations)
          assert.ok(op.startsWith(`${RECIPIENT_KINDS[r.kind].setCmdlet} `), `${r.kind} written with ${op}`);
      }
      const clean1 = stack.preview("--refresh", "--expect-no-changes");
      assert.equal(clean1.code, 0, clean1.output);

      // Step 2: every address moves to the higher kind of its pair (45 moves), in one up.
      stack.writeSpec(specText((_i, j) => j));
      const plan = stack.cli(["plan", "--json"]);
      assert.equal(plan.code, 2, plan.output);
      const planned = report(plan.stdout);
      assert.equal(planned.summary.changed, RECIPIENTS.length);
      for (const r of RECIPIENTS)
        assert.equal(planned.mailboxes.find((m) => m.identity === r.key)?.kind, r.kind, r.key);
      const groupsOnly = report(stack.cli(["plan", "--json", "--type", "GroupMailbox"]).stdout);
      assert.deepEqual(
        groupsOnly.mailboxes.map((m) => m.identity),
        [RECIPIENTS[6]!.key],
      );
      seq = lastSeq(target);
      await target.counters(); // (the emulator's counters are reset below)
      const second = stack.up();
      assert.equal(second.code, 0, second.output);
      const counters = await target.counters();
      if (counters !== undefined) {
        // The emulator: one applied Set- command per recipient, each kind's own (Set-DistributionGroup
        // with -BypassSecurityGroupManagerCheck, or it would have been refused).
        const expected = new Map<string, number>();
        for (const r of RECIPIENTS)
          expected.set(RECIPIENT_KINDS[r.kind].setCmdlet, (expected.get(RECIPIENT_KINDS[r.kind].setCmdlet) ?? 0) + 1);
        for (const [cmdlet, n] of expected) {
          assert.equal(
            counters[`exchange.${cmdlet}.applied`] ?? 0,
            n,
            `${cmdlet} applied: ${JSON.stringify(counters)}`,
          );
          assert.equal(counters[`exchange.${cmdlet}`] ?? 0, n, `${cmdlet} sent: ${JSON.stringify(counters)}`);
        }
      }
      const moves = writesSince(target, seq);
      for (const r of RECIPIENTS) {
        const operations = moves.get(r.id) ?? [];
        assert.equal(operations.length, 1, `${r.kind}: exactly one write, got ${operations.join(", ")}`);
        assert.ok(
          operations[0]!.startsWith(`${RECIPIENT_KINDS[r.kind].setCmdlet} -EmailAddresses @{Add;Remove}`),
          operations[0],
        );
      }
      target.withTenant((t) => {
        for (let i = 0; i < RECIPIENTS.length; i++)
          for (let j = i + 1; j < RECIPIENTS.length; j++)
            assert.equal(
              t.ownerOf(moved(i, j))?.id,
              RECIPIENTS[j]!.id,
              `${moved(i, j)} is held by ${RECIPIENTS[j]!.kind}`,
            );
        // The external addresses were never touched.
        assert.equal(t.find(RECIPIENTS[8]!.id)?.externalEmailAddress, "dana@consulting.example");
        assert.equal(t.find(RECIPIENTS[9]!.id)?.externalEmailAddress, "support@litware.example");
      });
      const clean2 = stack.preview("--refresh", "--expect-no-changes");
      assert.equal(clean2.code, 0, clean2.output);
    });

    it("a swap between a group and a mailbox, and a user's address given to a shared mailbox, converge in one up", () => {
      const swap = (index: number): string[] => {
        if (index === 0) return ["campaigns@contoso.com"]; // the user mailbox takes the group's alias...
        if (index === 4) return ["mwilson-old@contoso.com"]; // ...and the group the user's
        return [];
      };
      stack.writeSpec(
        specText(
          (_i, j) => j,
          (index) => (index === 0 ? ["mwilson-old@contoso.com"] : index === 4 ? ["campaigns@contoso.com"] : []),
        ),
      );
      assert.equal(stack.up().code, 0);
      // The swap, and mwilson@contoso.com from the user to the shared mailbox, in one change.
      const text = specText((_i, j) => j, swap)
        .replace("    aliases:\n      - mwilson@contoso.com\n", "    aliases:\n")
        .replace("      - orders@contoso.com\n", "      - orders@contoso.com\n      - mwilson@contoso.com\n");
      stack.writeSpec(text);
      const up = stack.up();
      assert.equal(up.code, 0, up.output);
      target.withTenant((t) => {
        assert.equal(t.ownerOf("campaigns@contoso.com")?.id, RECIPIENTS[0]!.id);
        assert.equal(t.ownerOf("mwilson-old@contoso.com")?.id, RECIPIENTS[4]!.id);
        assert.equal(t.ownerOf("mwilson@contoso.com")?.id, RECIPIENTS[1]!.id);
      });
      const clean = stack.preview("--refresh", "--expect-no-changes");
      assert.equal(clean.code, 0, clean.output);
    });

    it("what a kind refuses is an error at preview, positioned and naming the kind; drift agrees", () => {
      // The mail contact's external address dropped from its list.
      stack.writeSpec(
        specText((_i, j) => j)
          .replace("    primary: support@litware.example\n", "    primary: litware-support@contoso.com\n")
          .replace("      - litware-support@contoso.com\n", ""),
      );
      const preview = stack.preview();
      assert.notEqual(preview.code, 0);
      assert.match(
        preview.output,
        /mailboxes\.yaml:\d+:3: .*external email address \(ExternalEmailAddress\) of the mail contact "Litware Support Desk"/,
      );
      const drift = stack.cli(["drift"]);
      assert.equal(drift.code, 1, drift.output);
      // An address a Microsoft 365 group outside the spec holds: found by the owner lookup (every kind asked for).
      stack.writeSpec(
        specText(
          (_i, j) => j,
          (index) => (index === 0 ? ["allstaff@contoso.com"] : []),
        ),
      );
      const taken = stack.preview();
      assert.notEqual(taken.code, 0);
      assert.match(
        taken.output,
        /mailboxes\.yaml:\d+:\d+: mailboxes\["mark\.wilson@contoso\.com"\]\.aliases\[\d+\]: alias "allstaff@contoso\.com" already belongs to Microsoft 365 group "All Staff"/,
      );
      // A key of another kind than its `kind`.
      stack.writeSpec(specText((_i, j) => j).replace("    kind: SharedMailbox\n", "    kind: RoomMailbox\n"));
      const wrongKind = stack.preview();
      assert.notEqual(wrongKind.code, 0);
      assert.match(
        wrongKind.output,
        /mailboxes\.yaml:\d+:11: .*"sales@contoso\.com" is shared mailbox "Sales" \(SharedMailbox\), not a room mailbox \(RoomMailbox\)/,
      );
    });
  });
}

defineKindTests("every recipient kind on the local target", () => kindsTarget("local"));

defineKindTests("every recipient kind on the emulator (exchange-online target)", () => kindsTarget("emulator"));
