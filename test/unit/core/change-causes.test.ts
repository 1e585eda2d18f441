// The cause of every planned change (core/plan/change-causes.ts): examples for each cause, and
// properties over generated specs, records and hand edits.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { addressKey } from "../../../core/address";
import {
  acceptDrift,
  causesOf,
  causesOfPlan,
  describeCauses,
  type ChangeCause,
} from "../../../core/plan/change-causes";
import { planMailbox, type DesiredAddresses } from "../../../core/plan/plan-mailbox";

const anna: DesiredAddresses = { primary: "anna.kowalski@contoso.com", aliases: ["anna@contoso.com"], mode: "strict" };
const applied = [
  "SMTP:anna.kowalski@contoso.com",
  "smtp:anna@contoso.com",
  "smtp:anna.kowalski@contoso.onmicrosoft.com",
  "X500:/o=x/cn=anna",
];

describe("causesOf", () => {
  it("an alias added by hand is drift (merging removes it); the spec's own alias is this change", () => {
    const live = [...applied, "smtp:rogue@contoso.com"];
    const desired = { ...anna, aliases: [...anna.aliases, "kowalski@contoso.com"] };
    const causes = causesOf({
      plan: planMailbox(desired, live),
      recorded: applied,
      base: anna,
      changedAt: "2026-12-05T10:00:00Z",
    });
    assert.deepEqual(causes, [
      { address: "kowalski@contoso.com", change: "add", cause: "spec", since: "this-change" },
      { address: "rogue@contoso.com", change: "remove", cause: "drift", changedAt: "2026-12-05T10:00:00Z" },
    ]);
    assert.equal(
      describeCauses("anna.kowalski@contoso.com", causes),
      "changed outside git, merging reverts: - rogue@contoso.com (added outside git (last changed 2026-12-05T10:00:00Z); merging removes it); keep it instead: mailbox-addresses accept anna.kowalski@contoso.com; the spec (this change): + kowalski@contoso.com",
    );
  });

  it("causesOfPlan gives each mailbox's drift the time its target tells, and the spec's changes none", () => {
    const plans = new Map([
      ["anna.kowalski@contoso.com", planMailbox(anna, [...applied, "smtp:rogue@contoso.com"])],
      [
        "lee.chen@contoso.com",
        planMailbox({ primary: "lee.chen@contoso.com", aliases: ["lee@contoso.com"], mode: "strict" }, [
          "SMTP:lee.chen@contoso.com",
        ]),
      ],
    ]);
    const recorded = new Map([
      ["anna.kowalski@contoso.com", applied],
      ["lee.chen@contoso.com", ["SMTP:lee.chen@contoso.com"]],
    ]);
    const changedAt = new Map([
      ["anna.kowalski@contoso.com", "2026-12-06T07:30:00.000Z"],
      ["lee.chen@contoso.com", "2026-12-01T00:00:00.000Z"],
    ]);
    assert.deepEqual(Object.fromEntries(causesOfPlan(plans, recorded, { changedAt })), {
      "anna.kowalski@contoso.com": [
        { address: "rogue@contoso.com", change: "remove", cause: "drift", changedAt: "2026-12-06T07:30:00.000Z" },
      ],
      "lee.chen@contoso.com": [{ address: "lee@contoso.com", change: "add", cause: "spec", since: "last-apply" }],
    });
  });

  it("an alias removed by hand and a primary changed by hand are drift; the spec's removal is the spec's", () => {
    const live = ["SMTP:anna@contoso.com", "smtp:anna.kowalski@contoso.com", "smtp:old@contoso.com"];
    const recorded = [
      "SMTP:anna.kowalski@contoso.com",
      "smtp:anna@contoso.com",
      "smtp:old@contoso.com",
      "smtp:gone@contoso.com",
    ];
    const desired = {
      primary: "anna.kowalski@contoso.com",
      aliases: ["anna@contoso.com", "gone@contoso.com"],
      mode: "strict" as const,
    };
    const causes = causesOf({ plan: planMailbox(desired, live), recorded });
    assert.deepEqual(causes, [
      { address: "anna.kowalski@contoso.com", change: "primary", cause: "drift" },
      { address: "gone@contoso.com", change: "add", cause: "drift" },
      { address: "old@contoso.com", change: "remove", cause: "spec", since: "last-apply" },
    ]);
  });

  it("a move names the taker; a policy names itself; a mailbox new to the stack is adopted", () => {
    const live = ["SMTP:a@contoso.com", "smtp:shared@contoso.com"];
    const plan = planMailbox({ primary: "a@contoso.com", aliases: [], mode: "strict" }, live, {
      releaseTo: new Map([["shared@contoso.com", "b@contoso.com"]]),
    });
    assert.deepEqual(causesOf({ plan, recorded: live }), [
      { address: "shared@contoso.com", change: "remove", cause: "move", to: "b@contoso.com" },
    ]);
    const byPolicy = causesOf({
      plan: planMailbox({ primary: "a.b@contoso.com", aliases: [], mode: "strict" }, ["SMTP:a@contoso.com"]),
      recorded: ["SMTP:a@contoso.com"],
      policy: "staff",
    });
    assert.deepEqual(byPolicy, [
      { address: "a.b@contoso.com", change: "primary", cause: "policy", since: "last-apply", policy: "staff" },
      { address: "a@contoso.com", change: "remove", cause: "policy", since: "last-apply", policy: "staff" },
    ]);
    assert.deepEqual(
      causesOf({
        plan: planMailbox({ primary: "a@contoso.com", aliases: ["x@contoso.com"], mode: "strict" }, [
          "SMTP:a@contoso.com",
        ]),
      }),
      [{ address: "x@contoso.com", change: "add", cause: "spec", since: "adopt" }],
    );
  });

  it("a spec change made before the base (not applied yet) is told apart from this change", () => {
    const base = { primary: "a@contoso.com", aliases: ["early@contoso.com"] };
    const desired = {
      primary: "a@contoso.com",
      aliases: ["early@contoso.com", "now@contoso.com"],
      mode: "strict" as const,
    };
    const causes = causesOf({
      plan: planMailbox(desired, ["SMTP:a@contoso.com"]),
      recorded: ["SMTP:a@contoso.com"],
      base,
    });
    assert.deepEqual(
      causes.map((c) => [c.address, c.since]),
      [
        ["early@contoso.com", "last-apply"],
        ["now@contoso.com", "this-change"],
      ],
    );
  });
});

// Generated: a spec, the list an up left (the record), hand edits to it, and spec edits.
const local = fc.constantFrom("a", "b", "c", "d", "e", "f", "g", "h");
const address = local.map((l) => `${l}@contoso.com`);
const desiredArb = fc
  .uniqueArray(address, { minLength: 1, maxLength: 5, selector: addressKey })
  .map((list): DesiredAddresses => ({ primary: list[0]!, aliases: list.slice(1), mode: "strict" }));
const handEdits = fc.record({
  add: fc.uniqueArray(address, { maxLength: 3 }),
  remove: fc.uniqueArray(address, { maxLength: 3 }),
  primary: fc.option(address, { nil: undefined }),
});

/** The tenant after an up of `desired` (with the MOERA and an X500 the tool keeps). */
const afterUp = (desired: DesiredAddresses) =>
  planMailbox(desired, ["SMTP:x@contoso.onmicrosoft.com", "X500:/o=x/cn=y"]).final;

/** The list after someone edits it by hand outside git. */
function edited(
  list: readonly string[],
  edit: { add: string[]; remove: string[]; primary: string | undefined },
): string[] {
  const removed = new Set(edit.remove.map(addressKey));
  let out = list.filter(
    (e) => !(e.toLowerCase().startsWith("smtp:") && !e.startsWith("SMTP:") && removed.has(addressKey(e.slice(5)))),
  );
  for (const a of edit.add) if (!out.some((e) => e.toLowerCase() === `smtp:${a}`)) out.push(`smtp:${a}`);
  if (edit.primary !== undefined) {
    out = out
      .map((e) => (e.startsWith("SMTP:") ? `smtp:${e.slice(5)}` : e))
      .filter(
        (e) =>
          addressKey(e.replace(/^smtp:/i, "")) !== addressKey(edit.primary!) || !e.toLowerCase().startsWith("smtp:"),
      );
    out.unshift(`SMTP:${edit.primary}`);
  }
  return out;
}

/** How many changes a plan makes: the primary, the additions other than it, the removals (a re-case is none). */
function changeCount(plan: ReturnType<typeof planMailbox>): number {
  if (!plan.changed) return 0;
  const adds = plan.add.filter(
    (a) => !(plan.primary.changed && addressKey(a.address) === addressKey(plan.primary.to)),
  ).length;
  return (plan.primary.changed ? 1 : 0) + adds + plan.remove.length;
}

describe("causesOf (properties)", () => {
  it("every planned change has exactly one cause", () => {
    fc.assert(
      fc.property(desiredArb, desiredArb, handEdits, (before, now, edit) => {
        const recorded = afterUp(before);
        const plan = planMailbox(now, edited(recorded, edit));
        assert.equal(causesOf({ plan, recorded, base: before }).length, changeCount(plan));
      }),
    );
  });

  it("the spec unchanged since the last apply: every change is drift (changed outside git)", () => {
    fc.assert(
      fc.property(desiredArb, handEdits, (spec, edit) => {
        const recorded = afterUp(spec);
        const causes = causesOf({ plan: planMailbox(spec, edited(recorded, edit)), recorded, base: spec });
        assert.ok(
          causes.every((c) => c.cause === "drift"),
          JSON.stringify(causes),
        );
      }),
    );
  });

  it("the tenant as the last apply left it: no change is drift, and each is this change", () => {
    fc.assert(
      fc.property(desiredArb, desiredArb, (before, now) => {
        const recorded = afterUp(before);
        const causes: ChangeCause[] = causesOf({ plan: planMailbox(now, recorded), recorded, base: before });
        assert.ok(
          causes.every((c) => c.cause === "spec" && c.since === "this-change"),
          JSON.stringify(causes),
        );
      }),
    );
  });

  it("accepting the drift leaves only the spec's own changes: with none, the accepted spec plans nothing", () => {
    fc.assert(
      fc.property(desiredArb, handEdits, (spec, edit) => {
        const recorded = afterUp(spec);
        const live = edited(recorded, edit);
        const accepted = acceptDrift(spec, causesOf({ plan: planMailbox(spec, live), recorded }), live);
        assert.equal(
          planMailbox({ ...accepted, mode: "strict" }, live).changed,
          false,
          JSON.stringify({ accepted, live }),
        );
      }),
    );
  });

  it("accepting the drift keeps the spec's own changes", () => {
    fc.assert(
      fc.property(desiredArb, desiredArb, handEdits, (before, now, edit) => {
        const recorded = afterUp(before);
        const live = edited(recorded, edit);
        const causes = causesOf({ plan: planMailbox(now, live), recorded });
        const accepted = acceptDrift(now, causes, live);
        const left = causesOf({ plan: planMailbox({ ...accepted, mode: "strict" }, live), recorded });
        assert.ok(
          left.every((c) => c.cause !== "drift"),
          JSON.stringify({ causes, accepted, left }),
        );
      }),
    );
  });
});
