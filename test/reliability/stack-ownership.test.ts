// One owner per recipient across the stacks of one state backend (issue 25): two stacks that both
// managed one mailbox undid each other on every `up` (4 writes in 2 rounds, all exit 0). Now the
// second stack's preview refuses, naming the stack that manages the recipient, at a cost of one
// listing and at most one small read per other stack; releasing the recipient (removing it from
// the first spec, `pulumi up`) frees it. On a file:// backend and on Azurite as azblob://.
// Prints its figures: reads per other stack, bytes read, writes to the tenant.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { AzuriteProcess } from "../../harness/azurite";
import { TestStack } from "../../harness/pulumi-stack";
import { loadSeedFile } from "../../tenant/load-seed";
import { Tenant } from "../../tenant/tenant";

const HEADER = "version: 1\nallowedDomains: [contoso.com]\nmailboxes:\n";
const entry = (identity: string, extra = "") => `  ${identity}:\n    primary: ${identity}\n${extra}`;
const LEE = "lee.chen@contoso.com";

interface Cost {
  stack: string;
  dryRun: boolean;
  lists: number;
  reads: number;
  bytesRead: number;
  writes: number;
}

async function scenario(
  name: string,
  backend: () => Promise<{ env: Record<string, string>; cleanup: () => Promise<void> }>,
  t: { diagnostic(text: string): void },
) {
  const { env, cleanup } = await backend();
  const shared = mkdtempSync(path.join(os.tmpdir(), `mbx-owners-${name}-`));
  const costFile = path.join(shared, "cost.jsonl");
  const database = path.join(shared, "tenant.sqlite");
  // Three stacks, one tenant: a and b both want lee.chen; c manages another mailbox.
  const stackEnv = { ...env, MAILBOX_ADDRESSES_OWNERSHIP_COST: costFile };
  const stacks = ["a", "b", "c"].map((s) => new TestStack(`own${name}${s}`, { localDatabase: database }, stackEnv));
  const [a, b, c] = stacks as [TestStack, TestStack, TestStack];
  const costs = (): Cost[] =>
    readFileSync(costFile, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Cost);
  try {
    Tenant.withFile(database, (tenant) => tenant.seed(loadSeedFile()));
    const aliases = () =>
      Tenant.withFile(database, (tenant) =>
        tenant
          .resolve(LEE)!
          .addresses.filter((x) => x.startsWith("smtp:"))
          .sort(),
      );
    const before = aliases();
    a.writeSpec(HEADER + entry(LEE, "    aliases: [lee.a@contoso.com]\n"));
    assert.equal(a.up().code, 0);
    c.writeSpec(HEADER + entry("tom.brooks@contoso.com"));
    assert.equal(c.up().code, 0);
    const afterA = aliases();
    assert.ok(afterA.includes("smtp:lee.a@contoso.com"), JSON.stringify(afterA));

    // b wants the same recipient with other aliases: refused at preview, naming a; nothing written.
    b.writeSpec(HEADER + entry(LEE, "    aliases: [lee.b@contoso.com]\n") + entry("mark.wilson@contoso.com"));
    writeFileSync(costFile, "");
    const refused = b.preview();
    assert.notEqual(refused.code, 0, refused.output);
    assert.match(
      refused.output,
      new RegExp(`mailbox "${LEE}": stack "mailbox-addresses/${a.stack}" manages this recipient`),
    );
    assert.match(
      refused.output,
      /1 recipient is managed by another stack of this state backend \(above\); nothing was changed/,
    );
    const up = b.up();
    assert.notEqual(up.code, 0);
    assert.deepEqual(aliases(), afterA, "b wrote nothing");
    const previewCost = costs().find((x) => x.stack === b.stack)!;
    // Two other stacks (a, c): one listing, one read each.
    assert.equal(previewCost.lists, 1);
    assert.ok(previewCost.reads <= 2, JSON.stringify(previewCost));
    assert.ok(previewCost.bytesRead < 2048, JSON.stringify(previewCost));
    t.diagnostic(
      `${name}: b's refused preview: ${previewCost.lists} listing, ${previewCost.reads} reads for 2 other stacks, ${previewCost.bytesRead} bytes; writes to the tenant by b: 0`,
    );

    // a releases lee.chen (its spec no longer lists it): the next up frees it, and b may take it.
    a.writeSpec(HEADER + entry("anna.kowalski@contoso.com"));
    assert.equal(a.up().code, 0);
    const taken = b.up();
    assert.equal(taken.code, 0, taken.output);
    const afterB = aliases();
    assert.ok(
      afterB.includes("smtp:lee.b@contoso.com") && !afterB.includes("smtp:lee.a@contoso.com"),
      JSON.stringify(afterB),
    );
    // and now a may not take it back.
    a.writeSpec(HEADER + entry("anna.kowalski@contoso.com") + entry(LEE));
    const back = a.preview();
    assert.notEqual(back.code, 0);
    assert.match(back.output, new RegExp(`stack "mailbox-addresses/${b.stack}" manages this recipient`));
    t.diagnostic(
      `${name}: aliases of ${LEE}: before ${before.length}, after a ${afterA.length}, after b took it ${afterB.length}`,
    );
  } finally {
    for (const s of stacks) s.dispose();
    rmSync(shared, { recursive: true, force: true });
    await cleanup();
  }
}

describe("reliability: one stack per recipient in a state backend", () => {
  let azurite: AzuriteProcess | undefined;
  before(async () => {
    azurite = await AzuriteProcess.start();
  });
  after(async () => {
    await azurite?.stop();
  });

  it("file:// backend: the second stack's preview refuses, naming the first; a release frees the recipient", async (t) => {
    await scenario(
      "file",
      async () => {
        const dir = mkdtempSync(path.join(os.tmpdir(), "mbx-owners-state-"));
        return {
          env: { PULUMI_BACKEND_URL: `file://${dir}` },
          cleanup: async () => rmSync(dir, { recursive: true, force: true }),
        };
      },
      t,
    );
  });

  it("azblob:// backend (Azurite): the same", async (t) => {
    await scenario("blob", async () => ({ env: azurite!.environment(), cleanup: async () => undefined }), t);
  });
});
