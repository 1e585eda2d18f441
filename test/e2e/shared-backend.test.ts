// The sharded pattern on a shared state backend with locking (docs/TARGETED-RUNS.md, "Beyond one
// stack"): two shards' stacks on Azurite's blob storage as Pulumi's azblob:// backend, applied at
// the same time, then two `pulumi up` started together on one shard. The backend's lock (a blob
// under .pulumi/locks/) refuses the second; the state stays whole and the shard previews clean.
// The same at 100,000 mailboxes, timed: bench/scale/sharded-runs.ts.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { AzuriteProcess } from "../../harness/azurite";
import { TestStack } from "../../harness/pulumi-stack";
import { benchSeed, benchUser } from "../../bench/scale/generate-tenant";

const PER_SHARD = 30;

function shardSpec(s: number, extra = ""): string {
  const lines = ["version: 1", "allowedDomains: [contoso.com, fabrikam.com]", "mailboxes:"];
  for (let i = s * PER_SHARD; i < (s + 1) * PER_SHARD; i++)
    lines.push(
      `  ${benchUser(i)}@contoso.com:`,
      `    primary: ${benchUser(i)}@contoso.com${i === s * PER_SHARD ? extra : ""}`,
    );
  return `${lines.join("\n")}\n`;
}

/** `pulumi <args>` for a stack, without waiting: two can run at once. */
function start(stack: TestStack, args: string[]): Promise<{ code: number; output: string }> {
  const { file, args: full, cwd, env } = stack.command(args);
  return new Promise((resolve) => {
    const child = spawn(file, full, { cwd, env });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (output += d.toString("utf8")));
    child.on("close", (code) => resolve({ code: code ?? -1, output }));
  });
}

describe("shards on a shared azblob:// state backend (Azurite): concurrent applies, and the lock on one stack", () => {
  let azurite: AzuriteProcess;
  const shards: TestStack[] = [];

  before(async () => {
    azurite = await AzuriteProcess.start();
    for (let s = 0; s < 2; s++) {
      const stack = new TestStack(`azshard${s}`, {}, azurite.environment());
      // One local tenant per shard here (the benchmark shares the emulator's); the state is what is shared.
      stack.withTenant((tenant) => tenant.seed(benchSeed(2 * PER_SHARD)));
      stack.writeSpec(shardSpec(s));
      shards.push(stack);
    }
  });
  after(async () => {
    for (const stack of shards) stack.dispose();
    await azurite?.stop();
  });

  it("two shards adopt at the same time; each stack's state is in the bucket, not on disk", async () => {
    const results = await Promise.all(shards.map((stack) => start(stack, ["up", "--yes", "--skip-preview"])));
    for (const r of results) assert.equal(r.code, 0, r.output.slice(-3000));
    const stacks = await azurite.list(".pulumi/stacks/mailbox-addresses/");
    for (const stack of shards)
      assert.ok(stacks.includes(`.pulumi/stacks/mailbox-addresses/${stack.stack}.json`), JSON.stringify(stacks));
    assert.deepEqual(await azurite.list(".pulumi/locks/"), []);
  });

  it("a second up on a shard whose lock is held is refused, writes nothing, and the state stays whole", async () => {
    const [stack] = shards;
    stack!.writeSpec(shardSpec(0, `\n    aliases: [${benchUser(0)}@fabrikam.com]`));
    const writesBefore = stack!.withTenant((tenant) => tenant.writes().length);
    const first = start(stack!, ["up", "--yes", "--skip-preview"]);
    const waited = Date.now();
    while ((await azurite.list(".pulumi/locks/")).length === 0 && Date.now() - waited < 60_000)
      await new Promise((r) => setTimeout(r, 50));
    assert.equal((await azurite.list(".pulumi/locks/")).length, 1, "the first up holds the stack's lock");
    const second = await start(stack!, ["up", "--yes", "--skip-preview"]);
    assert.notEqual(second.code, 0, second.output);
    assert.match(second.output, /the stack is currently locked by 1 lock\(s\)/);
    const done = await first;
    assert.equal(done.code, 0, done.output.slice(-3000));
    // The first wrote its one change; the second wrote nothing.
    assert.equal(
      stack!.withTenant((tenant) => tenant.writes().length),
      writesBefore + 1,
    );
    assert.ok(
      stack!.withTenant((tenant) =>
        tenant.find(`${benchUser(0)}@contoso.com`)!.addresses.includes(`smtp:${benchUser(0)}@fabrikam.com`),
      ),
    );
    const exported = JSON.parse(stack!.run(["stack", "export"], { check: true }).stdout) as {
      deployment: { resources: { type: string }[]; pending_operations?: unknown[] };
    };
    assert.equal(exported.deployment.resources.filter((r) => r.type.includes("MailboxAddresses")).length, PER_SHARD);
    assert.deepEqual(exported.deployment.pending_operations ?? [], []);
    assert.deepEqual(await azurite.list(".pulumi/locks/"), []);
    const clean = stack!.preview("--expect-no-changes");
    assert.equal(clean.code, 0, clean.output.slice(-3000));
  });
});
