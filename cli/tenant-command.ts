// `mailbox-addresses tenant ...`: an admin's hand on the local tenant, to make drift on purpose
// in demos and tests. Writes go through the same Exchange rules as every other write.
import path from "node:path";
import { parseArgs } from "node:util";
import { DEFAULTS } from "../providers/defaults";
import { openLocalTenant } from "../providers/backends/local-backend";
import { remedyFor } from "../providers/explain";
import { findProjectRoot } from "../providers/project-root";
import { ExchangeError } from "../tenant/exchange-error";
import { loadSeedFile } from "../tenant/load-seed";
import { deleteLocalStore, markCreated, TenantStoreError } from "../tenant/local-store";
import { Tenant, type Recipient } from "../tenant/tenant";

function printRecipient(r: Recipient): void {
  const flags = [r.synced ? (r.cloudManaged ? "synced, Exchange attributes cloud-managed" : "synced from on-premises AD") : undefined].filter(Boolean);
  process.stdout.write(`${r.displayName} (${r.type}${flags.length ? `, ${flags.join(", ")}` : ""})\n`);
  if (r.upn) process.stdout.write(`  upn: ${r.upn}\n`);
  process.stdout.write(`  id:  ${r.id}\n  EmailAddresses:\n`);
  for (const entry of r.addresses) process.stdout.write(`    ${entry}\n`);
}

export async function runTenantCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...args],
    allowPositionals: true,
    options: { database: { type: "string" }, seed: { type: "string" } },
  });
  const root = findProjectRoot();
  const database = path.resolve(root, values.database ?? DEFAULTS.localDatabase);
  const seed = path.resolve(root, values.seed ?? DEFAULTS.localSeed);
  const [action, identity, ...entries] = positionals;

  if (action === "reset") {
    deleteLocalStore(database);
    process.stdout.write(`deleted ${path.relative(process.cwd(), database)}; the next use seeds it from ${path.relative(process.cwd(), seed)}\n`);
    return 0;
  }
  if (action === "seed") {
    const tenant = Tenant.open(database);
    try {
      const file = identity ? path.resolve(identity) : seed;
      tenant.seed(loadSeedFile(file));
      markCreated(database);
      process.stdout.write(`seeded ${path.relative(process.cwd(), database)} with ${tenant.count()} recipients from ${path.relative(process.cwd(), file)}\n`);
      return 0;
    } finally {
      tenant.close();
    }
  }
  const writes = ["set", "add", "remove"];
  if ((action !== "show" && !writes.includes(action ?? "")) || identity === undefined || (action !== "show" && entries.length === 0)) {
    process.stderr.write("usage: mailbox-addresses tenant show <identity> | set|add|remove <identity> <entry>... | seed [file] | reset\n");
    return 1;
  }
  let tenant: Tenant;
  try {
    tenant = openLocalTenant({ target: "local", database, seed }, root);
  } catch (err) {
    if (!TenantStoreError.isInstance(err)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 1;
  }
  try {
    if (action === "show") {
      const recipient = tenant.find(identity);
      if (recipient === undefined) {
        process.stderr.write(`no recipient "${identity}" in ${path.relative(process.cwd(), database)}\n`);
        return 1;
      }
      printRecipient(recipient);
      return 0;
    }
    try {
      if (action === "set") printRecipient(tenant.setEmailAddresses(identity, entries));
      else if (action === "add") printRecipient(tenant.addRemoveEmailAddresses(identity, entries, []));
      else printRecipient(tenant.addRemoveEmailAddresses(identity, [], entries));
      return 0;
    } catch (err) {
      if (!ExchangeError.isInstance(err)) throw err;
      for (const v of err.violations) process.stderr.write(`${v.message}\n`);
      process.stderr.write(`what to do: ${remedyFor(err.code, { identity, address: err.address, owner: err.owner?.displayName })}\n`);
      return 1;
    }
  } finally {
    tenant.close();
  }
}
