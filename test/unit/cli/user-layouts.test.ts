// The parts of the CLI that make every layout work alike: resources found by their type at any
// depth of parents, a plan that accounts for every mailbox the program declared, messages that
// name the commands that exist where the user stands, and what `init` writes.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { toolCommands } from "../../../runtime/commands-here";
import { helpAsFlag } from "../../../cli/main";
import { forStack, initialSettings, projectName, runInit } from "../../../cli/init-command";
import { CliError } from "../../../cli/cli-error";
import { identityOfStep, rowFromStep, unaccounted } from "../../../cli/plan-command";
import { nameOfUrn, parseUrn, RESOURCE_TYPE, typeOfUrn } from "../../../cli/resource-urn";

const PACKAGE_DIR = path.resolve(__dirname, "../../../..");
const TOP = `urn:pulumi:dev::mailbox-addresses::${RESOURCE_TYPE}::lee.chen@contoso.com`;
const NESTED = `urn:pulumi:dev::own::acme:mail:Mail$mailbox-addresses:index:MailboxAddressSpec$${RESOURCE_TYPE}::lee.chen@contoso.com`;

describe("resources found by their type, at any depth of parents", () => {
  it("a URN's own type and name, whatever its parents", () => {
    assert.equal(typeOfUrn(TOP), RESOURCE_TYPE);
    assert.equal(typeOfUrn(NESTED), RESOURCE_TYPE);
    assert.deepEqual(parseUrn(NESTED)?.parentTypes, ["acme:mail:Mail", "mailbox-addresses:index:MailboxAddressSpec"]);
    assert.equal(nameOfUrn(NESTED), "lee.chen@contoso.com");
    // A name may hold "::"; a type never does.
    assert.equal(nameOfUrn(`urn:pulumi:dev::p::${RESOURCE_TYPE}::a::b`), "a::b");
    assert.equal(typeOfUrn(`urn:pulumi:dev::p::acme:x:Y::${RESOURCE_TYPE}`), "acme:x:Y");
    assert.equal(parseUrn("not a urn"), undefined);
  });

  it("a step's identity is its inputs' identity, else its name", () => {
    assert.equal(identityOfStep(NESTED), "lee.chen@contoso.com");
    assert.equal(
      identityOfStep(`urn:pulumi:dev::own::${RESOURCE_TYPE}::ceo`, { identity: "ceo@contoso.com" }),
      "ceo@contoso.com",
    );
  });

  it("an update of a resource the program did not plan keeps the engine's verb (never 'none')", () => {
    assert.equal(rowFromStep("update", NESTED, {}, {}, {}, "lee.chen@contoso.com", false).change, "update");
    assert.equal(rowFromStep("update", NESTED, {}, {}, {}, "lee.chen@contoso.com", true).change, "none");
    assert.equal(rowFromStep("create", NESTED, {}).change, "adopt");
  });
});

describe("a plan accounts for every mailbox the program declared", () => {
  it("a declared mailbox without a step is a problem naming it", () => {
    const problems = unaccounted(
      { changes: {}, declared: ["a@contoso.com", "b@contoso.com"] },
      new Set(["a@contoso.com"]),
      false,
    );
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /declared a mailbox that the engine's steps do not show \("b@contoso\.com"\)/);
  });
  it("a program that reported nothing and showed no mailbox is a problem; a spec of no mailboxes is not", () => {
    assert.match(
      unaccounted(undefined, new Set(), false)[0]!,
      /neither declared a MailboxAddressSpec nor showed a MailboxAddresses resource/,
    );
    assert.deepEqual(unaccounted({ changes: {}, declared: [] }, new Set(), false), []);
    // A resource declared without the component: its steps are the plan.
    assert.deepEqual(unaccounted(undefined, new Set(["a@contoso.com"]), false), []);
  });
  it("a failed preview has its own errors: nothing more is added", () => {
    assert.deepEqual(unaccounted({ changes: {}, declared: ["a@contoso.com"] }, new Set(), true), []);
  });
  it("lists ten and counts the rest", () => {
    const declared = Array.from({ length: 12 }, (_, i) => `m${i}@contoso.com`);
    assert.match(unaccounted({ changes: {}, declared }, new Set(), false)[0]!, /12 mailboxes .*and 2 more/);
  });
});

describe("messages name the commands that exist where the user stands", () => {
  it("this checkout: its wrappers; elsewhere: pulumi and npx mailbox-addresses", () => {
    const checkout = mkdtempSync(path.join(os.tmpdir(), "mbx-here-"));
    try {
      mkdirSync(path.join(checkout, "scripts"));
      for (const file of ["pulumi", "mailbox-addresses", "up"]) writeFileSync(path.join(checkout, "scripts", file), "");
      assert.deepEqual(
        { pulumi: toolCommands(checkout).pulumi, tool: toolCommands(checkout).tool, up: toolCommands(checkout).up },
        { pulumi: "scripts/pulumi", tool: "scripts/mailbox-addresses", up: "scripts/up" },
      );
      const own = path.join(checkout, "own");
      mkdirSync(own);
      assert.equal(toolCommands(own).pulumi, "pulumi");
      assert.equal(toolCommands(own).tool, "npx mailbox-addresses");
      assert.equal(toolCommands(own).up, undefined);
      assert.match(toolCommands(own).setup, /install the Pulumi CLI/);
    } finally {
      rmSync(checkout, { recursive: true, force: true });
    }
  });
});

describe("init", () => {
  it("names the project after its folder, as Pulumi accepts it", () => {
    assert.equal(projectName("/tmp/Mailboxes GitOps"), "mailboxes-gitops");
    assert.equal(projectName("/tmp/---"), "mailbox-addresses-gitops");
  });
  it("the local target's settings point at the installed package's seed; flags become settings", () => {
    assert.deepEqual(initialSettings({}), {
      target: "local",
      spec: "mailboxes.yaml",
      localDatabase: ".tenant/local.sqlite",
      localSeed: "node_modules/mailbox-addresses/tenant/seeds/contoso.yaml",
    });
    const online = initialSettings({ target: "exchange-online", ...({ tenantId: "t", clientId: "c" } as object) });
    assert.equal(online.tenantId, "t");
    assert.equal(online.clientId, "c");
    assert.equal(online.localSeed, undefined);
  });
  it("a package.json already in the folder is read, checked: not JSON, or another project's, is refused and left alone", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "mbx-init-manifest-"));
    try {
      const manifest = path.join(dir, "package.json");
      const cases: [string, string][] = [
        ["{", `${manifest} is not JSON: init writes a new repository`],
        [`{"dependencies":["mailbox-addresses"]}`, `${manifest} at dependencies, an object expected, found a list: `],
        [`{"dependencies":{"left-pad":"1"}}`, `${dir} holds a package.json that does not depend on mailbox-addresses`],
      ];
      for (const [text, expected] of cases) {
        writeFileSync(manifest, text);
        await assert.rejects(
          runInit(dir, { stack: "dev" }),
          (err: Error) => err instanceof CliError && err.message.startsWith(expected),
          text,
        );
        assert.deepEqual(readdirSync(dir), ["package.json"], "nothing written");
        assert.equal(readFileSync(manifest, "utf8"), text);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("init's CI workflows", () => {
  it("are written for the stack init sets up: the variable, the settings file that triggers a run, the concurrency groups", () => {
    const template =
      "concurrency:\n  group: mailbox-addresses-drift-prod\n  group: mailbox-addresses-prod\nenv:\n  PULUMI_STACK: prod\n    paths: [mailboxes.yaml, Pulumi.prod.yaml]\n# the production environment\n";
    assert.equal(
      forStack(template, "dev"),
      "concurrency:\n  group: mailbox-addresses-drift-dev\n  group: mailbox-addresses-dev\nenv:\n  PULUMI_STACK: dev\n    paths: [mailboxes.yaml, Pulumi.dev.yaml]\n# the production environment\n",
    );
    // Every template init copies names no other stack once written for dev.
    for (const ci of ["github", "azure-devops"]) {
      for (const file of readdirSync(path.join(PACKAGE_DIR, "ci-templates", ci))) {
        assert.doesNotMatch(
          forStack(readFileSync(path.join(PACKAGE_DIR, "ci-templates", ci, file), "utf8"), "dev").replace(
            /\bproduction\b/g,
            "",
          ),
          /\bprod\b/,
          `${ci}/${file}`,
        );
      }
    }
    assert.equal(forStack(template, "prod"), template);
  });
});

describe("help a b", () => {
  it("shows the page of a b, as a b --help", () => {
    assert.deepEqual(helpAsFlag(["help", "tenant", "show"]), ["tenant", "show", "--help"]);
    assert.deepEqual(helpAsFlag(["help", "drift"]), ["help", "drift"]);
    assert.deepEqual(helpAsFlag(["drift", "help", "x"]), ["drift", "help", "x"]);
  });
});

describe("the command line as a user runs it (bin/mailbox-addresses.js, no Pulumi needed)", () => {
  const bin = path.resolve(__dirname, "../../../../bin/mailbox-addresses.js");
  const run = (script: string) =>
    spawnSync("bash", ["-c", script], { encoding: "utf8", env: { ...process.env, BIN: bin, NODE: process.execPath } });

  it("a reader that closes the pipe early ends it quietly, exit 0", () => {
    for (let i = 0; i < 5; i++) {
      // node's stderr is the spawn's (head reads stdout only): nothing may be there.
      const result = run(`"$NODE" "$BIN" plan --help | head -n 1 >/dev/null; exit \${PIPESTATUS[0]}`);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stderr, "");
    }
  });
  it("--stack '' is refused", () => {
    const result = run(`"$NODE" "$BIN" drift --stack ''`);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /--stack <name>' argument '' is invalid\. a stack name is needed/);
  });
  it("help tenant show shows tenant show's page", () => {
    const result = run(`"$NODE" "$BIN" help tenant show`);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^Usage: mailbox-addresses tenant show \[options\] <identity>/);
  });
});
