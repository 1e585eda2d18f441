// A real Active Directory domain controller for tests and benchmarks: Samba, provisioned once into
// a cache folder and copied for each start (a copy starts cleanly once etc/smb.conf's absolute
// paths name the copy: no other file holds them), serving LDAPS with a certificate issued at each
// start, for the address it listens on, by a CA of its own (DIR/private/tls/ca.pem).
//
// Samba's ports (389, 636) are fixed. So that test files run their own DCs side by side, each DC
// runs in a network namespace of its own (`unshare --net`, as root), reached from this machine
// through a veth pair: the host end 198.18.N.1, the DC 198.18.N.2 (RFC 2544's benchmarking range,
// which no real network routes), N the first free pair `mbxdcN`. The namespace, and the pair with
// it, vanish when samba exits. Where namespaces are impossible (not root, no `ip`), or with
// MAILBOX_ADDRESSES_SAMBA_NETNS=0, the DC listens on 127.0.0.1 under a machine-wide lock, and a
// second start fails within 30 s naming the process that holds it.
// A machine without samba fails here, loudly: the tests never skip.
import { execFile, spawn, spawnSync, type ChildProcess } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from "node:fs";
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
/** Seconds a start on 127.0.0.1 waits for another process's DC (MAILBOX_ADDRESSES_SAMBA_LOCK_TIMEOUT). */
export const DEFAULT_LOCK_TIMEOUT_SECONDS = 30;
/** The veth pairs' names and addresses: pair N is `mbxdcN`, 198.18.N.1 (this machine) and 198.18.N.2 (the DC). */
const PAIR_PREFIX = "mbxdc";
const PAIRS = 256;
const NAMESPACE_INTERFACE = "ldap0";

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

/** How a DC is kept apart from the others on the machine. */
export type SambaIsolation = "network namespace" | "machine-wide lock";

export interface SambaDc {
  readonly url: string;
  /** The address LDAPS listens on (198.18.N.2 in a namespace, else 127.0.0.1); the certificate names it. */
  readonly host: string;
  readonly isolation: SambaIsolation;
  /** samba's process id (its network namespace is /proc/<pid>/ns/net). */
  readonly pid: number;
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

let namespaceCheck: { ok: true } | { ok: false; reason: string } | undefined;

/** Whether this process can give a DC a network namespace of its own: asked once per process. */
export function networkNamespaces(): { ok: true } | { ok: false; reason: string } {
  if (namespaceCheck) return namespaceCheck;
  const no = (reason: string) => (namespaceCheck = { ok: false, reason });
  if (process.env.MAILBOX_ADDRESSES_SAMBA_NETNS === "0") return no("MAILBOX_ADDRESSES_SAMBA_NETNS=0");
  if (process.getuid?.() !== 0) return no("network namespaces and veth pairs need root");
  const ip = spawnSync("ip", ["-V"], { encoding: "utf8" });
  if (ip.error || ip.status !== 0) return no("`ip` (iproute2) is not installed: toolchain/samba.sh installs it");
  const unshare = spawnSync("unshare", ["--net", "true"], { encoding: "utf8" });
  if (unshare.error || unshare.status !== 0)
    return no(`\`unshare --net\` failed: ${(unshare.stderr || unshare.error?.message || "").trim()}`);
  return (namespaceCheck = { ok: true });
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

/** A process as an admin would look it up: its id and command line. */
function describeProcess(pid: number | undefined): string {
  if (pid === undefined) return "process ?";
  try {
    const command = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ");
    return `process ${pid} (${command.length > 160 ? `${command.slice(0, 160)}…` : command})`;
  } catch {
    return `process ${pid}`;
  }
}

/**
 * Takes a lock file, waiting while a live process holds it; a lock whose holder died is taken
 * over. `explain` words the error when the wait runs out.
 */
async function acquireLock(
  file: string,
  timeoutMs: number,
  explain: (holder: string, waitedSeconds: number) => string,
): Promise<() => void> {
  const started = Date.now();
  for (;;) {
    try {
      const fd = openSync(file, "wx");
      writeSync(fd, JSON.stringify({ pid: process.pid, since: new Date().toISOString() }));
      closeSync(fd);
      const release = () => {
        try {
          if (JSON.parse(readFileSync(file, "utf8")).pid === process.pid) unlinkSync(file);
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
      holder = JSON.parse(readFileSync(file, "utf8"));
    } catch {
      /* being written or removed: look again */
    }
    if (typeof holder.pid === "number" && !alive(holder.pid)) {
      rmSync(file, { force: true });
      continue;
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(
        explain(
          `${describeProcess(holder.pid)} since ${holder.since ?? "?"}`,
          Math.round((Date.now() - started) / 1000),
        ),
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** openssl's arguments for a self-signed CA certificate and its key (not encrypted). */
export function selfSignedCaArgs(keyFile: string, certFile: string, days: number, subject: string): string[] {
  return [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    keyFile,
    "-out",
    certFile,
    "-days",
    `${days}`,
    "-subj",
    subject,
  ];
}

/** A CA of our own (openssl): it signs each start's server certificate. */
async function issueCa(tlsDir: string): Promise<void> {
  mkdirSync(tlsDir, { recursive: true });
  await run(
    "openssl",
    selfSignedCaArgs(
      join(tlsDir, "ca-key.pem"),
      join(tlsDir, "ca.pem"),
      3650,
      "/O=mailbox-addresses tests/CN=Samba test CA",
    ),
  );
  await run("chmod", ["600", join(tlsDir, "ca-key.pem")]);
}

/** The server certificate for the address the DC listens on (and localhost), signed by the copy's CA. */
async function issueServerCertificate(tlsDir: string, host: string): Promise<void> {
  const key = join(tlsDir, "key.pem");
  const csr = join(tlsDir, "server.csr");
  const ext = join(tlsDir, "server.ext");
  await run("openssl", [
    "req",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    key,
    "-out",
    csr,
    "-subj",
    "/CN=localhost",
  ]);
  writeFileSync(
    ext,
    `subjectAltName=DNS:localhost,IP:${host}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`,
  );
  const serial = String(Date.now());
  await run("openssl", [
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    join(tlsDir, "ca.pem"),
    "-CAkey",
    join(tlsDir, "ca-key.pem"),
    "-set_serial",
    serial,
    "-out",
    join(tlsDir, "cert.pem"),
    "-days",
    "30",
    "-extfile",
    ext,
  ]);
  rmSync(csr);
  rmSync(ext);
  // Samba refuses a private key others can read.
  await run("chmod", ["600", key]);
}

const cacheRoot = (version: string) =>
  join(
    process.env.MAILBOX_ADDRESSES_CACHE ??
      join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "mailbox-addresses"),
    "samba",
    version,
  );

/** Waits for another process making the same cached folder (provisioning, seeding): minutes at most. */
const cacheLock = (root: string, name: string) =>
  acquireLock(
    join(root, `${name}.lock`),
    1000 * Number(process.env.MAILBOX_ADDRESSES_SAMBA_CACHE_TIMEOUT ?? 1800),
    (holder, waited) =>
      `waited ${waited} s for ${holder} to make the cached Samba folder ${join(root, name)}; let that run end, or raise MAILBOX_ADDRESSES_SAMBA_CACHE_TIMEOUT (seconds)`,
  );

/** The provisioned template for this Samba version: made once per machine. */
async function template(version: string): Promise<{ dir: string; provisionedAt: string }> {
  const root = cacheRoot(version);
  const dir = join(root, "template");
  const marker = join(dir, ".provisioned-at");
  if (existsSync(marker)) return { dir, provisionedAt: readFileSync(marker, "utf8") };
  mkdirSync(root, { recursive: true });
  const release = await cacheLock(root, "template");
  try {
    if (existsSync(marker)) return { dir, provisionedAt: readFileSync(marker, "utf8") };
    const work = mkdtempSync(join(root, `provisioning-${process.pid}-`));
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
      throw new Error(
        `samba-tool domain provision failed (is samba-ad-provision installed? toolchain/samba.sh installs it): ${(e.stderr ?? e.message).split("\n").slice(-6).join("\n")}`,
        {
          cause: error,
        },
      );
    }
    await issueCa(join(work, "private", "tls"));
    writeFileSync(join(work, ".provisioned-at"), work);
    rmSync(dir, { recursive: true, force: true });
    renameSync(work, dir);
    return { dir, provisionedAt: work };
  } finally {
    release();
  }
}

/** The process id a working folder's name carries (`samba-dc-<pid>-…`), or undefined. */
const ownerOf = (name: string) => {
  const match = /^(?:samba-dc|provisioning|seeding)-(\d+)-/.exec(name);
  return match ? Number(match[1]) : undefined;
};

/**
 * Folders a killed run left behind: server copies in the temp folder, half-made templates in the
 * cache, each named with the process that made it and removed once that process is gone (other
 * processes' DCs run meanwhile). Folders of the older, unnamed form go after an hour.
 */
function removeLeftovers(version: string): void {
  const candidates = [
    ...readdirSync(tmpdir())
      .filter((name) => name.startsWith("samba-dc-"))
      .map((name) => ({ name, path: join(tmpdir(), name) })),
    ...(existsSync(cacheRoot(version))
      ? readdirSync(cacheRoot(version))
          .filter((name) => /^(provisioning|seeding)-/.test(name))
          .map((name) => ({ name, path: join(cacheRoot(version), name) }))
      : []),
  ];
  for (const { name, path } of candidates) {
    const owner = ownerOf(name);
    let stale: boolean;
    if (owner !== undefined) stale = !alive(owner);
    else {
      try {
        stale = Date.now() - statSync(path).mtimeMs > 3600_000;
      } catch {
        stale = false;
      }
    }
    if (stale) rmSync(path, { recursive: true, force: true });
  }
}

/** True when something accepts TCP connections on the port. */
function portAnswers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ host, port });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

/** True when LDAPS completes a verified TLS handshake. */
function ldapsAnswers(host: string, ca: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host, port: LDAPS_PORT, ca, rejectUnauthorized: true });
    socket.once("secureConnect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

/** UTF-16LE of the quoted password: how AD takes unicodePwd. */
const unicodePwd = (password: string) => Buffer.from(`"${password}"`, "utf16le");

const ADMIN = { bindDn: `Administrator@${REALM}`, password: ADMIN_PASSWORD };
const urlOf = (host: string) => `ldaps://${host}:${LDAPS_PORT}`;

/** Copies a template into a fresh folder and points its smb.conf at the copy. */
async function copyTemplate(source: { dir: string; provisionedAt: string }): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), `samba-dc-${process.pid}-`));
  await run("cp", ["-a", `${source.dir}/.`, dir]);
  const conf = join(dir, "etc", "smb.conf");
  writeFileSync(conf, readFileSync(conf, "utf8").split(source.provisionedAt).join(dir));
  writeFileSync(join(dir, ".provisioned-at"), dir);
  return dir;
}

interface Running {
  readonly child: ChildProcess;
  readonly host: string;
  /** Ends stdin (samba -i exits on EOF) and waits; SIGKILL after 10 s. */
  stop(): Promise<void>;
}

const ip = (args: readonly string[]) => spawnSync("ip", args, { encoding: "utf8" });

/**
 * Gives the namespace of process `pid` the DC's end of the first free veth pair and addresses
 * both ends; returns the DC's address. A pair's name is taken atomically by `ip link add`.
 */
function attachPair(pid: number): string {
  const first = process.pid % PAIRS;
  for (let i = 0; i < PAIRS; i++) {
    const n = (first + i) % PAIRS;
    const name = `${PAIR_PREFIX}${n}`;
    const added = ip(["link", "add", name, "type", "veth", "peer", "name", NAMESPACE_INTERFACE, "netns", String(pid)]);
    if (added.status !== 0) {
      if (/exists/i.test(added.stderr)) continue;
      throw new Error(
        `ip link add ${name} (a veth pair into the DC's network namespace) failed: ${added.stderr.trim()}`,
      );
    }
    const host = `198.18.${n}.2`;
    const steps = [
      ["addr", "add", `198.18.${n}.1/30`, "dev", name],
      ["link", "set", name, "up"],
    ];
    for (const step of steps) {
      const done = ip(step);
      if (done.status !== 0) throw new Error(`ip ${step.join(" ")} failed: ${done.stderr.trim()}`);
    }
    const inside = spawnSync(
      "nsenter",
      [
        `--net=/proc/${pid}/ns/net`,
        "sh",
        "-c",
        `ip link set lo up && ip addr add ${host}/30 dev ${NAMESPACE_INTERFACE} && ip link set ${NAMESPACE_INTERFACE} up`,
      ],
      {
        encoding: "utf8",
      },
    );
    if (inside.status !== 0) throw new Error(`addressing the DC's network namespace failed: ${inside.stderr.trim()}`);
    return host;
  }
  throw new Error(
    `all ${PAIRS} veth pairs ${PAIR_PREFIX}0…${PAIR_PREFIX}${PAIRS - 1} are in use: stop some Samba DCs (ip link show)`,
  );
}

/**
 * Starts samba on a folder and waits until LDAPS completes a verified handshake. In a namespace,
 * samba's shell waits on stdin while the pair is attached, then becomes samba (exec) with the
 * same stdin: samba -i exits on its EOF, so it stops with this process however it ends.
 */
async function launch(dir: string, isolation: SambaIsolation): Promise<Running> {
  let output = "";
  // ldb:nosync: a throwaway copy needs no fsync per write (seeding users runs about 4 times faster).
  // The pid file and sockets Debian puts under /run/samba go into the copy: side by side, each
  // DC has its own (samba refuses to start while another's pid file names a live process).
  const options = [
    "--option=server services=ldap",
    "--option=ldb:nosync=true",
    `--option=log file=${join(dir, "samba.log")}`,
    "--option=bind interfaces only=yes",
    ...["pid directory", "ncalrpc dir", "winbindd socket directory", "ntp signd socket directory"].map(
      (option) => `--option=${option}=${join(dir, "run")}`,
    ),
  ];
  const samba = ["samba", "-s", join(dir, "etc", "smb.conf"), "-i", "-M", "single", ...options];
  const namespaced = isolation === "network namespace";
  // The shell says "ready" once unshare has made the namespace, then reads the go line: the address.
  const child = namespaced
    ? spawn(
        "unshare",
        [
          "--net",
          "--",
          "sh",
          "-c",
          'echo ready; read -r host && exec "$@" "--option=interfaces=$host"',
          "samba-dc",
          ...samba,
        ],
        { stdio: ["pipe", "pipe", "pipe"] },
      )
    : spawn(samba[0]!, [...samba.slice(1), "--option=interfaces=127.0.0.1"], { stdio: ["pipe", "pipe", "pipe"] });
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let pair: string | undefined;
  const stop = async () => {
    // The host end goes first, while the namespace (so the name) is still ours: the kernel frees
    // a dead namespace's veth later, asynchronously, and a name freed then may be another DC's.
    if (pair !== undefined) ip(["link", "del", pair]);
    pair = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.stdin!.end();
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  };
  let host = "127.0.0.1";
  try {
    if (namespaced) {
      await new Promise<void>((resolve, reject) => {
        const look = () => (output.includes("ready\n") ? resolve() : undefined);
        child.stdout!.on("data", look);
        child.once("exit", (code) =>
          reject(new Error(`unshare --net exited (${code}) before the namespace was ready:\n${output}`)),
        );
        look();
      });
      host = attachPair(child.pid!);
      pair = `${PAIR_PREFIX}${host.split(".")[2]}`;
    }
    const tls = join(dir, "private", "tls");
    await issueServerCertificate(tls, host);
    if (namespaced) child.stdin!.write(`${host}\n`);
  } catch (error) {
    await stop();
    throw error;
  }
  const ca = readFileSync(join(dir, "private", "tls", "ca.pem"));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`samba exited (${child.exitCode}) before LDAPS answered:\n${output}`);
    if (await ldapsAnswers(host, ca)) return { child, host, stop };
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`samba did not answer LDAPS on ${host}:${LDAPS_PORT} within 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function adminClient(url: string, ca: Buffer): Promise<Client> {
  const client = new Client({ url, tlsOptions: { ca, rejectUnauthorized: true }, timeout: 60_000 });
  await client.bind(ADMIN.bindDn, ADMIN.password);
  return client;
}

async function addUsers(url: string, ca: Buffer, users: readonly SeedUser[]): Promise<string[]> {
  const client = await adminClient(url, ca);
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
      if (user.proxyAddresses?.length)
        attributes.push(new Attribute({ type: "proxyAddresses", values: [...user.proxyAddresses] }));
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

/** Takes 127.0.0.1's ports: the machine-wide lock, then a check that nothing else answers there. */
async function takeLoopback(reason: string): Promise<() => void> {
  const seconds = Number(process.env.MAILBOX_ADDRESSES_SAMBA_LOCK_TIMEOUT ?? DEFAULT_LOCK_TIMEOUT_SECONDS);
  const release = await acquireLock(
    LOCK_FILE,
    1000 * seconds,
    (holder, waited) =>
      `waited ${waited} s for the Samba DC lock ${LOCK_FILE}, held by ${holder}: without a network namespace per DC (${reason}), ` +
      `Samba's ports (389, 636) on 127.0.0.1 are machine-wide, so one DC runs at a time. Let that run end (or stop that process), run as root with iproute2 installed, ` +
      `or raise MAILBOX_ADDRESSES_SAMBA_LOCK_TIMEOUT (seconds).`,
  );
  if (await portAnswers("127.0.0.1", LDAPS_PORT)) {
    release();
    throw new Error(
      `port ${LDAPS_PORT} on 127.0.0.1 already answers, though this process holds the Samba DC lock: another LDAP server (a samba left from a killed run?) must be stopped first`,
    );
  }
  return release;
}

/**
 * Starts a Samba DC from a fresh copy of the cached template (with the seed's users, made once
 * per machine) and waits until LDAPS answers: in a network namespace of its own where the machine
 * allows it, else on 127.0.0.1 under the machine-wide lock (MAILBOX_ADDRESSES_SAMBA_LOCK_TIMEOUT
 * seconds, default 30).
 */
export async function startSambaDc(options: { seed?: Seed } = {}): Promise<SambaDc> {
  const version = sambaVersion();
  const namespaces = networkNamespaces();
  const isolation: SambaIsolation = namespaces.ok ? "network namespace" : "machine-wide lock";
  const release = namespaces.ok ? () => undefined : await takeLoopback(namespaces.reason);
  let running: Running | undefined;
  let dir: string | undefined;
  try {
    removeLeftovers(version);
    const base = await template(version);
    const seedName = options.seed ? `seed-${options.seed.name.replace(/[^A-Za-z0-9._-]/g, "_")}` : undefined;
    const seeded = seedName ? join(base.dir, "..", seedName) : undefined;
    let releaseSeed: (() => void) | undefined;
    if (seeded !== undefined && !existsSync(join(seeded, ".provisioned-at")))
      releaseSeed = await cacheLock(join(base.dir, ".."), seedName!);
    try {
      const fromSeed = seeded !== undefined && existsSync(join(seeded, ".provisioned-at"));
      dir = await copyTemplate(
        fromSeed ? { dir: seeded, provisionedAt: readFileSync(join(seeded, ".provisioned-at"), "utf8") } : base,
      );
      running = await launch(dir, isolation);
      if (options.seed && !fromSeed) {
        // Seed once, stop cleanly so every write is on disk, keep a copy, start again.
        await addUsers(urlOf(running.host), readFileSync(join(dir, "private", "tls", "ca.pem")), options.seed.users());
        await running.stop();
        const work = mkdtempSync(join(base.dir, "..", `seeding-${process.pid}-`));
        await run("cp", ["-a", `${dir}/.`, work]);
        rmSync(seeded!, { recursive: true, force: true });
        renameSync(work, seeded!);
        running = await launch(dir, isolation);
      }
    } finally {
      releaseSeed?.();
    }
    const server = running;
    const folder = dir;
    const caFile = join(folder, "private", "tls", "ca.pem");
    const ca = readFileSync(caFile);
    const url = urlOf(server.host);
    return {
      url,
      host: server.host,
      isolation,
      pid: server.child.pid!,
      caFile,
      baseDn: BASE_DN,
      realm: REALM,
      admin: ADMIN,
      dir: folder,
      adminClient: () => adminClient(url, ca),
      addUsers: (users) => addUsers(url, ca, users),
      async addOu(name) {
        const client = await adminClient(url, ca);
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
        await run("samba-tool", [
          "dsacl",
          "set",
          "-H",
          join(folder, "private", "sam.ldb"),
          "-s",
          join(folder, "etc", "smb.conf"),
          `--objectdn=${objectDn}`,
          `--sddl=${sddl}`,
        ]);
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
