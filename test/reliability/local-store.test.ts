// The local tenant is never re-seeded behind the admin's back (issue 19, defect 9): a database
// that is missing after first use, truncated, foreign or corrupt is an error naming the path and
// `tenant reset`, with no SQLite stack trace; one deleted while a run uses it stops the writes.
// First use (no database, no marker) seeds, as documented.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, truncateSync, unlinkSync, writeFileSync, readFileSync, existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { LocalBackend } from "../../targets/local/local-backend";
import { TenantStoreError } from "../../tenant/local-store";
import { PROJECT_ROOT } from "../../harness/pulumi-stack";

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
      await assert.rejects(backend.setEmailAddresses("lee.chen@contoso.com", [...live.addresses, "smtp:lee.x@contoso.com"]), (err: unknown) => {
        assert.ok(TenantStoreError.isInstance(err));
        assert.match(err.message, /deleted while this run was using it; nothing more was written/);
        return true;
      });
    } finally {
      await backend.close();
    }
  });

  it("the CLI prints the store error without a stack trace, and tenant reset lets the next use seed", () => {
    firstUse("cli.sqlite");
    truncateSync(path.join(dir, "cli.sqlite"), 0);
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [path.join(PROJECT_ROOT, "bin/mailbox-addresses.js"), ...args, "--database", path.join(dir, "cli.sqlite"), "--seed", SEED], { cwd: dir, encoding: "utf8" });
    const show = run("tenant", "show", "lee.chen@contoso.com");
    assert.equal(show.status, 1);
    assert.match(show.stderr, /empty \(0 bytes\).*tenant reset/);
    assert.doesNotMatch(show.stderr, /\n\s+at /);
    assert.equal(run("tenant", "reset").status, 0);
    const again = run("tenant", "show", "lee.chen@contoso.com");
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /Lee Chen/);
  });
});
