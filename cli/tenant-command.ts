// `mailbox-addresses tenant ...`: an admin's hand on the local tenant, to make drift on purpose
// in demos and tests. Writes go through the same Exchange rules as every other write.
import { existsSync } from "node:fs";
import path from "node:path";
import { openLocalTenant, seedFileOf } from "../targets/local/local-backend";
import { LOCAL_DEFAULTS } from "../targets/local/target";
import { remedyFor } from "../reconcile/explain";
import { findProjectRoot } from "../runtime/project-root";
import { ExchangeError } from "../exchange/exchange-error";
import { loadSeedFile } from "../tenant/load-seed";
import { deleteLocalStore, markCreated } from "../tenant/local-store";
import { RECIPIENT_KINDS } from "../exchange/exchange-rules";
import { Tenant, type Recipient } from "../tenant/tenant";
import { CliError } from "./cli-error";

export interface TenantOptions {
  /** The local tenant's database (default .tenant/local.sqlite). */
  readonly database?: string;
  /** The seed used when the database is empty (default: the shipped one). */
  readonly seed?: string;
}

/** The database and the seed, relative to the project (the seed by default the package's own: seedFileOf). */
function paths(options: TenantOptions): { root: string; database: string; seed: string } {
  const root = findProjectRoot();
  return {
    root,
    database: path.resolve(root, options.database ?? LOCAL_DEFAULTS.localDatabase),
    seed: seedFileOf({ seed: options.seed ?? LOCAL_DEFAULTS.localSeed }, root),
  };
}

function printRecipient(r: Recipient): void {
  const flags = [
    r.synced
      ? r.cloudManaged
        ? "synced, Exchange attributes cloud-managed"
        : "synced from on-premises AD"
      : undefined,
  ].filter(Boolean);
  // The precise kind (RecipientTypeDetails) and the cmdlet that writes it.
  process.stdout.write(
    `${r.displayName} (${r.kind}: ${RECIPIENT_KINDS[r.kind].noun}, written with ${RECIPIENT_KINDS[r.kind].setCmdlet}${flags.length ? `, ${flags.join(", ")}` : ""})\n`,
  );
  if (r.upn) process.stdout.write(`  upn: ${r.upn}\n`);
  if (r.externalEmailAddress) process.stdout.write(`  ExternalEmailAddress: SMTP:${r.externalEmailAddress}\n`);
  process.stdout.write(`  id:  ${r.id}\n  EmailAddresses:\n`);
  for (const entry of r.addresses) process.stdout.write(`    ${entry}\n`);
}

export function runTenantReset(options: TenantOptions): number {
  const { database, seed } = paths(options);
  deleteLocalStore(database);
  process.stdout.write(
    `deleted ${path.relative(process.cwd(), database)}; the next use seeds it from ${path.relative(process.cwd(), seed)}\n`,
  );
  return 0;
}

export function runTenantSeed(file: string | undefined, options: TenantOptions): number {
  const { root, database, seed } = paths(options);
  const source = file ? path.resolve(file) : seed;
  if (!existsSync(source))
    throw new CliError(
      `the seed ${path.relative(process.cwd(), source) || source} does not exist; nothing was changed (the package's own seed: ${seedFileOf({ seed: LOCAL_DEFAULTS.localSeed }, root)})`,
    );
  // Read first: a seed that cannot be read leaves the database as it was (or not made at all).
  const data = loadSeedFile(source);
  const tenant = Tenant.open(database);
  try {
    tenant.seed(data);
    markCreated(database);
    process.stdout.write(
      `seeded ${path.relative(process.cwd(), database)} with ${tenant.count()} recipients from ${path.relative(process.cwd(), source)}\n`,
    );
    return 0;
  } finally {
    tenant.close();
  }
}

export function runTenantShow(identity: string, options: TenantOptions): number {
  const { root, database, seed } = paths(options);
  const tenant = openLocalTenant({ target: "local", database, seed }, root);
  try {
    const recipient = tenant.resolve(identity);
    if (recipient === undefined) {
      process.stderr.write(`error: no recipient "${identity}" in ${path.relative(process.cwd(), database)}\n`);
      return 1;
    }
    printRecipient(recipient);
    return 0;
  } finally {
    tenant.close();
  }
}

/** `tenant set|add|remove`: Set-Mailbox -EmailAddresses with a whole list, or @{Add}/@{Remove}. */
export function runTenantWrite(
  action: "set" | "add" | "remove",
  identity: string,
  entries: readonly string[],
  options: TenantOptions,
): number {
  const { root, database, seed } = paths(options);
  const tenant = openLocalTenant({ target: "local", database, seed }, root);
  try {
    if (action === "set") printRecipient(tenant.setEmailAddresses(identity, entries));
    else if (action === "add") printRecipient(tenant.addRemoveEmailAddresses(identity, entries, []));
    else printRecipient(tenant.addRemoveEmailAddresses(identity, [], entries));
    return 0;
  } catch (err) {
    if (!ExchangeError.isInstance(err)) throw err;
    for (const v of err.violations) process.stderr.write(`error: ${v.message}\n`);
    process.stderr.write(
      `what to do: ${remedyFor(err.code, { identity, address: err.address, owner: err.owner?.displayName })}\n`,
    );
    return 1;
  } finally {
    tenant.close();
  }
}
