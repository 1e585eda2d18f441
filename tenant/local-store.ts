// The local target's store: a SQLite file that is seeded once, on first use, and never again
// behind the admin's back. A file that is missing after it was created, empty, not a database,
// corrupt or without a tenant is an error that names the path and the remedy (`tenant reset`);
// a file deleted or replaced while a run uses it stops that run's writes.
//
// First use is the one case that seeds: neither the database nor its marker file
// (`<database>.created`, written when the tenant is seeded) exists. `tenant reset` deletes both.
import { DatabaseSync } from "node:sqlite";
import { closeSync, existsSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from "node:fs";
import { quote } from "../core/text";
import { MailboxAddressesError } from "../core/errors";
import { toolCommands } from "../runtime/commands-here";
import { Tenant } from "./tenant";
import type { TenantSeed } from "./seed-types.generated";

/** The reset command, as it exists where the user stands (runtime/commands-here.ts). */
const RESET = () => `${toolCommands().tool} tenant reset`;

/** The local store cannot be used: the path, what is wrong, what to do. */
export class TenantStoreError extends MailboxAddressesError {
  declare readonly file: string;

  constructor(file: string, cause: string, remedy: string) {
    super(`local tenant ${quote(file, 200)}: ${cause}. ${remedy}`, { file, remedy });
    this.name = "TenantStoreError";
  }

  static isInstance(value: unknown): value is TenantStoreError {
    return value instanceof Error && value.name === "TenantStoreError";
  }
}

const markerOf = (database: string) => `${database}.created`;

const resetRemedy = (what: string) =>
  `Nothing was re-seeded. Restore the file from a backup, or run \`${RESET()}\` to start again from the seed (${what})`;

/** Deletes the database, its journal files and its marker: the next use seeds afresh. */
export function deleteLocalStore(database: string): void {
  for (const suffix of ["", "-wal", "-shm", "-journal", ".created"]) rmSync(database + suffix, { force: true });
}

/** Records that the database was created and seeded, so a later loss of it is noticed. */
export function markCreated(database: string): void {
  writeFileSync(
    markerOf(database),
    `created ${new Date().toISOString()}; deleting the database without \`${RESET()}\` is reported, not re-seeded\n`,
    { mode: 0o600 },
  );
}

function looksLikeSqlite(database: string): boolean {
  const fd = openSync(database, "r");
  try {
    const header = Buffer.alloc(16);
    const n = readSync(fd, header, 0, 16, 0);
    return n === 16 && header.toString("latin1") === "SQLite format 3\0";
  } finally {
    closeSync(fd);
  }
}

/**
 * SQLite's own check of every page (`PRAGMA quick_check`: b-tree structure, cells, free list;
 * https://sqlite.org/pragma.html#pragma_quick_check) on opening: scribbled pages were otherwise read
 * as a tenant with mailboxes missing, or failed halfway through a run. Measured in
 * test/reliability/local-store.test.ts (one pass over the file's pages).
 */
export function checkStoreIntegrity(database: string): void {
  let db: DatabaseSync | undefined;
  let verdict: string;
  try {
    db = new DatabaseSync(database, { readOnly: true });
    const row = db.prepare("PRAGMA quick_check(1)").get() as Record<string, unknown> | undefined;
    verdict = String(Object.values(row ?? {})[0] ?? "no answer");
  } catch (err) {
    throw storeFailure(database, err);
  } finally {
    db?.close();
  }
  if (verdict !== "ok") {
    throw new TenantStoreError(
      database,
      `the database is damaged (SQLite's check: ${quote(verdict, 120).slice(1, -1)})`,
      resetRemedy("its addresses are lost"),
    );
  }
}

/** Turns an SQLite failure on the store into a {@link TenantStoreError}; other errors pass. */
export function storeFailure(database: string, err: unknown): Error {
  if (TenantStoreError.isInstance(err)) return err;
  const code = (err as { code?: string }).code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === "ERR_SQLITE_ERROR" || /^(database|file is not a database|disk I\/O)/i.test(message)) {
    return new TenantStoreError(
      database,
      `the database is damaged (SQLite: ${quote(message.split("\n")[0], 120).slice(1, -1)})`,
      resetRemedy("its addresses are lost"),
    );
  }
  return err instanceof Error ? err : new Error(message);
}

/**
 * Opens the local store, seeding it only on first use. `seed` is read only then. Throws a
 * {@link TenantStoreError} for a store that was lost or damaged.
 */
export function openLocalStore(database: string, seed: () => TenantSeed): Tenant {
  if (!existsSync(database)) {
    if (existsSync(markerOf(database))) {
      const created = readFileSync(markerOf(database), "utf8").split(";")[0]!.trim();
      throw new TenantStoreError(
        database,
        `the database is missing, but it was ${quote(created, 60).slice(1, -1)} and has been deleted or moved since`,
        resetRemedy("the seed's addresses replace whatever the tenant held"),
      );
    }
    // The seed is read before the file is made: a seed that cannot be read leaves nothing behind
    // (an empty database would read as "holds no tenant" on the next use).
    const data = seed();
    const tenant = Tenant.open(database);
    try {
      tenant.seed(data);
      markCreated(database);
      return tenant;
    } catch (err) {
      tenant.close();
      deleteLocalStore(database);
      throw err;
    }
  }
  const size = statSync(database).size;
  if (size === 0)
    throw new TenantStoreError(
      database,
      "the database file is empty (0 bytes): it was truncated",
      resetRemedy("its addresses are lost"),
    );
  if (!looksLikeSqlite(database))
    throw new TenantStoreError(database, "the file is not an SQLite database", resetRemedy("its addresses are lost"));
  checkStoreIntegrity(database);
  let tenant: Tenant;
  try {
    tenant = Tenant.open(database);
  } catch (err) {
    throw storeFailure(database, err);
  }
  try {
    if (!tenant.isSeeded())
      throw new TenantStoreError(
        database,
        "the database holds no tenant (it was emptied or never seeded)",
        resetRemedy("its addresses are lost"),
      );
    if (!existsSync(markerOf(database))) markCreated(database);
    return tenant;
  } catch (err) {
    tenant.close();
    throw storeFailure(database, err);
  }
}

/**
 * Notices when the store's file is deleted or replaced under a running process (SQLite would go on
 * writing to the deleted file, and the next run would find the file gone). Call before each use.
 */
export class StoreIdentity {
  readonly #database: string;
  readonly #identity: string;

  constructor(database: string) {
    this.#database = database;
    this.#identity = StoreIdentity.#of(database) ?? "";
  }

  static #of(database: string): string | undefined {
    try {
      const stat = statSync(database);
      return `${stat.dev}:${stat.ino}`;
    } catch {
      return undefined;
    }
  }

  /** Throws when the file is no longer the one this process opened. */
  check(): void {
    const now = StoreIdentity.#of(this.#database);
    if (now === this.#identity) return;
    throw new TenantStoreError(
      this.#database,
      now === undefined
        ? "the database was deleted while this run was using it; nothing more was written"
        : "the database was replaced while this run was using it; nothing more was written",
      resetRemedy("the seed's addresses replace whatever the tenant held"),
    );
  }
}
