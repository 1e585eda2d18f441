// Benchmark (not a test): preview and drift of N directory-synced mailboxes read from a real
// Active Directory domain controller (Samba, harness/samba-dc.ts) through the active-directory
// target: the same assessment `pulumi preview` makes (reconcile/assess.ts) and the same path
// `mailbox-addresses drift` takes (reconcile/read-tenant.ts, then the assessment and
// core/drift/compute-drift.ts). Prints seconds, LDAP searches and pages: reads are one paged
// search (1,000 entries a page), never one search per mailbox. The first run on a machine seeds
// the users into a cached Samba template (about 5 minutes for 10,000).
//   node dist/bench/ad-synced.js [mailboxes]
import { computeDrift } from "../core/drift/compute-drift";
import { loadSpecText } from "../core/spec/load-spec";
import { startSambaDc, type SeedUser } from "../harness/samba-dc";
import { assessSpec } from "../reconcile/assess";
import { readSpecMailboxes } from "../reconcile/read-tenant";
import { ActiveDirectoryBackend } from "../targets/active-directory/active-directory-backend";
import { BIND_DN_VARIABLE, BIND_PASSWORD_VARIABLE } from "../targets/active-directory/directory-client";

const X500 = "X500:/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=synced";
const name = (i: number) => `syn${String(i).padStart(5, "0")}`;
const user = (i: number): SeedUser => ({
  name: name(i),
  upn: `${name(i)}@contoso.com`,
  mail: `${name(i)}@contoso.com`,
  proxyAddresses: [`SMTP:${name(i)}@contoso.com`, `smtp:${name(i)}@fabrikam.com`, `${X500}-${i}`],
});

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 10_000);
  const started = Date.now();
  const dc = await startSambaDc({ seed: { name: `synced-${count}-v1`, users: () => Array.from({ length: count }, (_, i) => user(i)) } });
  console.log(`[bench] Samba DC with ${count.toLocaleString("en-US")} users up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  process.env[BIND_DN_VARIABLE] = dc.admin.bindDn;
  process.env[BIND_PASSWORD_VARIABLE] = dc.admin.password;
  const lines = ["version: 1", "allowedDomains: [contoso.com, fabrikam.com]", "mailboxes:"];
  for (let i = 0; i < count; i++) lines.push(`  ${name(i)}@contoso.com:`, `    primary: ${name(i)}@contoso.com`, `    aliases: [${name(i)}@fabrikam.com]`);
  const loaded = loadSpecText("mailboxes.yaml", `${lines.join("\n")}\n`);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems.slice(0, 3)));
  const spec = loaded.spec;
  const identities = spec.mailboxes.map((m) => m.identity);
  const rows: string[] = [];
  try {
    for (const what of ["preview", "drift"] as const) {
      const backend = new ActiveDirectoryBackend({ url: dc.url, caFile: dc.caFile, baseDn: dc.baseDn });
      const t0 = Date.now();
      const memory = process.memoryUsage().rss;
      let changed: number;
      if (what === "preview") {
        const assessed = await assessSpec(spec, backend);
        if (assessed.problems.length > 0) throw new Error(assessed.problems.slice(0, 3).map((p) => p.message).join("; "));
        changed = [...assessed.change.plans.values()].filter((p) => p.changed).length;
      } else {
        const read = await readSpecMailboxes(backend, identities);
        const assessed = await assessSpec(spec, backend, { live: read, bulk: true });
        changed = computeDrift(spec, new Map([...assessed.live].map(([k, m]) => [k, m?.addresses])), assessed.live).filter((r) => r.change !== "none").length;
      }
      const seconds = (Date.now() - t0) / 1000;
      const { searches, pages, binds } = backend.directory.stats;
      await backend.close();
      rows.push(`| ${what} | ${count.toLocaleString("en-US")} | ${searches} | ${pages} | ${binds} | ${seconds.toFixed(1)} | ${changed} | ${Math.round((process.memoryUsage().rss - memory) / 2 ** 20)} |`);
    }
  } finally {
    await dc.stop();
  }
  console.log(["| run | synced mailboxes | LDAP searches | pages | binds | seconds | changed | RSS growth (MiB) |", "|---|---|---|---|---|---|---|---|", ...rows].join("\n"));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
