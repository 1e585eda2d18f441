// A hybrid tenant to try on this machine, in one command (scripts/lab-hybrid): a Samba AD domain
// controller (./samba-dc.ts: its own network namespace where the machine allows it) holding three
// synced users, and the emulator (`mailbox-addresses emulator`, a process of its own) seeded with
// their cloud side and two cloud-only mailboxes (test/fixtures/hybrid/tenant.yaml), syncing the
// DC every few seconds as Entra Connect would. Prints the environment and every stack setting of
// a `target: hybrid` stack, the AD keys included, then runs until Ctrl-C, when both stop.
//   scripts/lab-hybrid [--port N] [--stack NAME] [--sync-interval SECONDS] [--state-dir DIR]
import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import path from "node:path";
import { hybridSyncedUsers } from "./active-directory-fixtures";
import { commandLine } from "./command-line";
import { startSambaDc, type SambaDc } from "./samba-dc";

const ROOT = path.resolve(__dirname, "../..");

/** The synced users of the lab: the AD side of the fixture tenant's synced mailboxes. */
async function seedDirectory(dc: SambaDc): Promise<void> {
  const ou = await dc.addOu("Mailboxes");
  await dc.addUsers(hybridSyncedUsers(ou));
}

/** POST /_emulator/sync on the control plane (its token in the state folder): the first sync, now. */
function syncNow(url: string, caFile: string, stateDir: string): Promise<string> {
  const token = readFileSync(path.join(stateDir, "control-token"), "utf8").trim();
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/_emulator/sync`,
      { method: "POST", ca: readFileSync(caFile), headers: { authorization: `Bearer ${token}` } },
      (res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => (body += chunk.toString()));
        res.on("end", () =>
          res.statusCode === 200
            ? resolve(body)
            : reject(new Error(`the first directory sync answered ${res.statusCode}: ${body.slice(0, 300)}`)),
        );
      },
    );
    req.once("error", reject);
    req.end();
  });
}

async function main(): Promise<number> {
  // Strict options (--help lists them): toolchain/command-lines.js, checked before anything starts.
  const option = commandLine("scripts/lab-hybrid").text;
  const port = option("port", "10444");
  const stack = option("stack", "hybrid-lab");
  const interval = option("sync-interval", "10");
  const stateDir = path.resolve(option("state-dir", path.join(ROOT, ".tenant", "hybrid-lab")));
  process.stderr.write("[lab] starting a Samba AD domain controller…\n");
  const dc = await startSambaDc();
  try {
    await seedDirectory(dc);
    process.stderr.write(`[lab] domain controller at ${dc.url} (${dc.isolation}); starting the emulator…\n`);
    const bind = {
      MAILBOX_ADDRESSES_AD_BIND_DN: dc.admin.bindDn,
      MAILBOX_ADDRESSES_AD_BIND_PASSWORD: dc.admin.password,
    };
    // A fresh tenant each time (keys and certificate kept): its synced users come from this run's DC.
    for (const file of ["tenant.sqlite", "tenant.sqlite-wal", "tenant.sqlite-shm"])
      rmSync(path.join(stateDir, file), { force: true });
    const emulator = spawn(
      process.execPath,
      [
        path.join(ROOT, "bin", "mailbox-addresses.js"),
        "emulator",
        "--port",
        port,
        "--state-dir",
        stateDir,
        "--seed",
        path.join(ROOT, "test", "fixtures", "hybrid", "tenant.yaml"),
        "--stack",
        stack,
        "--ad-url",
        dc.url,
        "--ad-ca-file",
        dc.caFile,
        "--ad-base-dn",
        dc.baseDn,
        "--sync-interval",
        interval,
      ],
      { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ...bind } },
    );
    const exited = new Promise<number>((resolve) => emulator.once("exit", (code) => resolve(code ?? 1)));
    // From its start, not only once ready: Ctrl-C or a kill while starting stops the emulator and
    // then the domain controller, instead of leaving them running.
    const stop = () => emulator.kill("SIGINT");
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    // The emulator's own lines (environment, the stack's exchange-online settings), then the hybrid keys.
    let printed = "";
    await new Promise<void>((resolve, reject) => {
      emulator.stdout!.on("data", (chunk: Buffer) => {
        process.stdout.write(chunk);
        printed += chunk.toString();
        if (printed.includes("/_emulator/counters")) resolve();
      });
      void exited.then((code) => reject(new Error(`the emulator exited (${code}) before it was ready`)));
    });
    const url = /listening on (https:\/\/\S+)/.exec(printed)?.[1];
    const ca = /export NODE_EXTRA_CA_CERTS=(\S+)/.exec(printed)?.[1];
    if (url === undefined || ca === undefined)
      throw new Error("the emulator did not print its address and certificate");
    const synced = JSON.parse(await syncNow(url, ca, stateDir)) as { matched: number };
    process.stderr.write(`[lab] first directory sync: ${synced.matched} synced users matched\n`);
    const set = (key: string, value: string, secret = false) =>
      `scripts/pulumi config set --stack ${stack}${secret ? " --secret" : ""} ${key} ${JSON.stringify(value)}\n`;
    process.stdout.write(
      `\n# Hybrid: the same stack writes synced mailboxes in the domain controller, the others in the emulator's Exchange Online:\n` +
        set("target", "hybrid") +
        set("adUrl", dc.url) +
        set("adCaFile", dc.caFile) +
        set("adBaseDn", dc.baseDn) +
        set("adBindDn", dc.admin.bindDn) +
        set("adBindPassword", dc.admin.password, true) +
        `# Synced in AD: ada@contoso.com, ben@contoso.com (OU=Mailboxes), cy@contoso.com; cloud-only: dan@contoso.com, eve@contoso.com.\n` +
        `# The emulator syncs the directory every ${interval} s. Start from what the tenant holds:\n` +
        `#   scripts/mailbox-addresses export --stack ${stack} -o hybrid-lab.yaml && scripts/pulumi config set --stack ${stack} spec hybrid-lab.yaml\n` +
        `#   scripts/pulumi preview --stack ${stack} --diff\n` +
        `[lab] ready; Ctrl-C stops the emulator and the domain controller\n`,
    );
    return await exited;
  } finally {
    await dc.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`[lab] ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
