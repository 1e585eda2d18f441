// Every command works the same in every layout a user works in (issue 23): this checkout's own
// program, a repository scaffolded by `mailbox-addresses init`, and a hand-written program whose
// MailboxAddressSpec components sit under a component of its own (one with a spec file, one with a
// spec inline). The last two live outside this checkout and install the package from `npm pack`.
// In each: validate, export, drift, plan, apply, accept and expand, with hand edits in the tenant
// that each command must show. A plan that finds no row for a mailbox whose alias was added by hand
// (the false all-clear of a URN matched as text, which a parent changes) fails here.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { PROJECT_ROOT, TestStack, type CommandResult } from "../../harness/pulumi-stack";
import { forStack } from "../../cli/init-command";
import { packThisCheckout, pinnedPulumiSdk, TWO_MAILBOX_SPEC as SPEC, UserProject } from "../../harness/user-project";
import { Tenant } from "../../tenant/tenant";

/** What a command matrix needs of a layout. */
interface Layout {
  /** `mailbox-addresses <args>` as a user runs it there. */
  tool(args: readonly string[]): CommandResult;
  pulumi(args: readonly string[]): CommandResult;
  readonly specFile: string;
  readonly database: string;
  /** Mailboxes the program declares besides the spec file's (an inline spec). */
  readonly alsoDeclared?: readonly string[];
}

interface Row {
  identity: string;
  change: string;
  added: string[];
  removed: string[];
  extra?: string[];
}
interface Report {
  scope?: unknown;
  summary: { mailboxes: number; changed: number; problems: number };
  problems: string[];
  mailboxes: Row[];
}

function json(result: CommandResult): Report {
  try {
    return JSON.parse(result.stdout) as Report;
  } catch {
    assert.fail(`not a JSON report (exit ${result.code}):\n${result.output}`);
  }
}

const addresses = (layout: Layout, identity: string) =>
  Tenant.withFile(layout.database, (t) => t.find(identity)!.addresses.map((a) => a.toLowerCase()));

/** The command matrix, in the order a user meets the commands, each with a hand edit it must show. */
function commandMatrix(layout: () => Layout): void {
  it("validate: the spec is valid", () => {
    const result = layout().tool(["validate", layout().specFile]);
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /valid \(2 mailboxes\)/);
  });

  it("pulumi up converges; plan then accounts for every mailbox declared and changes none (exit 0)", () => {
    const up = layout().pulumi(["up", "--yes", "--skip-preview"]);
    assert.equal(up.code, 0, up.output);
    const plan = layout().tool(["plan", "--json"]);
    assert.equal(plan.code, 0, plan.output);
    const report = json(plan);
    assert.deepEqual(
      report.mailboxes.map((m) => m.identity).sort(),
      ["lee.chen@contoso.com", "priya.patel@contoso.com", ...(layout().alsoDeclared ?? [])].sort(),
    );
    assert.equal(report.summary.changed, 0);
  });

  it("an alias added by hand: drift (exit 2), plan (exit 2, the row removes it) and the plain preview gate (refresh: always) all show it", () => {
    const edit = layout().tool([
      "tenant",
      "add",
      "lee.chen@contoso.com",
      "smtp:rogue@contoso.com",
      "--database",
      layout().database,
    ]);
    assert.equal(edit.code, 0, edit.output);
    const drift = layout().tool(["drift", "--json"]);
    assert.equal(drift.code, 2, drift.output);
    assert.match(
      JSON.stringify(json(drift).mailboxes.find((m) => m.identity === "lee.chen@contoso.com")),
      /rogue@contoso\.com/,
    );
    const plan = layout().tool(["plan", "--json"]);
    assert.equal(plan.code, 2, plan.output);
    const lee = json(plan).mailboxes.find((m) => m.identity === "lee.chen@contoso.com");
    assert.equal(lee?.change, "update", plan.stdout);
    assert.deepEqual(lee?.removed, ["rogue@contoso.com"]);
    const table = layout().tool(["plan"]);
    assert.equal(table.code, 2, table.output);
    assert.match(table.stdout, /lee\.chen@contoso\.com.*rogue@contoso\.com/);
    const gate = layout().pulumi(["preview", "--expect-no-changes"]);
    assert.notEqual(gate.code, 0, gate.output);
    assert.match(gate.output, /rogue@contoso\.com/);
  });

  it("apply --plan: the saved plan is applied; the alias is gone from the tenant", () => {
    const saved = layout().tool(["plan", "--save", "plan.json", "--quiet"]);
    assert.equal(saved.code, 2, saved.output);
    const apply = layout().tool(["apply", "--plan", "plan.json"]);
    assert.equal(apply.code, 0, apply.output);
    assert.ok(!addresses(layout(), "lee.chen@contoso.com").includes("smtp:rogue@contoso.com"));
    assert.equal(layout().tool(["drift"]).code, 0);
  });

  it("accept: an alias added by hand is written into the spec; drift is then clean", () => {
    const edit = layout().tool([
      "tenant",
      "add",
      "priya.patel@contoso.com",
      "smtp:priya.p@contoso.com",
      "--database",
      layout().database,
    ]);
    assert.equal(edit.code, 0, edit.output);
    assert.equal(layout().tool(["drift"]).code, 2);
    const accept = layout().tool(["accept", "priya.patel@contoso.com"]);
    assert.equal(accept.code, 0, accept.output);
    assert.match(readFileSync(layout().specFile, "utf8"), /priya\.p@contoso\.com/);
    const drift = layout().tool(["drift"]);
    assert.equal(drift.code, 0, drift.output);
  });

  it("export and expand read the same tenant and spec", () => {
    const exported = layout().tool(["export", "--domain", "contoso.com"]);
    assert.equal(exported.code, 0, exported.output);
    assert.match(exported.stdout, /priya\.p@contoso\.com/);
    const schema = /\$schema=(\S+)/.exec(exported.stdout)?.[1];
    assert.ok(
      schema && existsSync(path.resolve(path.dirname(layout().specFile), schema)),
      `the schema line names a file that exists: ${schema}`,
    );
    const expanded = layout().tool(["expand"]);
    assert.equal(expanded.code, 0, expanded.output);
    assert.match(expanded.stdout, /"priya\.p@contoso\.com"/);
  });
}

describe("this checkout's program", () => {
  const stack = new TestStack("layout-checkout");
  after(() => stack.dispose());
  stack.seedTenant();
  stack.writeSpec(SPEC);
  const layout: Layout = {
    // The harness names the stack for the commands that read one; expand reads one too.
    tool: (args) => stack.cli(args[0] === "expand" ? [...args, "--stack", stack.stack] : args),
    pulumi: (args) => stack.run(args),
    specFile: stack.specFile,
    database: stack.database,
  };
  commandMatrix(() => layout);
});

describe("a repository scaffolded by mailbox-addresses init, outside this checkout", () => {
  const project = new UserProject("gitops");
  after(() => project.dispose());
  let layout: Layout | undefined;

  it("init writes the repository: Pulumi.yaml with refresh: always, the pinned package and SDK, the spec, the stack's settings, the CI workflows", () => {
    const tarball = packThisCheckout();
    // Run from the folder above, as `npx mailbox-addresses init gitops` would be.
    const init = project.exec(process.execPath, [
      path.join(PROJECT_ROOT, "bin/mailbox-addresses.js"),
      "init",
      project.dir,
      "--package",
      `file:${tarball}`,
    ]);
    assert.equal(init.code, 0, init.output);
    assert.match(init.stdout, /npm install/);
    assert.match(project.read("Pulumi.yaml"), /^options:\n(\s+#.*\n)*\s+refresh: always$/m);
    const pkg = JSON.parse(project.read("package.json")) as { dependencies: Record<string, string> };
    assert.deepEqual(pkg.dependencies, { "@pulumi/pulumi": pinnedPulumiSdk(), "mailbox-addresses": `file:${tarball}` });
    assert.match(project.read("Pulumi.dev.yaml"), /mailbox-addresses:spec: "mailboxes.yaml"/);
    assert.match(project.read("mailboxes.yaml"), /^mailboxes: \{\}$/m);
    for (const [ci, folder] of [
      ["github", ".github/workflows"],
      ["azure-devops", ".azure-pipelines"],
    ] as const) {
      const copied = readdirSync(path.join(project.dir, folder));
      assert.ok(copied.length >= 3, `${folder}: ${copied.join(", ")}`);
      const source = path.join(PROJECT_ROOT, "ci-templates", ci);
      // Written for the stack init sets up (dev), where the templates name prod.
      for (const file of copied)
        assert.equal(
          project.read(path.join(folder, file)),
          forStack(readFileSync(path.join(source, file), "utf8"), "dev"),
        );
      for (const file of copied)
        assert.doesNotMatch(project.read(path.join(folder, file)), /PULUMI_STACK: prod|Pulumi\.prod\.yaml/);
    }
    // A second init keeps every file.
    const again = project.exec(process.execPath, [
      path.join(PROJECT_ROOT, "bin/mailbox-addresses.js"),
      "init",
      project.dir,
    ]);
    assert.equal(again.code, 0, again.output);
    assert.doesNotMatch(again.stdout, /wrote/);
  });

  it("as the README says: npm install, pulumi stack init; the empty spec plans nothing (exit 0)", () => {
    project.install();
    // The local tenant's first use, before any pulumi run: seeded from the installed package's seed
    // (this repository has no tenant/seeds/); a seed that is missing leaves no database behind.
    const show = project.tool(["tenant", "show", "lee.chen@contoso.com"]);
    assert.equal(show.code, 0, show.output);
    assert.match(show.stdout, /smtp:lee\.chen@contoso\.onmicrosoft\.com/i);
    const missing = project.tool([
      "tenant",
      "show",
      "lee.chen@contoso.com",
      "--database",
      ".tenant/other.sqlite",
      "--seed",
      "no-such-seed.yaml",
    ]);
    assert.equal(missing.code, 1, missing.output);
    assert.match(
      missing.stderr,
      /its seed no-such-seed\.yaml does not exist, so the tenant cannot be created\. Nothing was created/,
    );
    assert.doesNotMatch(missing.stderr, /ENOENT|\n\s+at /);
    assert.deepEqual(
      readdirSync(path.join(project.dir, ".tenant")).filter((f) => f.startsWith("other")),
      [],
    );
    const init = project.pulumi(["stack", "init", "dev"]);
    assert.equal(init.code, 0, init.output);
    // The stack keeps the settings init wrote.
    assert.match(project.read("Pulumi.dev.yaml"), /mailbox-addresses:localSeed/);
    const plan = project.tool(["plan"]);
    assert.equal(plan.code, 0, plan.output);
    assert.match(plan.stdout, /0 of 0 mailboxes change/);
    project.write("mailboxes.yaml", SPEC);
    layout = {
      tool: (args) => project.tool(args),
      pulumi: (args) => project.pulumi(args),
      specFile: path.join(project.dir, "mailboxes.yaml"),
      database: path.join(project.dir, ".tenant", "local.sqlite"),
    };
  });

  commandMatrix(() => layout!);

  it("plan --changed-since is targeted under the MailboxAddressSpec component; apply --plan applies the same set, a new mailbox created as the component's child", () => {
    // The spec as applied (accept above changed it without an apply), committed on main.
    assert.equal(project.pulumi(["up", "--yes", "--skip-preview"]).code, 0);
    const git = (args: readonly string[]) =>
      project.exec("git", ["-c", "user.name=Admin", "-c", "user.email=admin@contoso.com", ...args]);
    for (const args of [
      ["init", "-q", "-b", "main"],
      ["add", "-A"],
      ["commit", "-q", "-m", "mailboxes"],
    ])
      assert.equal(git(args).code, 0);
    project.write(
      "mailboxes.yaml",
      `${project.read("mailboxes.yaml").trimEnd()}\n  anna.kowalski@contoso.com:\n    primary: anna.kowalski@contoso.com\n    aliases: [anna.k@contoso.com]\n`,
    );
    const plan = project.tool(["plan", "--changed-since", "main", "--save", "plan.json", "--json"]);
    assert.equal(plan.code, 2, plan.output);
    const report = JSON.parse(plan.stdout) as Report & {
      scope: { kind: string; declare: string[]; reasons?: string[] };
    };
    assert.equal(report.scope.kind, "targeted", JSON.stringify(report.scope));
    assert.deepEqual(report.scope.declare, ["anna.kowalski@contoso.com"]);
    assert.deepEqual(
      report.mailboxes.map((m) => [m.identity, m.change, m.added]),
      [["anna.kowalski@contoso.com", "adopt", ["anna.k@contoso.com"]]],
    );
    const apply = project.tool(["apply", "--plan", "plan.json"]);
    assert.equal(apply.code, 0, apply.output);
    assert.match(apply.output, /targeted apply: 1 mailbox of the change since main/);
    assert.ok(addresses(layout!, "anna.kowalski@contoso.com").includes("smtp:anna.k@contoso.com"));
    const state = JSON.parse(project.pulumi(["stack", "export"]).stdout) as {
      deployment: { resources: { urn: string }[] };
    };
    assert.ok(
      state.deployment.resources.some((r) =>
        r.urn.endsWith(
          "::mailbox-addresses:index:MailboxAddressSpec$pulumi-nodejs:dynamic/mailbox:MailboxAddresses::anna.kowalski@contoso.com",
        ),
      ),
      JSON.stringify(state.deployment.resources.map((r) => r.urn)),
    );
    const drift = project.tool(["drift"]);
    assert.equal(drift.code, 0, drift.output);
  });

  it("remedies name npx mailbox-addresses, in the table and the Markdown report; --help names this repository's spec, not infra/", () => {
    assert.equal(project.tool(["tenant", "add", "lee.chen@contoso.com", "smtp:rogue@contoso.com"]).code, 0);
    const table = project.tool(["drift"]);
    assert.equal(table.code, 2, table.output);
    assert.match(table.stdout, /then commit it: npx mailbox-addresses accept lee\.chen@contoso\.com$/m);
    const markdown = project.tool(["drift", "--markdown"]);
    assert.equal(markdown.code, 2, markdown.output);
    assert.match(markdown.stdout, /Accept it into the spec: `npx mailbox-addresses accept lee\.chen@contoso\.com`/);
    assert.doesNotMatch(markdown.stdout, /`mailbox-addresses |scripts\//);
    assert.equal(project.pulumi(["up", "--yes", "--skip-preview"]).code, 0);
    for (const args of [["--help"], ["validate", "--help"]]) {
      const help = project.tool(args);
      assert.equal(help.code, 0, help.output);
      assert.match(help.stdout, /mailbox-addresses validate mailboxes\.yaml/);
      assert.doesNotMatch(help.stdout, /infra\/|examples\//);
    }
  });

  it("init --export with the local target, from the installed package, in a fresh folder: the tenant exported; a failed export leaves no folder", () => {
    const exported = path.join(path.dirname(project.dir), "exported");
    const made = project.tool(["init", exported, "--export"]);
    assert.equal(made.code, 0, made.output);
    assert.match(readFileSync(path.join(exported, "mailboxes.yaml"), "utf8"), /^ {2}lee\.chen@contoso\.com:/m);
    assert.ok(existsSync(path.join(exported, "Pulumi.dev.yaml")));
    const valid = project.tool(["validate", path.join(exported, "mailboxes.yaml")]);
    assert.equal(valid.code, 0, valid.output);
    const refused = path.join(path.dirname(project.dir), "refused");
    const failed = project.tool(
      [
        "init",
        refused,
        "--export",
        "--target",
        "exchange-online",
        "--tenant-id",
        "00000000-0000-4000-8000-000000000001",
        "--client-id",
        "00000000-0000-4000-8000-000000000002",
      ].concat(["--authority-host", "--graph-url", "--exchange-url"].flatMap((flag) => [flag, "https://127.0.0.1:9"])),
    );
    assert.equal(failed.code, 1, failed.output);
    assert.match(failed.stderr, /^error: /m);
    assert.equal(existsSync(refused), false, "nothing half-made is left");
  });
});

// The component nested under a component of the user's: its resources' URNs carry both parents'
// types (…acme:mail:Mail$mailbox-addresses:index:MailboxAddressSpec$pulumi-nodejs:dynamic/mailbox:MailboxAddresses::…).
const NESTED_PROGRAM = `const pulumi = require("@pulumi/pulumi");
const { MailboxAddressSpec } = require("mailbox-addresses");

class Mail extends pulumi.ComponentResource {
  constructor(name, opts) {
    super("acme:mail:Mail", name, {}, opts);
    this.tenant = new MailboxAddressSpec("tenant", {}, { parent: this });
    // A spec inline, a value of it from an Output.
    this.team = new MailboxAddressSpec(
      "team",
      { spec: { allowedDomains: ["contoso.com"], mailboxes: { "anna.kowalski@contoso.com": { primary: "anna.kowalski@contoso.com", aliases: [pulumi.output("anna.k@contoso.com")] } } } },
      { parent: this },
    );
    this.registerOutputs({});
  }
}

const mail = new Mail("mail");
exports.primaries = mail.tenant.mailboxes.apply((m) => Object.fromEntries(Object.entries(m).map(([id, x]) => [id, x.primary])));
exports.anna = mail.team.mailboxes.apply((m) => m["anna.kowalski@contoso.com"].addresses);
exports.count = mail.tenant.mailboxCount;
`;

describe("a hand-written program: the component nested under a component of one's own, outside this checkout", () => {
  const project = new UserProject("own-program");
  after(() => project.dispose());
  const layout: Layout = {
    tool: (args) => project.tool(args),
    pulumi: (args) => project.pulumi(args),
    specFile: path.join(project.dir, "mailboxes.yaml"),
    database: path.join(project.dir, "tenant.sqlite"),
    alsoDeclared: ["anna.kowalski@contoso.com"],
  };

  it("installs the packed package; the stack names the spec file and the local tenant", () => {
    const tarball = packThisCheckout();
    project.write(
      "package.json",
      JSON.stringify(
        {
          name: "own-program",
          private: true,
          dependencies: { "@pulumi/pulumi": pinnedPulumiSdk(), "mailbox-addresses": `file:${tarball}` },
        },
        null,
        2,
      ),
    );
    project.write(
      "Pulumi.yaml",
      "name: own-program\nruntime:\n  name: nodejs\n  options:\n    typescript: false\nmain: index.js\noptions:\n  refresh: always\n",
    );
    project.write("index.js", NESTED_PROGRAM);
    project.write("mailboxes.yaml", SPEC);
    project.install();
    assert.equal(project.pulumi(["stack", "init", "dev"]).code, 0);
    for (const [key, value] of [
      ["spec", "mailboxes.yaml"],
      ["localDatabase", layout.database],
      ["localSeed", "node_modules/mailbox-addresses/tenant/seeds/contoso.yaml"],
    ] as const) {
      const set = project.pulumi(["config", "set", `mailbox-addresses:${key}`, value]);
      assert.equal(set.code, 0, set.output);
    }
  });

  commandMatrix(() => layout);

  it("the component's typed outputs: each mailbox's primary and addresses, the inline spec's value from an Output", () => {
    const outputs = project.pulumi(["stack", "output", "--json"]);
    assert.equal(outputs.code, 0, outputs.output);
    const values = JSON.parse(outputs.stdout) as { primaries: Record<string, string>; anna: string[]; count: number };
    assert.deepEqual(values.primaries, {
      "lee.chen@contoso.com": "lee.chen@contoso.com",
      "priya.patel@contoso.com": "priya.patel@contoso.com",
    });
    assert.deepEqual(values.anna, ["anna.kowalski@contoso.com", "anna.k@contoso.com"]);
    assert.equal(values.count, 2);
    assert.ok(addresses(layout, "anna.kowalski@contoso.com").includes("smtp:anna.k@contoso.com"));
  });

  it("plan --changed-since with two MailboxAddressSpec components plans every mailbox, saying why", () => {
    const git = (args: readonly string[]) =>
      project.exec("git", ["-c", "user.name=Admin", "-c", "user.email=admin@contoso.com", ...args]);
    for (const args of [
      ["init", "-q", "-b", "main"],
      ["add", "mailboxes.yaml", "index.js"],
      ["commit", "-q", "-m", "mailboxes"],
    ])
      assert.equal(git(args).code, 0);
    project.write(
      "mailboxes.yaml",
      `${project.read("mailboxes.yaml").trimEnd()}\n  mark.wilson@contoso.com:\n    primary: mark.wilson@contoso.com\n`,
    );
    const plan = project.tool(["plan", "--changed-since", "main", "--json"]);
    assert.equal(plan.code, 2, plan.output);
    const scope = (JSON.parse(plan.stdout) as { scope: { kind: string; reasons: string[] } }).scope;
    assert.equal(scope.kind, "full");
    assert.match(scope.reasons.join(), /2 MailboxAddressSpec components/);
  });

  it("a plan of a program that declares none of the tool's resources is an error, never 0 change", () => {
    project.write("index.js", "exports.nothing = 1;\n");
    assert.equal(project.pulumi(["stack", "init", "empty"]).code, 0);
    const plan = project.tool(["plan", "--stack", "empty"]);
    assert.equal(plan.code, 1, plan.output);
    assert.match(plan.output, /neither declared a MailboxAddressSpec nor showed a MailboxAddresses resource/);
  });
});
