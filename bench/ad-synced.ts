// Benchmark (not a test): preview and drift of N directory-synced mailboxes read from a real
// Active Directory domain controller (Samba, harness/samba-dc.ts) through the active-directory
// target: the same assessment `pulumi preview` makes (reconcile/assess.ts) and the same path
// `mailbox-addresses drift` takes (reconcile/read-tenant.ts, then the assessment and
// core/drift/compute-drift.ts). Prints seconds, LDAP searches and pages: reads are one paged
// search (1,000 entries a page), never one search per mailbox. The first run on a machine seeds
// the users into a cached Samba template (about 5 minutes for 10,000).
// With --hybrid, the same through the hybrid target: the emulator (in this process, over HTTPS)
// holds the N users as synced, and Exchange Online is read for all of them before AD.
//   node dist/bench/ad-synced.js [mailboxes] [--hybrid]
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { computeDrift } from "../core/drift/compute-drift";
import { ensureSecrets } from "../emulator/certificates";
import { commandLine } from "../harness/command-line";
import { startEmulator, type RunningEmulator } from "../emulator/server";
import { loadSeedFile } from "../tenant/load-seed";
import { ExchangeOnlineBackend } from "../targets/exchange-online/exchange-online-backend";
import { settingsForEndpoints } from "../targets/exchange-online/target";
import { HybridBackend } from "../targets/hybrid/hybrid-backend";
import type { TenantBackend } from "../targets/tenant-backend";
import { loadSpecText } from "../core/desired/load-spec";
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

/** The emulator with the N users as synced cloud users, synced once from the DC. */
async function hybridEmulator(
  count: number,
  dc: { url: string; caFile: string; baseDn: string },
): Promise<RunningEmulator> {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), "mbx-bench-hybrid-"));
  copyFileSync(path.join(process.env.BENCH_SECRETS!, "secrets.json"), path.join(stateDir, "secrets.json"));
  const seed = loadSeedFile();
  seed.recipients = [];
  for (let i = 0; i < count; i++) {
    seed.recipients.push({
      id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
      upn: `${name(i)}@contoso.com`,
      displayName: name(i),
      type: "UserMailbox",
      synced: true,
      addresses: [`SMTP:${name(i)}@contoso.com`],
    });
  }
  const emulator = await startEmulator({ stateDir, directory: { url: dc.url, caFile: dc.caFile, baseDn: dc.baseDn } });
  emulator.tenant.seed(seed);
  const started = Date.now();
  const report = await fetch(`${emulator.url}/_emulator/sync`, {
    method: "POST",
    headers: { authorization: `Bearer ${emulator.controlToken}` },
  }).then((r) => r.json() as Promise<{ matched: number }>);
  console.log(
    `[bench] emulator synced ${report.matched.toLocaleString("en-US")} users from AD in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  process.env.AZURE_CLIENT_SECRET = emulator.secrets.clientSecret;
  return emulator;
}

async function main(): Promise<void> {
  const options = commandLine("bench/ad-synced");
  const count = Number(options.positionals[0] ?? 10_000);
  const hybrid = options.flag("hybrid");
  if (hybrid && !process.env.BENCH_SECRETS) {
    // Node trusts extra certificates only from start: make them, then run again with them.
    const dir = path.join(os.tmpdir(), "mailbox-addresses-bench-secrets");
    const secrets = await ensureSecrets(dir);
    const again = spawnSync(process.execPath, [__filename, ...process.argv.slice(2)], {
      stdio: "inherit",
      env: { ...process.env, NODE_EXTRA_CA_CERTS: secrets.serverCertPath, BENCH_SECRETS: dir },
    });
    process.exit(again.status ?? 1);
  }
  const started = Date.now();
  const dc = await startSambaDc({
    seed: { name: `synced-${count}-v1`, users: () => Array.from({ length: count }, (_, i) => user(i)) },
  });
  console.log(
    `[bench] Samba DC with ${count.toLocaleString("en-US")} users up in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  process.env[BIND_DN_VARIABLE] = dc.admin.bindDn;
  process.env[BIND_PASSWORD_VARIABLE] = dc.admin.password;
  const lines = ["version: 1", "allowedDomains: [contoso.com, fabrikam.com]", "mailboxes:"];
  for (let i = 0; i < count; i++)
    lines.push(
      `  ${name(i)}@contoso.com:`,
      `    primary: ${name(i)}@contoso.com`,
      `    aliases: [${name(i)}@fabrikam.com]`,
    );
  const loaded = loadSpecText("mailboxes.yaml", `${lines.join("\n")}\n`);
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.problems.slice(0, 3)));
  const spec = loaded.spec;
  const identities = spec.mailboxes.map((m) => m.identity);
  const rows: string[] = [];
  const emulator = hybrid ? await hybridEmulator(count, dc) : undefined;
  try {
    for (const what of ["preview", "drift"] as const) {
      const directory = new ActiveDirectoryBackend({ url: dc.url, caFile: dc.caFile, baseDn: dc.baseDn });
      const backend: TenantBackend = emulator
        ? new HybridBackend(new ExchangeOnlineBackend(settingsForEndpoints(emulator.endpoints())), directory)
        : directory;
      emulator?.counters.reset();
      const t0 = Date.now();
      const memory = process.memoryUsage().rss;
      let changed: number;
      if (what === "preview") {
        const assessed = await assessSpec(spec, backend);
        if (assessed.problems.length > 0)
          throw new Error(
            assessed.problems
              .slice(0, 3)
              .map((p) => p.message)
              .join("; "),
          );
        changed = [...assessed.change.plans.values()].filter((p) => p.changed).length;
      } else {
        const read = await readSpecMailboxes(backend, identities);
        const assessed = await assessSpec(spec, backend, { live: read, bulk: true });
        changed = computeDrift(
          spec,
          new Map([...assessed.live].map(([k, m]) => [k, m?.addresses])),
          assessed.live,
        ).filter((r) => r.change !== "none").length;
      }
      const seconds = (Date.now() - t0) / 1000;
      const { searches, pages, binds } = directory.directory.stats;
      const counters = emulator?.counters.snapshot() ?? {};
      const http = emulator ? ` | ${(counters["graph.requests"] ?? 0) + (counters["exchange.requests"] ?? 0)}` : "";
      await backend.close();
      rows.push(
        `| ${emulator ? "hybrid " : ""}${what} | ${count.toLocaleString("en-US")} | ${searches} | ${pages} | ${binds}${http} | ${seconds.toFixed(1)} | ${changed} | ${Math.round((process.memoryUsage().rss - memory) / 2 ** 20)} |`,
      );
    }
  } finally {
    await emulator?.close();
    await dc.stop();
  }
  const head = emulator
    ? [
        "| run | synced mailboxes | LDAP searches | pages | binds | cloud requests | seconds | changed | RSS growth (MiB) |",
        "|---|---|---|---|---|---|---|---|---|",
      ]
    : [
        "| run | synced mailboxes | LDAP searches | pages | binds | seconds | changed | RSS growth (MiB) |",
        "|---|---|---|---|---|---|---|---|",
      ];
  console.log([...head, ...rows].join("\n"));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
