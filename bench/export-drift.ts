// Benchmark (not a test): export and drift of a generated 10,000-mailbox tenant through the
// exchange-online backend (real @azure/identity, Graph client and @azure/core-rest-pipeline, HTTPS) against the emulator.
// Reports time, HTTP requests (counted by the emulator) and peak memory; drift is measured both
// ways side by side: full scan (what `drift` does from 500 mailboxes on) and batched reads.
//   node dist/bench/export-drift.js [mailboxes]
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { computeDrift } from "../core/drift/compute-drift";
import { renderSpec } from "../core/export/render-spec";
import { loadSpecText } from "../core/desired/load-spec";
import { ensureSecrets } from "../emulator/certificates";
import { commandLine } from "../harness/command-line";
import { startEmulator } from "../emulator/server";
import { ExchangeOnlineBackend } from "../targets/exchange-online/exchange-online-backend";
import { settingsForEndpoints } from "../targets/exchange-online/target";
import { scanMailboxes } from "../reconcile/read-tenant";
import { loadSeedFile } from "../tenant/load-seed";

async function main(): Promise<void> {
  const count = Number(commandLine("bench/export-drift").positionals[0] ?? 10_000);
  if (!process.env.BENCH_SECRETS) {
    // Node trusts extra certificates only from start: make them, then run again with them.
    const dir = path.join(os.tmpdir(), "mailbox-addresses-bench-secrets");
    const secrets = await ensureSecrets(dir);
    const again = spawnSync(process.execPath, [__filename, String(count)], {
      stdio: "inherit",
      env: { ...process.env, NODE_EXTRA_CA_CERTS: secrets.serverCertPath, BENCH_SECRETS: dir },
    });
    process.exit(again.status ?? 1);
  }
  const stateDir = mkdtempSync(path.join(os.tmpdir(), "mbx-bench-"));
  copyFileSync(path.join(process.env.BENCH_SECRETS!, "secrets.json"), path.join(stateDir, "secrets.json"));
  const seed = loadSeedFile();
  for (let i = 0; i < count; i++) {
    const u = `bench${String(i).padStart(5, "0")}`;
    seed.recipients.push({
      id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
      upn: `${u}@contoso.com`,
      displayName: `Bench ${i}`,
      type: i % 50 === 0 ? "SharedMailbox" : "UserMailbox",
      addresses: [
        `SMTP:${u}@contoso.com`,
        `smtp:${u}@fabrikam.com`,
        `smtp:${u}@contoso.onmicrosoft.com`,
        `X500:/o=ExchangeLabs/cn=Recipients/cn=${u}`,
      ],
    });
  }
  const emulator = await startEmulator({ stateDir, seedFile: undefined });
  emulator.tenant.seed(seed);
  process.env.AZURE_CLIENT_SECRET = emulator.secrets.clientSecret;
  const backend = new ExchangeOnlineBackend(settingsForEndpoints(emulator.endpoints()));
  const requests = () => {
    const c = emulator.counters.snapshot();
    return (
      (c["graph.requests"] ?? 0) +
      (c["exchange.requests"] ?? 0) +
      (c["identity.token"] ?? 0) +
      (c["identity.openid-configuration"] ?? 0)
    );
  };
  const timed = async <T>(work: () => Promise<T>) => {
    emulator.counters.reset();
    const started = process.hrtime.bigint();
    const value = await work();
    return { value, ms: Math.round(Number(process.hrtime.bigint() - started) / 1e6), requests: requests() };
  };

  const exported = await timed(async () => renderSpec(await scanMailboxes(backend), await backend.acceptedDomains()));
  const spec = loadSpecText("export.yaml", exported.value.text);
  if (!spec.ok) throw new Error("the export is not a valid spec");
  // 1% of the mailboxes drift outside git.
  for (let i = 0; i < count; i += 100)
    emulator.tenant.addRemoveEmailAddresses(
      `bench${String(i).padStart(5, "0")}@contoso.com`,
      [`smtp:rogue${i}@contoso.com`],
      [],
    );
  const identities = spec.spec.mailboxes.map((m) => m.identity);
  const scan = await timed(async () => {
    const all = await scanMailboxes(backend);
    const byUpn = new Map(all.map((m) => [m.upn!.toLowerCase(), m.addresses]));
    return computeDrift(spec.spec, new Map(identities.map((id) => [id, byUpn.get(id.toLowerCase())])));
  });
  const batched = await timed(async () => {
    const live = await backend.readMailboxes(identities);
    return computeDrift(spec.spec, new Map([...live].map(([id, m]) => [id, m?.addresses])));
  });
  const drifted = (rows: { change: string }[]) => rows.filter((r) => r.change === "drift").length;
  console.log(
    JSON.stringify(
      {
        tenantRecipients: seed.recipients.length,
        export: {
          mailboxes: exported.value.exported,
          ms: exported.ms,
          httpRequests: exported.requests,
          bytes: exported.value.text.length,
        },
        driftFullScan: { ms: scan.ms, httpRequests: scan.requests, drifted: drifted(scan.value) },
        driftBatchedReads: { ms: batched.ms, httpRequests: batched.requests, drifted: drifted(batched.value) },
        scanVsBatchedTimeRatio: Number((scan.ms / batched.ms).toFixed(2)),
        peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
        node: process.version,
      },
      null,
      2,
    ),
  );
  await emulator.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
