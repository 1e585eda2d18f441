import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { addressKey, parseProxyAddress } from "../../../core/address";
import { declarationOrder, planChanges, type ChangePlan, type MailboxInput } from "../../../core/plan/plan-changes";
import { planMailbox } from "../../../core/plan/plan-mailbox";

const mailbox = (
  identity: string,
  primary: string,
  aliases: string[],
  live: string[],
  mode: "strict" | "additive" = "strict",
): MailboxInput => ({
  identity,
  desired: { primary, aliases, mode },
  live,
});

/**
 * Runs a change plan against a simulated tenant that enforces address uniqueness, in an order
 * the dependencies allow, re-planning each mailbox from its current list as the provider does.
 * Returns the final lists, or throws on the first write that would collide.
 */
function execute(inputs: readonly MailboxInput[], plan: ChangePlan): Map<string, readonly string[]> {
  const state = new Map(inputs.map((i) => [i.identity, i.live ?? []] as const));
  const claimedBy = new Map<string, string>();
  for (const i of inputs)
    for (const a of [i.desired.primary, ...i.desired.aliases]) claimedBy.set(addressKey(a), i.identity);
  const write = (identity: string, list: readonly string[]) => {
    for (const entry of list) {
      const p = parseProxyAddress(entry);
      if (p.kind !== "smtp") continue;
      for (const [other, otherList] of state) {
        if (other === identity) continue;
        if (
          otherList.some(
            (e) =>
              parseProxyAddress(e).kind === "smtp" && addressKey(parseProxyAddress(e).value) === addressKey(p.value),
          )
        ) {
          throw new Error(`write to ${identity} collides: ${p.value} is still on ${other}`);
        }
      }
    }
    state.set(identity, list);
  };
  const done = new Set<string>();
  const nodes = [...[...plan.releases.keys()].map((id) => `release:${id}`), ...inputs.map((i) => i.identity)];
  const ready = (node: string) => {
    if (node.startsWith("release:")) return true;
    return (
      (plan.dependsOn.get(node) ?? []).every((d) => done.has(d)) &&
      (plan.dependsOnRelease.get(node) ?? []).every((d) => done.has(`release:${d}`))
    );
  };
  while (done.size < nodes.length) {
    const next = nodes.find((n) => !done.has(n) && ready(n));
    if (next === undefined) throw new Error("dependency cycle in the plan");
    if (next.startsWith("release:")) {
      write(next.slice(8), plan.releases.get(next.slice(8))!.list);
    } else {
      const input = inputs.find((i) => i.identity === next)!;
      const current = state.get(next)!;
      const releaseTo = new Map<string, string>();
      for (const e of current) {
        const p = parseProxyAddress(e);
        const owner = p.kind === "smtp" ? claimedBy.get(addressKey(p.value)) : undefined;
        if (owner !== undefined && owner !== next) releaseTo.set(addressKey(p.value), owner);
      }
      const again = planMailbox(input.desired, current, { releaseTo });
      if (again.changed) write(next, again.final);
    }
    done.add(next);
  }
  return state;
}

describe("planChanges", () => {
  it("orders a moved alias: the giver writes before the taker", () => {
    const inputs = [
      mailbox("b@contoso.com", "b@contoso.com", ["shared@contoso.com"], ["SMTP:b@contoso.com"]),
      mailbox("a@contoso.com", "a@contoso.com", [], ["SMTP:a@contoso.com", "smtp:shared@contoso.com"]),
    ];
    const plan = planChanges(inputs);
    assert.deepEqual(plan.moves, [{ address: "shared@contoso.com", from: "a@contoso.com", to: "b@contoso.com" }]);
    assert.deepEqual(plan.dependsOn.get("b@contoso.com"), ["a@contoso.com"]);
    assert.equal(plan.releases.size, 0);
    const final = execute(inputs, plan);
    assert.deepEqual(final.get("b@contoso.com"), ["SMTP:b@contoso.com", "smtp:shared@contoso.com"]);
  });

  it("(the simulated tenant refuses a taker that writes before its giver)", () => {
    const inputs = [
      mailbox("b@contoso.com", "b@contoso.com", ["shared@contoso.com"], ["SMTP:b@contoso.com"]),
      mailbox("a@contoso.com", "a@contoso.com", [], ["SMTP:a@contoso.com", "smtp:shared@contoso.com"]),
    ];
    const unordered = { ...planChanges(inputs), dependsOn: new Map() };
    assert.throws(() => execute(inputs, unordered), /shared@contoso.com is still on a@contoso.com/);
  });

  it("moves an alias out of an additive mailbox", () => {
    const inputs = [
      mailbox(
        "a@contoso.com",
        "a@contoso.com",
        [],
        ["SMTP:a@contoso.com", "smtp:shared@contoso.com", "smtp:keep@contoso.com"],
        "additive",
      ),
      mailbox("b@contoso.com", "b@contoso.com", ["shared@contoso.com"], ["SMTP:b@contoso.com"]),
    ];
    const plan = planChanges(inputs);
    assert.deepEqual(
      plan.plans.get("a@contoso.com")!.remove.map((r) => r.address),
      ["shared@contoso.com"],
    );
    const final = execute(inputs, plan);
    assert.deepEqual(final.get("a@contoso.com"), ["SMTP:a@contoso.com", "smtp:keep@contoso.com"]);
  });

  it("breaks a primary swap with one release step and converges", () => {
    const inputs = [
      mailbox(
        "a@contoso.onmicrosoft.com",
        "b@contoso.com",
        [],
        ["SMTP:a@contoso.com", "smtp:a@contoso.onmicrosoft.com"],
      ),
      mailbox(
        "b@contoso.onmicrosoft.com",
        "a@contoso.com",
        [],
        ["SMTP:b@contoso.com", "smtp:b@contoso.onmicrosoft.com"],
      ),
    ];
    const plan = planChanges(inputs);
    assert.deepEqual([...plan.releases.keys()], ["a@contoso.onmicrosoft.com"]);
    assert.deepEqual(plan.releases.get("a@contoso.onmicrosoft.com")!.list, ["SMTP:a@contoso.onmicrosoft.com"]);
    assert.deepEqual(plan.dependsOnRelease.get("b@contoso.onmicrosoft.com"), ["a@contoso.onmicrosoft.com"]);
    assert.deepEqual(plan.dependsOn.get("a@contoso.onmicrosoft.com"), ["b@contoso.onmicrosoft.com"]);
    const final = execute(inputs, plan);
    assert.deepEqual(final.get("a@contoso.onmicrosoft.com"), ["SMTP:b@contoso.com", "smtp:a@contoso.onmicrosoft.com"]);
    assert.deepEqual(final.get("b@contoso.onmicrosoft.com"), ["SMTP:a@contoso.com", "smtp:b@contoso.onmicrosoft.com"]);
  });

  it("breaks a three-way rotation", () => {
    const inputs = ["x", "y", "z"].map((n, i, all) =>
      mailbox(
        `${n}@t.onmicrosoft.com`,
        `${all[(i + 1) % 3]}@contoso.com`,
        [],
        [`SMTP:${n}@contoso.com`, `smtp:${n}@t.onmicrosoft.com`],
      ),
    );
    const plan = planChanges(inputs);
    assert.equal(plan.releases.size, 1);
    const final = execute(inputs, plan);
    assert.deepEqual(final.get("x@t.onmicrosoft.com")![0], "SMTP:y@contoso.com");
  });

  it("reports a swap that cannot converge and says how to split it", () => {
    const inputs = [
      mailbox("a@c.com", "b@c.com", [], ["SMTP:a@c.com"]),
      mailbox("b@c.com", "a@c.com", [], ["SMTP:b@c.com"]),
    ];
    const plan = planChanges(inputs);
    assert.equal(plan.problems.length, 1);
    assert.match(plan.problems[0]!.message, /cycle.*Split the change/s);
  });

  it("skips mailboxes that were not found", () => {
    const plan = planChanges([
      { identity: "ghost@c.com", desired: { primary: "g@c.com", aliases: [], mode: "strict" }, live: undefined },
    ]);
    assert.equal(plan.plans.size, 0);
  });
});

// Random tenants: a few mailboxes over a small address universe, each address on at most one
// mailbox live and claimed by at most one in the spec. Every plan must execute without a
// collision and end with every mailbox holding what the spec gives it.
const universe = ["a", "b", "c", "d", "e", "f", "g", "h"].map((n) => `${n}@contoso.com`);
const scenario = fc
  .tuple(
    fc.integer({ min: 2, max: 4 }),
    fc.array(fc.integer({ min: -1, max: 3 }), { minLength: universe.length, maxLength: universe.length }),
    fc.array(fc.integer({ min: -1, max: 3 }), { minLength: universe.length, maxLength: universe.length }),
    fc.array(fc.constantFrom("strict" as const, "additive" as const), { minLength: 4, maxLength: 4 }),
  )
  .map(([count, liveOwner, wantOwner, modes]) => {
    const ids = Array.from({ length: count }, (_, i) => `m${i}@t.onmicrosoft.com`);
    return ids.map((id, i) => {
      const liveAddrs = universe.filter((_, a) => liveOwner[a] === i);
      const wantAddrs = universe.filter((_, a) => wantOwner[a] === i);
      const live = [`smtp:${id}`, ...liveAddrs.map((a, k) => `${k === 0 ? "SMTP" : "smtp"}:${a}`), "X500:/o=x/cn=" + i];
      if (liveAddrs.length === 0) live[0] = `SMTP:${id}`;
      const primary = wantAddrs[0] ?? id;
      return mailbox(id, primary, wantAddrs.slice(1), live, modes[i]!);
    });
  });

describe("planChanges properties", () => {
  it("every plan executes without a collision and converges", () => {
    fc.assert(
      fc.property(scenario, (inputs) => {
        const plan = planChanges(inputs);
        assert.deepEqual(plan.problems, []);
        const final = execute(inputs, plan);
        for (const input of inputs) {
          const held = new Set(
            final
              .get(input.identity)!
              .map((e) => parseProxyAddress(e))
              .filter((p) => p.kind === "smtp")
              .map((p) => addressKey(p.value)),
          );
          for (const a of [input.desired.primary, ...input.desired.aliases])
            assert.ok(held.has(addressKey(a)), `${input.identity} lacks ${a}`);
          assert.equal(final.get(input.identity)!.filter((e) => e.startsWith("SMTP:")).length, 1);
          assert.ok(final.get(input.identity)!.some((e) => e.startsWith("X500:")));
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe("declarationOrder", () => {
  const m = (identity: string) => ({ identity });
  it("keeps the spec's order when nothing depends on anything", () => {
    assert.deepEqual(
      declarationOrder([m("a"), m("b"), m("c")], new Map()).map((x) => x.identity),
      ["a", "b", "c"],
    );
  });
  it("puts every giver before its takers, chains included", () => {
    const order = declarationOrder(
      [m("a"), m("b"), m("c"), m("d")],
      new Map([
        ["a", ["b"]],
        ["b", ["c", "d"]],
      ]),
    ).map((x) => x.identity);
    assert.deepEqual(order, ["c", "d", "b", "a"]);
  });
  it("refuses a cycle (the planner breaks them before)", () => {
    assert.throws(
      () =>
        declarationOrder(
          [m("a"), m("b")],
          new Map([
            ["a", ["b"]],
            ["b", ["a"]],
          ]),
        ),
      /cycle/,
    );
  });
  it("orders every random acyclic dependency graph (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.array(fc.tuple(fc.nat(), fc.nat())), (count, edges) => {
        const mailboxes = Array.from({ length: count }, (_, i) => m(`m${i}`));
        const dependsOn = new Map<string, string[]>();
        // Only edges from a higher to a lower index: acyclic by construction.
        for (const [x, y] of edges) {
          const [taker, giver] = [x % count, y % count];
          if (taker > giver) dependsOn.set(`m${taker}`, [...(dependsOn.get(`m${taker}`) ?? []), `m${giver}`]);
        }
        const order = declarationOrder(mailboxes, dependsOn).map((x) => x.identity);
        assert.equal(new Set(order).size, count);
        const at = new Map(order.map((id, i) => [id, i]));
        for (const [taker, givers] of dependsOn) for (const giver of givers) assert.ok(at.get(giver)! < at.get(taker)!);
      }),
    );
  });
});
