// What this Pulumi version does under `--target` with resources the program does not register,
// established on the real engine before targeted runs are built on it (docs/TARGETED-RUNS.md).
// The program is test/fixtures/targeted-engine/program.ts: small dynamic resources whose provider
// logs every call, so "was it sent to the provider" is observed, not inferred. The project's own
// Pulumi.yaml is used, so every preview and up refreshes first (options.refresh: always) unless a
// test says --refresh=false.
//
// The facts these tests hold (each `it` names one) are what the targeted-run design relies on: if
// an engine upgrade changes one, this file fails before a targeted run loses a state entry.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { addressKey, parseProxyAddress } from "../../core/address";
import { desiredAddressMap } from "../../core/plan/address-map";
import { computeChangeSet } from "../../core/plan/change-set";
import { declarationOrder, planChanges } from "../../core/plan/plan-changes";
import { loadSpecText } from "../../core/desired/load-spec";
import { generatedMailbox } from "../../harness/generated-mailbox";
import { TestStack, type CommandResult } from "../../harness/pulumi-stack";

const PROGRAM = "dist/test/fixtures/targeted-engine/program.js";
const TYPE = "pulumi-nodejs:dynamic/targeted:Item";

interface StateEntry {
  readonly urn: string;
  readonly [field: string]: unknown;
}

/** A stack of the fixture program, with the provider's call log and the state as `stack export` prints it. */
class FixtureStack {
  readonly stack: TestStack;
  readonly log: string;
  /** The environment of every run: the resource count and the log; a run adds what it declares. */
  readonly base: NodeJS.ProcessEnv;

  constructor(name: string, count: number, env: NodeJS.ProcessEnv = {}) {
    this.stack = new TestStack(name, {}, {}, PROGRAM);
    this.log = path.join(this.stack.dir, "provider-calls.log");
    this.base = { TARGETED_FIXTURE_COUNT: String(count), TARGETED_FIXTURE_LOG: this.log, ...env };
  }

  urn(name: string): string {
    return `urn:pulumi:${this.stack.stack}::mailbox-addresses::${TYPE}::${name}`;
  }

  /** Runs pulumi with the fixture's settings; `program` says what the program registers this run. */
  run(args: readonly string[], program: NodeJS.ProcessEnv = {}): CommandResult {
    writeFileSync(this.log, "");
    return this.stack.run(args, { env: { ...this.base, ...program } });
  }

  /** The provider calls of the last run, as "call:name", sorted. */
  calls(): string[] {
    if (!existsSync(this.log)) return [];
    return readFileSync(this.log, "utf8")
      .split("\n")
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as { call: string; name: string })
      .map((c) => `${c.call}:${c.name}`)
      .sort();
  }

  /** The names the provider received any call for in the last run. */
  touched(): string[] {
    return [...new Set(this.calls().map((c) => c.split(":")[1]!))].sort();
  }

  /** `pulumi stack export`, keyed by URN: each entry as the exact JSON text the export prints. */
  exported(): { entries: Map<string, string>; order: string[]; outputs: Record<string, unknown> } {
    const out = this.stack.run(["stack", "export"], { check: true, env: this.base });
    const deployment = (JSON.parse(out.stdout) as { deployment: { resources: StateEntry[] } }).deployment;
    const stackEntry = deployment.resources.find((r) => r.urn.includes("::pulumi:pulumi:Stack::"));
    return {
      entries: new Map(deployment.resources.map((r) => [r.urn, JSON.stringify(r)])),
      order: deployment.resources.map((r) => r.urn.split("::").pop()!),
      outputs: (stackEntry?.outputs ?? {}) as Record<string, unknown>,
    };
  }
}

/** The fields of two state entries (JSON text) that differ. */
function differingFields(a: string | undefined, b: string | undefined): string[] {
  const x = (a ? JSON.parse(a) : {}) as Record<string, unknown>;
  const y = (b ? JSON.parse(b) : {}) as Record<string, unknown>;
  return [...new Set([...Object.keys(x), ...Object.keys(y)])]
    .filter((k) => JSON.stringify(x[k]) !== JSON.stringify(y[k]))
    .sort();
}

/** Resources of the fixture's type in an export, by name. */
function items(entries: Map<string, string>): string[] {
  return [...entries.keys()]
    .filter((urn) => urn.includes(`::${TYPE}::`))
    .map((urn) => urn.split("::").pop()!)
    .sort();
}

/** "N to delete" (and the like) from a preview's summary. */
function planned(result: CommandResult, what: "update" | "delete" | "create"): number {
  const match = new RegExp(`(\\d+) to ${what}`).exec(result.output);
  return match ? Number(match[1]) : 0;
}

const names = (count: number) => Array.from({ length: count }, (_, i) => `item-${String(i).padStart(3, "0")}`);
const values = (v: Record<string, string>) => JSON.stringify(v);

describe("pulumi --target with resources the program does not register (options.refresh: always)", () => {
  let fx: FixtureStack;

  before(() => {
    // item-007 dependsOn item-006, as a taker depends on its giver after a move.
    fx = new FixtureStack("tgtfacts", 8, { TARGETED_FIXTURE_DEPENDS: JSON.stringify({ "item-007": ["item-006"] }) });
    const up = fx.run(["up", "--yes", "--skip-preview"]);
    assert.equal(up.code, 0, up.output);
  });
  after(() => fx?.stack.dispose());

  it("preview --target A, the program registering only A: no delete is planned; only A is read (refresh), checked and diffed", () => {
    const preview = fx.run(["preview", "--target", fx.urn("item-000")], {
      TARGETED_FIXTURE_REGISTER: "item-000",
      TARGETED_FIXTURE_VALUES: values({ "item-000": "v2" }),
    });
    assert.equal(preview.code, 0, preview.output);
    assert.equal(planned(preview, "update"), 1, preview.output);
    assert.equal(planned(preview, "delete"), 0, preview.output);
    assert.doesNotMatch(preview.output, /delete\[retain\]|will be destroyed/);
    assert.deepEqual(fx.touched(), ["item-000"], `provider calls: ${fx.calls().join(" ")}`);
    assert.ok(fx.calls().includes("read:item-000"), "the target is refreshed");
  });

  it("up --refresh=false --target A --target NEW, registering only those: A updated, NEW created, every other state entry byte-identical", () => {
    const before = fx.exported();
    const up = fx.run(
      [
        "up",
        "--yes",
        "--skip-preview",
        "--refresh=false",
        "--target",
        fx.urn("item-000"),
        "--target",
        fx.urn("item-008"),
      ],
      {
        TARGETED_FIXTURE_COUNT: "9",
        TARGETED_FIXTURE_REGISTER: "item-000,item-008",
        TARGETED_FIXTURE_VALUES: values({ "item-000": "v2" }),
      },
    );
    assert.equal(up.code, 0, up.output);
    assert.deepEqual(fx.calls(), [
      "check:item-000",
      "check:item-008",
      "create:item-008",
      "diff:item-000",
      "update:item-000",
    ]);
    const afterUp = fx.exported();
    assert.deepEqual(items(afterUp.entries), names(9));
    for (const name of names(8).filter((n) => n !== "item-000")) {
      assert.equal(
        afterUp.entries.get(fx.urn(name)),
        before.entries.get(fx.urn(name)),
        `${name} changed: ${differingFields(before.entries.get(fx.urn(name)), afterUp.entries.get(fx.urn(name))).join(", ")}`,
      );
    }
    assert.match(afterUp.entries.get(fx.urn("item-000"))!, /"value":"v2"/);
    // The root stack is always targeted: its outputs are what this run's program exported.
    assert.equal(afterUp.outputs.registered, 2);
    // The entries this run produced come first; the ones carried over follow, in their old order.
    assert.deepEqual(afterUp.order.slice(2, 4).sort(), ["item-000", "item-008"]);
  });

  it("with refresh, a target not yet in the state is refused before the program runs", () => {
    const preview = fx.run(["preview", "--target", fx.urn("item-009")], {
      TARGETED_FIXTURE_COUNT: "10",
      TARGETED_FIXTURE_REGISTER: "item-009",
    });
    assert.notEqual(preview.code, 0);
    assert.match(preview.output, /Target '[^']*item-009' could not be found in the stack/);
    assert.deepEqual(fx.calls(), []);
  });

  it("up --target A with refresh, registering only A: only A is sent to the provider; other entries keep everything but an all-empty propertyDependencies map", () => {
    const before = fx.exported();
    const up = fx.run(["up", "--yes", "--skip-preview", "--target", fx.urn("item-001")], {
      TARGETED_FIXTURE_REGISTER: "item-001",
      TARGETED_FIXTURE_VALUES: values({ "item-001": "v2" }),
    });
    assert.equal(up.code, 0, up.output);
    assert.deepEqual(fx.calls(), [
      "check:item-001",
      "diff:item-001",
      "diff:item-001",
      "read:item-001",
      "update:item-001",
    ]);
    const afterUp = fx.exported();
    assert.deepEqual(items(afterUp.entries), names(9));
    for (const name of names(9).filter((n) => n !== "item-001")) {
      const was = before.entries.get(fx.urn(name));
      const now = afterUp.entries.get(fx.urn(name));
      const changed = differingFields(was, now);
      // The refresh rebuilds the base state (deploymentExecutor.rebuildBaseState): a map of empty
      // lists becomes an empty map, which the state file omits. Nothing else of the entry moves.
      assert.ok(
        changed.length === 0 || (changed.length === 1 && changed[0] === "propertyDependencies"),
        `${name}: ${changed.join(", ")}`,
      );
      if (changed.length === 1) {
        const deps = (JSON.parse(was!) as { propertyDependencies: Record<string, unknown[]> }).propertyDependencies;
        assert.ok(
          Object.values(deps).every((list) => list.length === 0),
          `${name}: non-empty propertyDependencies dropped`,
        );
        assert.equal((JSON.parse(now!) as { propertyDependencies?: unknown }).propertyDependencies, undefined);
      }
    }
    assert.ok(
      names(9).some(
        (n) =>
          n !== "item-001" &&
          differingFields(before.entries.get(fx.urn(n)), afterUp.entries.get(fx.urn(n))).length === 1,
      ),
      "the refresh's normalisation did not show: this fact changed",
    );
  });

  it("the program registering everything, --target A: the others are not sent to the provider, and their entries are copied from the state whatever the program now says", () => {
    const before = fx.exported();
    const up = fx.run(["up", "--yes", "--skip-preview", "--refresh=false", "--target", fx.urn("item-002")], {
      TARGETED_FIXTURE_COUNT: "9",
      TARGETED_FIXTURE_VALUES: values({ "item-000": "v2", "item-001": "v2", "item-002": "v2", "item-003": "v9" }),
      TARGETED_FIXTURE_DEPENDS: JSON.stringify({ "item-007": ["item-006"], "item-004": ["item-003"] }),
    });
    assert.equal(up.code, 0, up.output);
    assert.deepEqual(fx.touched(), ["item-002"], `provider calls: ${fx.calls().join(" ")}`);
    const afterUp = fx.exported();
    for (const name of names(9).filter((n) => n !== "item-002")) {
      assert.equal(
        afterUp.entries.get(fx.urn(name)),
        before.entries.get(fx.urn(name)),
        `${name}: ${differingFields(before.entries.get(fx.urn(name)), afterUp.entries.get(fx.urn(name))).join(", ")}`,
      );
    }
  });

  it("without --target, a program registering a subset deletes the rest (why targeted mode always passes --target)", () => {
    const preview = fx.run(["preview"], {
      TARGETED_FIXTURE_REGISTER: "item-000",
      TARGETED_FIXTURE_VALUES: values({ "item-000": "v2" }),
    });
    assert.equal(preview.code, 0, preview.output);
    assert.equal(planned(preview, "delete"), 8, preview.output);
    // And an untargeted refresh reads every resource in the state.
    assert.equal(fx.calls().filter((c) => c.startsWith("read:")).length, 9);
  });

  it("a resource that depends (in the state) on a target and is not registered: preview fails; up fails too, but only after the target's update was applied; --target-dependents would delete it", () => {
    const run = { TARGETED_FIXTURE_REGISTER: "item-006", TARGETED_FIXTURE_VALUES: values({ "item-006": "v2" }) };
    const preview = fx.run(["preview", "--target", fx.urn("item-006")], run);
    assert.notEqual(preview.code, 0);
    assert.match(preview.output, /item-007' will be destroyed but was not specified in --target list/);
    const before = fx.exported();
    const up = fx.run(["up", "--yes", "--skip-preview", "--refresh=false", "--target", fx.urn("item-006")], run);
    assert.notEqual(up.code, 0);
    assert.match(up.output, /item-007' will be destroyed but was not specified in --target list/);
    // Deletes are planned after the program has finished (performPostSteps → GenerateDeletes): the
    // target's write has already happened. The refusal protects the state entry, not the tenant.
    assert.deepEqual(fx.calls(), ["check:item-006", "diff:item-006", "update:item-006"]);
    const afterUp = fx.exported();
    assert.equal(afterUp.entries.get(fx.urn("item-007")), before.entries.get(fx.urn("item-007")));
    assert.match(afterUp.entries.get(fx.urn("item-006"))!, /"value":"v2"/);
    const widened = fx.run(["preview", "--target", fx.urn("item-006"), "--target-dependents"], run);
    assert.equal(widened.code, 0, widened.output);
    assert.match(widened.output, /item-007 delete\[retain\]/);
    // Registering the dependent is enough: it is then a same, not a delete.
    const registered = fx.run(["preview", "--target", fx.urn("item-006")], {
      ...run,
      TARGETED_FIXTURE_REGISTER: "item-006,item-007",
      TARGETED_FIXTURE_DEPENDS: JSON.stringify({ "item-007": ["item-006"] }),
    });
    assert.equal(registered.code, 0, registered.output);
    assert.equal(planned(registered, "delete"), 0);
  });

  it("--exclude B, the program registering only A: everything unregistered and not excluded is deleted (no use for targeted runs)", () => {
    const preview = fx.run(["preview", "--exclude", fx.urn("item-001")], {
      TARGETED_FIXTURE_REGISTER: "item-000",
      TARGETED_FIXTURE_VALUES: values({ "item-000": "v2" }),
    });
    assert.equal(preview.code, 0, preview.output);
    assert.equal(planned(preview, "delete"), 7, preview.output);
    assert.doesNotMatch(preview.output, /item-001 delete/);
  });

  it("--target R, the program no longer registering R (a release): R's entry goes, the provider's delete is not called (retainOnDelete), nothing else changes", () => {
    const before = fx.exported();
    const up = fx.run(["up", "--yes", "--skip-preview", "--refresh=false", "--target", fx.urn("item-005")], {
      TARGETED_FIXTURE_REGISTER: "",
    });
    assert.equal(up.code, 0, up.output);
    assert.deepEqual(fx.calls(), []);
    const afterUp = fx.exported();
    assert.deepEqual(
      items(afterUp.entries),
      names(9).filter((n) => n !== "item-005"),
    );
    for (const name of items(afterUp.entries))
      assert.equal(afterUp.entries.get(fx.urn(name)), before.entries.get(fx.urn(name)), name);
  });
});

describe("the engine's floor: a targeted preview of 1 resource in a stack of 300", () => {
  const N = 300;
  let fx: FixtureStack;

  before(() => {
    fx = new FixtureStack("tgtfloor", N, { PULUMI_SKIP_CHECKPOINTS: "true" });
    const up = fx.run(["up", "--yes", "--skip-preview"]);
    assert.equal(up.code, 0, up.output);
  });
  after(() => fx?.stack.dispose());

  it("registering only the target against registering all 300 (wall and CPU seconds, same run; figures, not assertions)", (t) => {
    const target = ["--target", fx.urn("item-000")];
    const changed = { TARGETED_FIXTURE_VALUES: values({ "item-000": "v2" }) };
    const cases: { label: string; args: string[]; env: NodeJS.ProcessEnv }[] = [
      { label: "preview, no --target, registers 300", args: ["preview"], env: changed },
      { label: "preview --target 1, registers 300", args: ["preview", ...target], env: changed },
      {
        label: "preview --target 1, registers 1",
        args: ["preview", ...target],
        env: { ...changed, TARGETED_FIXTURE_REGISTER: "item-000" },
      },
      {
        label: "preview --refresh=false --target 1, registers 1",
        args: ["preview", "--refresh=false", ...target],
        env: { ...changed, TARGETED_FIXTURE_REGISTER: "item-000" },
      },
    ];
    const wall = new Map<string, number[]>(cases.map((c) => [c.label, []]));
    const cpu = new Map<string, number[]>(cases.map((c) => [c.label, []]));
    // Interleaved rounds, so a busy spell of the machine does not land on one case only; CPU
    // seconds of the engine and its plugins as well, since wall time on a shared machine drifts.
    for (let round = 0; round < 5; round++) {
      for (const c of cases) {
        const [startedCpu, started] = [childCpuSeconds(), process.hrtime.bigint()];
        const result = fx.run(c.args, c.env);
        wall.get(c.label)!.push(Number(process.hrtime.bigint() - started) / 1e9);
        cpu.get(c.label)!.push(childCpuSeconds() - startedCpu);
        assert.equal(result.code, 0, `${c.label}: ${result.output.slice(-2000)}`);
        assert.equal(planned(result, "update"), 1, `${c.label}: ${result.output.slice(-2000)}`);
        assert.equal(planned(result, "delete"), 0, c.label);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const [fullWall, fullCpu] = [median(wall.get(cases[0]!.label)!), median(cpu.get(cases[0]!.label)!)];
    for (const c of cases) {
      const [w, u] = [median(wall.get(c.label)!), median(cpu.get(c.label)!)];
      t.diagnostic(
        `N=${N} ${c.label}: wall ${w.toFixed(2)} s (${(w / fullWall).toFixed(2)}×), CPU ${u.toFixed(2)} s (${(u / fullCpu).toFixed(2)}×); wall of each round ${wall
          .get(c.label)!
          .map((x) => x.toFixed(1))
          .join(", ")}`,
      );
    }
  });
});

/** CPU seconds used so far by this process's finished children (and theirs): /proc/self/stat cutime + cstime. */
function childCpuSeconds(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields 16 and 17 of stat(5), counted from the state (field 3) at index 0; clock ticks of 1/100 s.
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

/** What test/fixtures/targeted-engine/mailboxes-program.ts declares in targeted mode. */
interface TargetedDeclarations {
  readonly resources: readonly {
    readonly identity: string;
    readonly inputs: Record<string, unknown>;
    readonly dependsOn: readonly string[];
  }[];
  readonly outputs: Record<string, unknown>;
}

// The design end to end on the real resource, provider and local tenant, with the program's
// targeted mode played by test/fixtures/targeted-engine/mailboxes-program.ts (the declarations
// are computed here from the core, as that mode is designed to compute them). Full runs are the
// project's own program.
describe("a targeted move on the real resource: preview and up of 2 mailboxes in a stack of 200, then a clean full preview --refresh", () => {
  const N = 200;
  const users = Array.from({ length: N }, (_, i) => `tgt${String(i).padStart(3, "0")}@contoso.com`);
  const SHARED = "shared-move@contoso.com";
  const specOf = (moved: boolean) =>
    [
      "version: 1",
      "allowedDomains: [contoso.com]",
      "mailboxes:",
      ...users.flatMap((u, i) => [
        `  ${u}:`,
        `    primary: ${u}`,
        ...(i === (moved ? 1 : 0) ? [`    aliases: [${SHARED}]`] : []),
      ]),
      "",
    ].join("\n");
  const TYPE_URN = "pulumi-nodejs:dynamic/mailbox:MailboxAddresses";
  let stack: TestStack;
  const urn = (identity: string) => `urn:pulumi:${stack.stack}::mailbox-addresses::${TYPE_URN}::${identity}`;
  const exported = () =>
    JSON.parse(stack.run(["stack", "export"], { check: true }).stdout) as {
      deployment: { resources: { urn: string; type: string; outputs?: Record<string, unknown> }[] };
    };

  before(() => {
    stack = new TestStack("tgtmove", {}, {}, "dist/test/fixtures/targeted-engine/mailboxes-program.js");
    stack.seedTenant();
    stack.withTenant((tenant) => {
      users.forEach((u, i) => tenant.addRecipient(generatedMailbox(u, { extra: i === 0 ? [`smtp:${SHARED}`] : [] })));
    });
    stack.writeSpec(specOf(false));
    const adopted = stack.up();
    assert.equal(adopted.code, 0, adopted.output.slice(-3000));
  });
  after(() => stack?.dispose());

  it("moves the alias with only the giver and the taker declared and targeted; every other entry stays byte-identical; a full preview --refresh --expect-no-changes is clean", (t) => {
    const baseline = exported().deployment.resources;
    const mailboxes = baseline.filter((r) => r.type === TYPE_URN);
    assert.equal(mailboxes.length, N);

    // The CLI's part, without reading the tenant: the change set, with who holds what from the state.
    const holders = new Map<string, string>();
    for (const r of mailboxes) {
      const outputs = r.outputs as {
        identity: string;
        addresses: Record<string, string>;
        kept: Record<string, string>;
      };
      for (const entry of [...Object.values(outputs.addresses), ...Object.values(outputs.kept)]) {
        const parsed = parseProxyAddress(entry);
        if (parsed.kind === "smtp") holders.set(addressKey(parsed.value), outputs.identity);
      }
    }
    const load = (text: string) => {
      const result = loadSpecText(stack.specFile, text);
      assert.ok(result.ok);
      return result.spec;
    };
    const afterSpec = load(specOf(true));
    const set = computeChangeSet(load(specOf(false)), afterSpec, { holders });
    assert.equal(set.scope, "targeted");
    assert.deepEqual(set.scope === "targeted" && set.declare, [users[0], users[1]]);

    // The program's targeted mode: the declared mailboxes' live lists, the planner over them only,
    // and their inputs as the full program builds them (addresses, mode, releases, dependsOn).
    const declared = afterSpec.mailboxes.filter((m) => set.scope === "targeted" && set.declare.includes(m.identity));
    const live = stack.withTenant(
      (tenant) => new Map(declared.map((m) => [m.identity, [...tenant.find(m.identity)!.addresses]])),
    );
    const change = planChanges(
      declared.map((m) => ({
        identity: m.identity,
        desired: { primary: m.primary, aliases: m.aliases, mode: m.mode },
        live: live.get(m.identity),
      })),
    );
    assert.deepEqual(change.moves, [{ address: SHARED, from: users[0], to: users[1] }]);
    const stackOutputs = baseline.find((r) => r.type === "pulumi:pulumi:Stack")!.outputs!;
    const declarations: TargetedDeclarations = {
      resources: declarationOrder(declared, change.dependsOn).map((m) => {
        const releases = change.moves.filter((move) => move.from === m.identity);
        return {
          identity: m.identity,
          inputs: {
            identity: m.identity,
            addresses: desiredAddressMap(m),
            mode: m.mode,
            ...(releases.length > 0
              ? { releases: Object.fromEntries(releases.map((r) => [addressKey(r.address), r.to])) }
              : {}),
          },
          dependsOn: [...(change.dependsOn.get(m.identity) ?? [])],
        };
      }),
      // What a full run of this spec exports: the stack's entry does not flip between scopes.
      outputs: { ...stackOutputs, specDigest: `sha256:${createHash("sha256").update(specOf(true)).digest("hex")}` },
    };
    const declarationsFile = path.join(stack.dir, "targeted.json");
    writeFileSync(declarationsFile, JSON.stringify(declarations));
    stack.writeSpec(specOf(true));

    const targets = set.scope === "targeted" ? set.declare.flatMap((identity) => ["--target", urn(identity)]) : [];
    const env = { TARGETED_DECLARE: declarationsFile };
    const timed = <T>(work: () => T): [T, number] => {
      const started = process.hrtime.bigint();
      const result = work();
      return [result, Number(process.hrtime.bigint() - started) / 1e9];
    };
    const [preview, targetedSeconds] = timed(() => stack.run(["preview", "--refresh=false", ...targets], { env }));
    assert.equal(preview.code, 0, preview.output.slice(-3000));
    assert.equal(planned(preview, "update"), 2, preview.output.slice(-3000));
    assert.equal(planned(preview, "delete"), 0, preview.output.slice(-3000));
    const up = stack.run(["up", "--yes", "--skip-preview", "--refresh=false", ...targets], { env });
    assert.equal(up.code, 0, up.output.slice(-3000));

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
    const afterUp = new Map(exported().deployment.resources.map((r) => [r.urn, JSON.stringify(r)]));
    const before = new Map(baseline.map((r) => [r.urn, JSON.stringify(r)]));
    let identical = 0;
    for (const u of users.slice(2)) {
      assert.equal(
        afterUp.get(urn(u)),
        before.get(urn(u)),
        `${u}: ${differingFields(before.get(urn(u)), afterUp.get(urn(u))).join(", ")}`,
      );
      identical++;
    }
    assert.equal(identical, N - 2);
    assert.equal(
      afterUp.get(baseline.find((r) => r.type === "pulumi:pulumi:Stack")!.urn),
      JSON.stringify({
        ...JSON.parse(before.get(baseline.find((r) => r.type === "pulumi:pulumi:Stack")!.urn)!),
        outputs: declarations.outputs,
      }),
    );

    // The project's program, full: nothing left to do, in the state or in the tenant.
    const [full, fullSeconds] = timed(() => stack.preview("--refresh", "--expect-no-changes"));
    assert.equal(full.code, 0, full.output.slice(-3000));
    t.diagnostic(
      `N=${N}, real resource, local tenant: targeted preview of the move ${targetedSeconds.toFixed(1)} s; full preview --refresh ${fullSeconds.toFixed(1)} s (one run each, a shared machine)`,
    );
  });
});
