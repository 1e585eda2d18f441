// A real Active Directory domain controller for tests and benchmarks: Samba, provisioned once into
// a cache folder and copied for each start (a copy starts cleanly once etc/smb.conf's absolute
// paths name the copy: no other file holds them), serving LDAPS on 127.0.0.1:636 with a
// certificate for 127.0.0.1 and localhost issued by a CA of its own (DIR/private/tls/ca.pem).
// Samba's ports are fixed, so one server runs per machine: start() takes a machine-wide lock and
// waits for it. A machine without samba fails here, loudly: the tests never skip.
import { execFile, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import { connect as netConnect } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { promisify } from "node:util";
import { Attribute, Client } from "ldapts";

const run = promisify(execFile);

export const REALM = "CORP.CONTOSO.COM";
export const DOMAIN = "CORP";
export const BASE_DN = "DC=corp,DC=contoso,DC=com";
export const ADMIN_PASSWORD = "Adm1n-Samba-Test!";
const LDAPS_PORT = 636;
// A fixed path, not os.tmpdir(): TMPDIR may differ between processes, the ports do not.
const LOCK_FILE = "/tmp/mailbox-addresses-samba-dc.lock";

/** A user to create, with the address attributes the tests care about. */
export interface SeedUser {
  readonly name: string;
  readonly upn?: string;
  readonly proxyAddresses?: readonly string[];
  readonly mail?: string;
  /** Parent container; default CN=Users. */
  readonly parent?: string;
  /** Makes an enabled account that can bind (LDAPS carries the password). */
  readonly password?: string;
}

export interface SambaDc {
  readonly url: string;
  readonly caFile: string;
  readonly baseDn: string;
  readonly realm: string;
  /** The Administrator, as a UPN bind name, and its password. */
  readonly admin: { readonly bindDn: string; readonly password: string };
  readonly dir: string;
  /** An ldapts client bound as Administrator (the caller unbinds it). */
  adminClient(): Promise<Client>;
  /** Creates users over LDAPS as Administrator; returns their DNs in order. */
  addUsers(users: readonly SeedUser[]): Promise<string[]>;
  /** Creates an organizational unit under the base DN; returns its DN. */
  addOu(name: string): Promise<string>;
  /** Adds ACEs (SDDL) to an object's security descriptor, as dsacls or the Delegation wizard would. */
  addAces(objectDn: string, sddl: string): Promise<void>;
  stop(): Promise<void>;
}

function sambaVersion(): string {
  const probe = spawnSync("samba", ["--version"], { encoding: "utf8" });
  const tool = spawnSync("samba-tool", ["--version"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0 || tool.error || tool.status !== 0) {
    throw new Error(
      "Samba is not installed on this machine (samba and samba-tool not found): the Active Directory tests need a real domain controller. " +
        "Run toolchain/samba.sh (as root: apt-get install samba ldap-utils), or scripts/test, which runs it.",
    );
  }
  return probe.stdout
    .trim()
    .replace(/^Version\s+/i, "")
    .replace(/[^A-Za-z0-9.+-]/g, "_");
}

/** True while the process runs. A killed holder can linger as a zombie nobody reaps: that counts as gone. */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    // /proc/<pid>/stat: "pid (name) state ...": Z is a zombie.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true;
  }
};

/** Waits for the machine-wide lock; a lock whose holder died is taken over. */
async function acquireLock(timeoutMs: number): Promise<() => void> {
  const started = Date.now();
  for (;;) {
    try {
      const fd = openSync(LOCK_FILE, "wx");
      writeSync(fd, JSON.stringify({ pid: process.pid, since: new Date().toISOString() }));
      closeSync(fd);
      const release = () => {
        try {
          if (JSON.parse(readFileSync(LOCK_FILE, "utf8")).pid === process.pid) unlinkSync(LOCK_FILE);
        } catch {
          /* already gone */
        }
      };
      process.once("exit", release);
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    let holder: { pid?: number; since?: string } = {};
    try {
      holder = JSON.parse(readFileSync(LOCK_FILE, "utf8"));
    } catch {
      /* being written or removed: look again */
    }
    if (typeof holder.pid === "number" && !alive(holder.pid)) {
      rmSync(LOCK_FILE, { force: true });
      continue;
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(
        `waited ${Math.round((Date.now() - started) / 1000)} s for the Samba DC lock ${LOCK_FILE}, held by process ${holder.pid ?? "?"} since ${holder.since ?? "?"}: ` +
          `Samba's ports (389, 636) are machine-wide, so one test file runs a server at a time. Let that run end, or raise MAILBOX_ADDRESSES_SAMBA_LOCK_TIMEOUT (seconds).`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A CA of our own and a server certificate it signs for 127.0.0.1 and localhost (openssl). */
async function issueCertificates(tlsDir: string): Promise<void> {
  mkdirSync(tlsDir, { recursive: true });
  const ca = join(tlsDir, "ca.pem");
  const caKey = join(tlsDir, "ca-key.pem");
  const key = join(tlsDir, "key.pem");
  const csr = join(tlsDir, "server.csr");
  const ext = join(tlsDir, "server.ext");
  await run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", caKey, "-out", ca, "-days", "3650", "-subj", "/O=mailbox-addresses tests/CN=Samba test CA"]);
  await run("openssl", ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=localhost"]);
  writeFileSync(ext, "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n");
  await run("openssl", ["x509", "-req", "-in", csr, "-CA", ca, "-CAkey", caKey, "-set_serial", "2", "-out", join(tlsDir, "cert.pem"), "-days", "3650", "-extfile", ext]);
  rmSync(csr);
  rmSync(ext);
  // Samba refuses a private key others can read.
  await run("chmod", ["600", key, caKey]);
}

/** The provisioned template for this Samba version: made once, under the lock. */
async function template(version: string): Promise<{ dir: string; provisionedAt: string }> {
  const root = cacheRoot(version);
  const dir = join(root, "template");
  const marker = join(dir, ".provisioned-at");
  if (existsSync(marker)) return { dir, provisionedAt: readFileSync(marker, "utf8") };
  mkdirSync(root, { recursive: true });
  const work = mkdtempSync(join(root, "provisioning-"));
  try {
    await run(
      "samba-tool",
      [
        "domain",
        "provision",
        `--targetdir=${work}`,
        `--realm=${REALM}`,
        `--domain=${DOMAIN}`,
        "--server-role=dc",
        "--dns-backend=NONE",
        `--adminpass=${ADMIN_PASSWORD}`,
        "--option=interfaces=127.0.0.1",
        "--option=bind interfaces only=yes",
      ],
      { maxBuffer: 64 * 1024 * 1024 },
    );
  } catch (error) {
    rmSync(work, { recursive: true, force: true });
    const e = error as { stderr?: string; message: string };
    throw new Error(`samba-tool domain provision failed (is samba-ad-provision installed? toolchain/samba.sh installs it): ${(e.stderr ?? e.message).split("\n").slice(-6).join("\n")}`, {
      cause: error,
    });
  }
  await issueCertificates(join(work, "private", "tls"));
  writeFileSync(join(work, ".provisioned-at"), work);
  rmSync(dir, { recursive: true, force: true });
  renameSync(work, dir);
  return { dir, provisionedAt: work };
}

const cacheRoot = (version: string) => join(process.env.MAILBOX_ADDRESSES_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "mailbox-addresses"), "samba", version);

/**
 * Folders a killed run left behind: server copies in the temp folder, half-made templates in the
 * cache. Called under the lock, when no other server or provisioning can be running.
 */
async function removeLeftovers(version: string): Promise<void> {
  const leftovers = [
    ...readdirSync(tmpdir())
      .filter((name) => name.startsWith("samba-dc-"))
      .map((name) => join(tmpdir(), name)),
    ...(existsSync(cacheRoot(version))
      ? readdirSync(cacheRoot(version))
          .filter((name) => /^(provisioning|seeding)-/.test(name))
          .map((name) => join(cacheRoot(version), name))
      : []),
  ];
  for (const folder of leftovers) rmSync(folder, { recursive: true, force: true });
}

/** True when something accepts TCP connections on the port. */
function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: "127.0.0.1", port });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

/** True when LDAPS completes a verified TLS handshake. */
function ldapsAnswers(ca: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: "127.0.0.1", port: LDAPS_PORT, ca });
    socket.once("secureConnect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

/** UTF-16LE of the quoted password: how AD takes unicodePwd. */
const unicodePwd = (password: string) => Buffer.from(`"${password}"`, "utf16le");

const URL = `ldaps://127.0.0.1:${LDAPS_PORT}`;
const ADMIN = { bindDn: `Administrator@${REALM}`, password: ADMIN_PASSWORD };

/** Copies a template into a fresh folder and points its smb.conf at the copy. */
async function copyTemplate(source: { dir: string; provisionedAt: string }): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "samba-dc-"));
  await run("cp", ["-a", `${source.dir}/.`, dir]);
  const conf = join(dir, "etc", "smb.conf");
  writeFileSync(conf, readFileSync(conf, "utf8").split(source.provisionedAt).join(dir));
  writeFileSync(join(dir, ".provisioned-at"), dir);
  return dir;
}

interface Running {
  readonly child: ChildProcess;
  /** Ends stdin (samba -i exits on EOF) and waits; SIGKILL after 10 s. */
  stop(): Promise<void>;
}

/** Starts samba on a folder and waits until LDAPS completes a verified handshake. */
async function launch(dir: string, ca: Buffer): Promise<Running> {
  let output = "";
  // stdin stays open: samba -i exits on EOF, so it stops with this process however it ends.
  // ldb:nosync: a throwaway copy needs no fsync per write (seeding users runs about 4 times faster).
  const options = ["--option=server services=ldap", "--option=ldb:nosync=true", `--option=log file=${join(dir, "samba.log")}`];
  const child = spawn("samba", ["-s", join(dir, "etc", "smb.conf"), "-i", "-M", "single", ...options], { stdio: ["pipe", "pipe", "pipe"] });
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.stdin!.end();
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`samba exited (${child.exitCode}) before LDAPS answered:\n${output}`);
    if (await ldapsAnswers(ca)) return { child, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`samba did not answer LDAPS on 127.0.0.1:${LDAPS_PORT} within 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function adminClient(ca: Buffer): Promise<Client> {
  const client = new Client({ url: URL, tlsOptions: { ca }, timeout: 60_000 });
  await client.bind(ADMIN.bindDn, ADMIN.password);
  return client;
}

async function addUsers(ca: Buffer, users: readonly SeedUser[]): Promise<string[]> {
  const client = await adminClient(ca);
  try {
    const dns: string[] = [];
    for (const user of users) {
      const dn = `CN=${user.name},${user.parent ?? `CN=Users,${BASE_DN}`}`;
      const attributes: Attribute[] = [
        new Attribute({ type: "objectClass", values: ["top", "person", "organizationalPerson", "user"] }),
        new Attribute({ type: "sAMAccountName", values: [user.name.slice(0, 20)] }),
        new Attribute({ type: "displayName", values: [user.name] }),
      ];
      if (user.upn) attributes.push(new Attribute({ type: "userPrincipalName", values: [user.upn] }));
      if (user.mail) attributes.push(new Attribute({ type: "mail", values: [user.mail] }));
      if (user.proxyAddresses?.length) attributes.push(new Attribute({ type: "proxyAddresses", values: [...user.proxyAddresses] }));
      if (user.password) {
        attributes.push(new Attribute({ type: "unicodePwd", values: [unicodePwd(user.password)] }));
        attributes.push(new Attribute({ type: "userAccountControl", values: ["512"] }));
      }
      await client.add(dn, attributes);
      dns.push(dn);
    }
    return dns;
  } finally {
    await client.unbind();
  }
}

/** Users every start of a seed has: added once, then kept in the cache as a template of its own. */
export interface Seed {
  /** Names the cached template: change it when `users` changes. */
  readonly name: string;
  readonly users: () => readonly SeedUser[];
}

/**
 * Starts a Samba DC from a fresh copy of the cached template (with the seed's users, made once
 * per machine) and waits until LDAPS answers. Waits for the machine-wide lock first
 * (MAILBOX_ADDRESSES_SAMBA_LOCK_TIMEOUT seconds, default 600).
 */
export async function startSambaDc(options: { seed?: Seed } = {}): Promise<SambaDc> {
  const version = sambaVersion();
  const release = await acquireLock(1000 * Number(process.env.MAILBOX_ADDRESSES_SAMBA_LOCK_TIMEOUT ?? 600));
  let running: Running | undefined;
  let dir: string | undefined;
  try {
    if (await portAnswers(LDAPS_PORT)) {
      throw new Error(`port ${LDAPS_PORT} on 127.0.0.1 already answers, though this process holds the Samba DC lock: another LDAP server (a samba left from a killed run?) must be stopped first`);
    }
    await removeLeftovers(version);
    const base = await template(version);
    const seeded = options.seed ? join(base.dir, "..", `seed-${options.seed.name.replace(/[^A-Za-z0-9._-]/g, "_")}`) : undefined;
    const fromSeed = seeded !== undefined && existsSync(join(seeded, ".provisioned-at"));
    dir = await copyTemplate(fromSeed ? { dir: seeded, provisionedAt: readFileSync(join(seeded, ".provisioned-at"), "utf8") } : base);
    const caFile = join(dir, "private", "tls", "ca.pem");
    const ca = readFileSync(caFile);
    running = await launch(dir, ca);
    if (options.seed && !fromSeed) {
      // Seed once, stop cleanly so every write is on disk, keep a copy, start again.
      await addUsers(ca, options.seed.users());
      await running.stop();
      const work = mkdtempSync(join(base.dir, "..", "seeding-"));
      await run("cp", ["-a", `${dir}/.`, work]);
      rmSync(seeded!, { recursive: true, force: true });
      renameSync(work, seeded!);
      running = await launch(dir, ca);
    }
    const server = running;
    const folder = dir;
    return {
      url: URL,
      caFile,
      baseDn: BASE_DN,
      realm: REALM,
      admin: ADMIN,
      dir: folder,
      adminClient: () => adminClient(ca),
      addUsers: (users) => addUsers(ca, users),
      async addOu(name) {
        const client = await adminClient(ca);
        try {
          const dn = `OU=${name},${BASE_DN}`;
          await client.add(dn, { objectClass: ["top", "organizationalUnit"], ou: name });
          return dn;
        } finally {
          await client.unbind();
        }
      },
      async addAces(objectDn, sddl) {
        // samba-tool edits the live database directly: LDAP here has no Kerberos for it.
        await run("samba-tool", ["dsacl", "set", "-H", join(folder, "private", "sam.ldb"), "-s", join(folder, "etc", "smb.conf"), `--objectdn=${objectDn}`, `--sddl=${sddl}`]);
      },
      async stop() {
        try {
          await server.stop();
        } finally {
          rmSync(folder, { recursive: true, force: true });
          release();
        }
      },
    };
  } catch (error) {
    await running?.stop().catch(() => running?.child.kill("SIGKILL"));
    if (dir) rmSync(dir, { recursive: true, force: true });
    release();
    throw error;
  }
}
