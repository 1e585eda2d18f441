// The package in a Pulumi program of one's own: `npm pack` holds the built code and its types (no
// tests); installed from the tarball into a fresh consumer project, `new MailboxAddressSpec(...)`
// converges the local tenant with `pulumi up`, the resource finding its implementation through the
// installed package, and a conflict with a recipient outside the spec stops the preview with the
// spec's file:line:col, before anything is written.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { after, describe, it } from "node:test";
import { Tenant } from "../../tenant/tenant";
import { PROJECT_ROOT } from "../../harness/pulumi-stack";
import { packThisCheckout, pinnedPulumiSdk, TWO_MAILBOX_SPEC as SPEC, UserProject } from "../../harness/user-project";

describe("the npm package in a consumer's Pulumi program", () => {
  let project: UserProject | undefined;
  after(() => project?.dispose());

  it("npm pack holds the built code and types, not the tests", () => {
    const pack = spawnSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
      cwd: PROJECT_ROOT,
      encoding: "utf8",
    });
    assert.equal(pack.status, 0, pack.stderr);
    const files = (JSON.parse(pack.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    for (const needed of [
      "dist/index.js",
      "dist/index.d.ts",
      "dist/providers/mailbox-addresses/implementation.js",
      "dist/infra/mailbox-address-spec.d.ts",
      "bin/mailbox-addresses.js",
      "tenant/seeds/contoso.yaml",
      "ci-templates/github/mailbox-addresses-plan.yml", // what init copies into a repository of one's own
      "ci-templates/azure-devops/mailbox-addresses-plan.yml",
      "package.json",
    ]) {
      assert.ok(files.includes(needed), `${needed} is not in the package`);
    }
    assert.deepEqual(
      files.filter(
        (f) =>
          f.startsWith("dist/test/") ||
          f.startsWith("dist/bench/") ||
          !/^(dist|bin|ci-templates|schemas|tenant|README|CHANGELOG|package)/.test(f),
      ),
      [],
    );
  });

  it("installed from the tarball: MailboxAddressSpec converges with pulumi up; a conflict stops the preview at file:line:col", () => {
    const tarball = packThisCheckout();
    project = new UserProject("consumer");
    project.write(
      "package.json",
      JSON.stringify(
        {
          name: "consumer",
          private: true,
          dependencies: { "@pulumi/pulumi": pinnedPulumiSdk(), "mailbox-addresses": `file:${tarball}` },
        },
        null,
        2,
      ),
    );
    project.write(
      "Pulumi.yaml",
      "name: consumer\nruntime:\n  name: nodejs\n  options:\n    typescript: false\nmain: index.js\n",
    );
    project.write(
      "index.js",
      'const { MailboxAddressSpec } = require("mailbox-addresses");\nnew MailboxAddressSpec("tenant", { spec: "mailboxes.yaml" });\n',
    );
    project.write("mailboxes.yaml", SPEC);
    project.install();
    assert.equal(project.pulumi(["stack", "init", "test"]).code, 0);
    const database = path.join(project.dir, "tenant.sqlite");
    for (const [key, value] of [
      ["target", "local"],
      ["spec", "mailboxes.yaml"],
      ["localDatabase", database],
      ["localSeed", "node_modules/mailbox-addresses/tenant/seeds/contoso.yaml"],
    ]) {
      const set = project.pulumi(["config", "set", `mailbox-addresses:${key}`, value!]);
      assert.equal(set.code, 0, set.output);
    }
    const up = project.pulumi(["up", "--yes", "--skip-preview"]);
    assert.equal(up.code, 0, up.output);
    assert.match(up.output, /mailbox-addresses:index:MailboxAddressSpec/);
    assert.match(up.output, /4 created/); // the stack, the component and two mailboxes
    const lee = Tenant.withFile(database, (t) => t.find("lee.chen@contoso.com")!.addresses);
    assert.ok(lee.includes("smtp:lee.chen@fabrikam.com"), JSON.stringify(lee));
    // --refresh: the provider process reads each mailbox through the provider stored by name.
    const refreshed = project.pulumi(["preview", "--refresh", "--expect-no-changes"]);
    assert.equal(refreshed.code, 0, refreshed.output);
    // The installed package's provider is stored by name, not as serialized code (providers/mailbox-addresses/provider.ts).
    const exported = JSON.parse(project.pulumi(["stack", "export"]).stdout) as {
      deployment: { resources: { type: string; inputs?: { __provider?: string } }[] };
    };
    const stored = exported.deployment.resources
      .filter((r) => r.type === "pulumi-nodejs:dynamic/mailbox:MailboxAddresses")
      .map((r) => r.inputs?.__provider ?? "");
    assert.equal(stored.length, 2);
    for (const text of stored) assert.match(text, /require\("mailbox-addresses\/provider"\)/);

    // press@fabrikam.com belongs to a mail contact outside the spec: refused at preview.
    project.write(
      "mailboxes.yaml",
      SPEC.replace(
        "    aliases: [lee.chen@fabrikam.com]\n",
        "    aliases: [lee.chen@fabrikam.com, press@fabrikam.com]\n",
      ),
    );
    const writes = Tenant.withFile(database, (t) => t.writes().length);
    const conflict = project.pulumi(["preview"]);
    assert.notEqual(conflict.code, 0);
    assert.match(
      conflict.output,
      /mailboxes\.yaml:6:\d+: .*alias "press@fabrikam\.com" already belongs to mail contact "Press Office \(agency\)"/,
    );
    assert.equal(
      Tenant.withFile(database, (t) => t.writes().length),
      writes,
    );
  });
});
