// The local tenant is never re-seeded behind the admin's back (issue 19, defect 9): a database
// that is missing after first use, truncated, foreign or corrupt is an error naming the path and
// `tenant reset`, with no SQLite stack trace; one deleted while a run uses it stops the writes.
// First use (no database, no marker) seeds, as documented. Through `pulumi` (issue 25) each of
// these is one message with the remedy, not ~52 trace lines (a TenantStoreError's stack, then "the
// provider was not configured" per mailbox), and scribbled pages are found when the store opens
// (SQLite's quick_check, its cost measured here).
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, truncateSync, unlinkSync, writeFileSync, readFileSync, existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { LocalBackend } from "../../targets/local/local-backend";
import { TenantStoreError } from "../../tenant/local-store";
import { PROJECT_ROOT, TestStack } from "../../harness/pulumi-stack";
import { generatedMailbox } from "../../harness/generated-mailbox";
import { checkStoreIntegrity } from "../../tenant/local-store";
import { Tenant } from "../../tenant/tenant";
import { loadSeedFile } from "../../tenant/load-seed";

const dir = mkdtempSync(path.join(os.tmpdir(), "mbx-store-"));
const SEED = path.join(PROJECT_ROOT, "tenant/seeds/contoso.yaml");
const settings = (name: string) => ({ target: "local" as const, database: path.join(dir, name), seed: SEED });

function refusal(name: string): TenantStoreError {
  try {
    new LocalBackend(settings(name), dir);
  } catch (err) {
    assert.ok(TenantStoreError.isInstance(err), `not a TenantStoreError: ${(err as Error).stack}`);
    assert.ok(err.message.includes(path.join(dir, name)), err.message);
    assert.match(err.message, /tenant reset/);
    assert.doesNotMatch(err.message, /\n\s+at /);
    return err;
  }
  assert.fail(`${name} was opened (and would have been re-seeded)`);
}

function firstUse(name: string): void {
  const backend = new LocalBackend(settings(name), dir);
  void backend.close();
}

describe("reliability: the local store", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("seeds on first use only; a deleted database is an error, not a fresh seed", () => {
    firstUse("deleted.sqlite");
    assert.ok(existsSync(path.join(dir, "deleted.sqlite.created")));
    for (const suffix of ["", "-wal", "-shm"]) rmSync(path.join(dir, `deleted.sqlite${suffix}`), { force: true });
    assert.match(refusal("deleted.sqlite").message, /missing, but it was created .* deleted or moved/);
  });

  it("a truncated, a foreign and a corrupt database are errors with the path and the remedy", () => {
    firstUse("truncated.sqlite");
    truncateSync(path.join(dir, "truncated.sqlite"), 0);
    assert.match(refusal("truncated.sqlite").message, /empty \(0 bytes\)/);

    writeFileSync(path.join(dir, "foreign.sqlite"), "this is not a database\n");
    assert.match(refusal("foreign.sqlite").message, /not an SQLite database/);

    firstUse("corrupt.sqlite");
    const file = path.join(dir, "corrupt.sqlite");
    const bytes = readFileSync(file);
    // Keep the header, scribble over the schema page and the rest.
    for (let i = 100; i < bytes.length; i++) bytes[i] = (i * 31) & 0xff;
    writeFileSync(file, bytes);
    rmSync(`${file}-wal`, { force: true });
    rmSync(`${file}-shm`, { force: true });
    assert.match(refusal("corrupt.sqlite").message, /damaged|no tenant/);
  });

  it("a database deleted while a run uses it stops the writes", async () => {
    const backend = new LocalBackend(settings("midrun.sqlite"), dir);
    try {
      const live = (await backend.readMailboxes(["lee.chen@contoso.com"])).get("lee.chen@contoso.com")!;
      unlinkSync(path.join(dir, "midrun.sqlite"));
      await assert.rejects(
        backend.setEmailAddresses("lee.chen@contoso.com", [...live.addresses, "smtp:lee.x@contoso.com"]),
        (err: unknown) => {
          assert.ok(TenantStoreError.isInstance(err));
          assert.match(err.message, /deleted while this run was using it; nothing more was written/);
          return true;
        },
      );
    } finally {
      await backend.close();
    }
  });

  it("the CLI prints the store error without a stack trace, and tenant reset lets the next use seed", () => {
    firstUse("cli.sqlite");
    truncateSync(path.join(dir, "cli.sqlite"), 0);
    const run = (...args: string[]) =>
      spawnSync(
        process.execPath,
        [
          path.join(PROJECT_ROOT, "bin/mailbox-addresses.js"),
          ...args,
          "--database",
          path.join(dir, "cli.sqlite"),
          "--seed",
          SEED,
        ],
        { cwd: dir, encoding: "utf8" },
      );
    const show = run("tenant", "show", "lee.chen@contoso.com");
    assert.equal(show.status, 1);
    assert.match(show.stderr, /empty \(0 bytes\).*tenant reset/);
    assert.doesNotMatch(show.stderr, /\n\s+at /);
    assert.equal(run("tenant", "reset").status, 0);
    const again = run("tenant", "show", "lee.chen@contoso.com");
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /Lee Chen/);
  });

  it("scribbled pages in the middle of a large store are found when it opens; the check's cost", (t) => {
    const file = path.join(dir, "pages.sqlite");
    Tenant.withFile(file, (tenant) => {
      for (let i = 0; i < 5000; i++)
        tenant.addRecipient(generatedMailbox(`pg${String(i).padStart(5, "0")}@contoso.com`, { x500: true }));
    });
    const size = readFileSync(file).length;
    const started = process.hrtime.bigint();
    checkStoreIntegrity(file);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    // Scribble over a page in the middle (page size 4096): the header and schema stay intact.
    const bytes = readFileSync(file);
    const page = Math.floor(bytes.length / 4096 / 2) * 4096;
    for (let i = page + 8; i < page + 4096; i++) bytes[i] = (i * 131) & 0xff;
    writeFileSync(file, bytes);
    assert.throws(
      () => checkStoreIntegrity(file),
      (err: unknown) =>
        TenantStoreError.isInstance(err) && /damaged/.test(err.message) && /tenant reset/.test(err.message),
    );
    t.diagnostic(
      `figures: quick_check of a ${(size / 1024 / 1024).toFixed(1)} MiB store of 5,000 mailboxes took ${ms.toFixed(0)} ms (one pass over ${Math.round(size / 4096)} pages); a scribbled page found: yes`,
    );
  });
});

describe("reliability: the local store's errors through pulumi", () => {
  const TRACE = /^\s+at \S/m;
  let stack: TestStack;
  const spec = (alias: string) =>
    `version: 1\nallowedDomains: [contoso.com]\nmailboxes:\n${Array.from({ length: 40 }, (_, i) => `  st${i}@contoso.com:\n    primary: st${i}@contoso.com\n    aliases: [st${i}.${alias}@contoso.com]\n`).join("")}`;
  const seed = () => {
    for (const suffix of ["", "-wal", "-shm", ".created"]) rmSync(stack.database + suffix, { force: true });
    Tenant.withFile(stack.database, (tenant) => {
      tenant.seed(loadSeedFile(SEED));
      for (let i = 0; i < 40; i++) tenant.addRecipient(generatedMailbox(`st${i}@contoso.com`));
    });
  };
  after(() => stack?.dispose());

  /** What a user sees: lines, trace lines, how often the store's message is printed. */
  function measure(output: string) {
    const lines = output.split("\n").filter((l) => l.trim() !== "");
    return {
      lines: lines.length,
      errors: lines.filter((l) => /\berror:/.test(l)).length,
      traces: lines.filter((l) => TRACE.test(l)).length,
      told: lines.filter((l) => l.includes(`local tenant "${stack.database}"`)).length,
    };
  }

  it("an empty, truncated, deleted or foreign store: one message with the remedy per preview and up, no trace", (t) => {
    stack = new TestStack("storefail");
    seed();
    stack.writeSpec(spec("a"));
    assert.equal(stack.up().code, 0);
    const breakings: [string, () => void, RegExp][] = [
      ["empty", () => truncateSync(stack.database, 0), /empty \(0 bytes\)/],
      ["truncated", () => truncateSync(stack.database, 4096 * 2), /damaged|no tenant/],
      ["deleted", () => rmSync(stack.database), /missing, but it was created/],
      [
        "not SQLite",
        () => writeFileSync(stack.database, "PK\u0003\u0004 a zip file, not a database\n".repeat(200)),
        /not an SQLite database/,
      ],
    ];
    for (const [name, breakIt, expected] of breakings) {
      seed();
      stack.writeSpec(spec("a"));
      assert.equal(stack.up().code, 0);
      for (const suffix of ["-wal", "-shm"]) rmSync(stack.database + suffix, { force: true });
      breakIt();
      stack.writeSpec(spec("b"));
      for (const command of ["preview", "up"] as const) {
        const run = command === "preview" ? stack.preview() : stack.up();
        assert.notEqual(run.code, 0, `${name} ${command}`);
        assert.match(run.output, expected, `${name} ${command}`);
        assert.match(run.output, /tenant reset/);
        assert.doesNotMatch(run.output, /not configured/);
        const seen = measure(run.output);
        // One error as the engine renders it: as it happens, on the failed status line (up), and in its summary.
        assert.equal(seen.traces, 0, run.output);
        assert.ok(seen.told <= 3, `${name} ${command}: the message ${seen.told} times\n${run.output}`);
        // The engine's own lines: the failed resource, the stack's "preview/update failed", their summary.
        assert.ok(seen.errors <= 6, `${name} ${command}: ${seen.errors} error lines\n${run.output}`);
        t.diagnostic(
          `figures: ${name} store, ${command} of 40 mailboxes: ${seen.errors} error lines (the message ${seen.told} times), ${seen.traces} trace lines; ${seen.lines} lines in all, most of them the engine's per-mailbox progress`,
        );
      }
    }
  });

  it("a store deleted during an up: writes stop, the cause is told once, no trace", async (t) => {
    seed();
    stack.writeSpec(spec("a"));
    assert.equal(stack.up().code, 0);
    stack.writeSpec(spec("c"));
    const { file, args, cwd, env } = stack.command(["up", "--yes", "--skip-preview"]);
    const child = spawn(file, args, { cwd, env });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString("utf8")));
    child.stderr.on("data", (d: Buffer) => (output += d.toString("utf8")));
    const done = new Promise<number>((resolve) => child.on("close", (code) => resolve(code ?? -1)));
    // Delete the file as soon as the first write has landed.
    let deleted = false;
    while (!deleted && child.exitCode === null) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      if (
        /st\d+\.c@contoso\.com/.test(readFileSync(stack.database).toString("latin1")) ||
        (existsSync(`${stack.database}-wal`) &&
          /st\d+\.c@contoso\.com/.test(readFileSync(`${stack.database}-wal`).toString("latin1")))
      ) {
        unlinkSync(stack.database);
        deleted = true;
      }
    }
    const code = await done;
    assert.ok(deleted, `the up ended before a write was seen:\n${output}`);
    assert.notEqual(code, 0, output);
    assert.match(output, /deleted while this run was using it; nothing more was written/);
    const seen = measure(output);
    assert.equal(seen.traces, 0, output);
    assert.ok(seen.told <= 3, `the full message ${seen.told} times\n${output}`);
    assert.ok(seen.errors <= 40, `${seen.errors} error lines\n${output}`);
    const short = output.split("\n").filter((l) => l.includes("not written: the tenant cannot be used")).length;
    t.diagnostic(
      `figures: store deleted during an up of 40 mailboxes: ${seen.errors} error lines, the full message ${seen.told} times, ${short} one-line "not written" errors, ${seen.traces} trace lines`,
    );
  });
});
