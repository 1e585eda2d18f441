// The Active Directory backend against a real domain controller (Samba, harness/samba-dc.ts):
// paged reads, the three ways a user is named, the seed's hard cases, concurrent edits,
// duplicates, and each failure an admin meets, with nothing written when it fails.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { readlinkSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Attribute, Change } from "ldapts";
import { delegateAddressWrites, otherCa, readAddresses } from "../../harness/active-directory-fixtures";
import { DEFAULT_LOCK_TIMEOUT_SECONDS, startSambaDc, type SambaDc, type SeedUser } from "../../harness/samba-dc";
import { ActiveDirectoryBackend, type DirectoryMailbox } from "../../targets/active-directory/active-directory-backend";
import {
  BIND_DN_VARIABLE,
  BIND_PASSWORD_VARIABLE,
  DirectoryError,
  type DirectoryErrorCode,
} from "../../targets/active-directory/directory-client";

const BULK = 2500;
const X500 =
  "X500:/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=5e1c0a9d2b-Mark Wilson";
const bulkUser = (i: number): SeedUser => ({
  name: `bulk${i}`,
  upn: `bulk${i}@contoso.com`,
  mail: `bulk${i}@contoso.com`,
  proxyAddresses: [`SMTP:bulk${i}@contoso.com`, `smtp:b${i}@fabrikam.com`, `${X500}-${i}`],
});
const SEED = { name: `bulk-${BULK}-v1`, users: () => Array.from({ length: BULK }, (_, i) => bulkUser(i)) };
const READER_PASSWORD = "Read3r-Only-Pass!";

let dc: SambaDc;
let mailboxesOu: string;
const backends: ActiveDirectoryBackend[] = [];

function backend(
  overrides: Partial<ConstructorParameters<typeof ActiveDirectoryBackend>[0]> = {},
): ActiveDirectoryBackend {
  const made = new ActiveDirectoryBackend({ url: dc.url, caFile: dc.caFile, baseDn: dc.baseDn, ...overrides });
  backends.push(made);
  return made;
}

function asAdmin(): void {
  process.env[BIND_DN_VARIABLE] = dc.admin.bindDn;
  process.env[BIND_PASSWORD_VARIABLE] = dc.admin.password;
}

/** What AD holds, read as Administrator (sorted: AD keeps no order). */
const adminRead = (upn: string) => readAddresses(dc, upn);

async function rejects(
  promise: Promise<unknown>,
  code: DirectoryErrorCode,
  ...patterns: RegExp[]
): Promise<DirectoryError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DirectoryError, `not a DirectoryError: ${String(error)}`);
    assert.equal(error.code, code, error.message);
    for (const pattern of patterns) assert.match(error.message, pattern);
    return error;
  }
  assert.fail(`expected ${code}`);
}

before(async () => {
  const started = Date.now();
  dc = await startSambaDc({ seed: SEED });
  console.log(`[ad] Samba DC up in ${((Date.now() - started) / 1000).toFixed(1)} s (${BULK} seeded users)`);
  mailboxesOu = await dc.addOu("Mailboxes");
  await dc.addUsers([
    {
      name: "lower",
      upn: "lower@contoso.com",
      parent: mailboxesOu,
      proxyAddresses: ["smtp:lower@contoso.com", "smtp:lower.alias@contoso.com", X500],
    },
    {
      name: "twin",
      upn: "twin@contoso.com",
      parent: mailboxesOu,
      mail: "twin.a@contoso.com",
      proxyAddresses: ["SMTP:twin.a@contoso.com", "SMTP:twin.b@contoso.com"],
    },
    {
      name: "stale",
      upn: "stale@contoso.com",
      parent: mailboxesOu,
      mail: "old@contoso.com",
      proxyAddresses: [
        "SMTP:stale@contoso.com",
        "smtp:stale.new@contoso.com",
        "SIP:Stale@contoso.com",
        "X400:c=US;a= ;p=Contoso;o=Exchange;s=Stale;",
      ],
    },
    {
      name: "busy",
      upn: "busy@contoso.com",
      parent: mailboxesOu,
      mail: "busy@contoso.com",
      proxyAddresses: ["SMTP:busy@contoso.com", "smtp:busy.old@contoso.com"],
    },
    {
      name: "owner",
      upn: "owner@contoso.com",
      mail: "owner@contoso.com",
      proxyAddresses: ["SMTP:owner@contoso.com", "smtp:taken@contoso.com"],
    },
    {
      name: "guarded",
      upn: "guarded@contoso.com",
      parent: mailboxesOu,
      mail: "guarded@contoso.com",
      proxyAddresses: ["SMTP:guarded@contoso.com", X500],
    },
    { name: "reader", upn: "reader@corp.contoso.com", password: READER_PASSWORD },
    { name: "delegate", upn: "delegate@corp.contoso.com", password: READER_PASSWORD },
    { name: "inside", upn: "inside@contoso.com", parent: mailboxesOu, proxyAddresses: ["smtp:inside@contoso.com"] },
    { name: "outside", upn: "outside@contoso.com", proxyAddresses: ["smtp:outside@contoso.com"] },
  ]);
  asAdmin();
});

after(async () => {
  for (const made of backends) await made.close();
  await dc?.stop();
});

describe("Active Directory backend: reads", () => {
  for (const readStrategy of ["filter", "scan", "auto"] as const) {
    it(`reads ${BULK} mailboxes with one paged search per 1,000, not one per mailbox (${readStrategy})`, async () => {
      const ad = backend({ readStrategy });
      const upns = Array.from({ length: BULK }, (_, i) => `bulk${i}@contoso.com`);
      const started = Date.now();
      const read = await ad.readMailboxes(upns);
      const seconds = (Date.now() - started) / 1000;
      console.log(
        `[ad] readMailboxes(${BULK}), ${readStrategy}: ${ad.directory.stats.searches} searches, ${ad.directory.stats.pages} pages, ${seconds.toFixed(2)} s`,
      );
      assert.equal([...read.values()].filter((m) => m !== undefined).length, BULK);
      assert.equal(ad.directory.stats.searches, readStrategy === "filter" ? Math.ceil(BULK / 1000) : 1);
      assert.ok(ad.directory.stats.pages <= 2 * Math.ceil((BULK + 10) / 1000), `${ad.directory.stats.pages} pages`);
      const m = read.get("bulk7@contoso.com")!;
      assert.deepEqual([...m.addresses].sort(), [...bulkUser(7).proxyAddresses!].sort());
      assert.equal(m.mail, "bulk7@contoso.com");
      assert.deepEqual(m.findings, []);
    });
  }

  it("lists every mailbox in one paged search", async () => {
    const ad = backend();
    let count = 0;
    let next: string | undefined;
    const started = Date.now();
    do {
      const page = await ad.listMailboxes(next);
      count += page.mailboxes.length;
      next = page.next;
    } while (next !== undefined);
    console.log(
      `[ad] listMailboxes: ${count} mailboxes, ${ad.directory.stats.searches} search, ${ad.directory.stats.pages} pages, ${((Date.now() - started) / 1000).toFixed(2)} s`,
    );
    assert.ok(count >= BULK);
    assert.equal(ad.directory.stats.searches, 1);
    assert.equal(ad.directory.stats.pages, Math.ceil(count / 1000));
  });

  it("finds a user by UPN, by the cloud's immutable id (base64 objectGUID) and by SID, in one search", async () => {
    const ad = backend();
    const byUpn = (await ad.readMailboxes(["bulk42@contoso.com"])).get("bulk42@contoso.com")!;
    assert.match(byUpn.immutableId, /^[A-Za-z0-9+/]{22}==$/);
    assert.match(byUpn.sid, /^S-1-5-21-\d+-\d+-\d+-\d+$/);
    const before = ad.directory.stats.searches;
    const read = await ad.readMailboxes([
      byUpn.immutableId,
      byUpn.sid,
      "BULK42@CONTOSO.COM",
      "nobody@contoso.com",
      "not an identity",
    ]);
    assert.equal(ad.directory.stats.searches - before, 1);
    assert.equal(read.get(byUpn.immutableId)?.dn, byUpn.dn);
    assert.equal(read.get(byUpn.sid)?.dn, byUpn.dn);
    assert.equal(read.get("BULK42@CONTOSO.COM")?.dn, byUpn.dn);
    assert.equal(read.get("nobody@contoso.com"), undefined);
    assert.equal(read.get("not an identity"), undefined);
  });
});

describe("Active Directory backend: the seed's hard cases", () => {
  it("a user with only lowercase smtp: entries gets the spec's primary, mail set, X500 kept byte for byte", async () => {
    const ad = backend();
    const user = (await ad.readMailboxes(["lower@contoso.com"])).get("lower@contoso.com")!;
    assert.deepEqual(
      user.findings.map((f) => f.code),
      ["NoPrimary"],
    );
    const written = await ad.setEmailAddresses("lower@contoso.com", [
      "SMTP:lower@contoso.com",
      "smtp:lower.alias@contoso.com",
      X500,
    ]);
    assert.deepEqual(await adminRead("lower@contoso.com"), {
      proxyAddresses: [X500, "SMTP:lower@contoso.com", "smtp:lower.alias@contoso.com"].sort(),
      mail: "lower@contoso.com",
    });
    assert.deepEqual(written.findings, []);
  });

  it("two uppercase SMTP: entries are found and repaired; mail follows the primary", async () => {
    const ad = backend();
    const user = (await ad.readMailboxes(["twin@contoso.com"])).get("twin@contoso.com")!;
    assert.deepEqual(
      user.findings.map((f) => f.code),
      ["TwoPrimaries"],
    );
    await ad.setEmailAddresses("twin@contoso.com", ["SMTP:twin.b@contoso.com", "smtp:twin.a@contoso.com"]);
    assert.deepEqual(await adminRead("twin@contoso.com"), {
      proxyAddresses: ["SMTP:twin.b@contoso.com", "smtp:twin.a@contoso.com"],
      mail: "twin.b@contoso.com",
    });
  });

  it("a primary change moves mail with it; SIP and X400 stay byte for byte; one modify, nothing for an unchanged list", async () => {
    const ad = backend();
    await ad.readMailboxes(["stale@contoso.com"]);
    await ad.setEmailAddresses("stale@contoso.com", [
      "SMTP:stale.new@contoso.com",
      "smtp:stale@contoso.com",
      "SIP:Stale@contoso.com",
      "X400:c=US;a= ;p=Contoso;o=Exchange;s=Stale;",
    ]);
    assert.equal(ad.directory.stats.modifies, 1);
    const now = await adminRead("stale@contoso.com");
    assert.deepEqual(now, {
      proxyAddresses: [
        "SIP:Stale@contoso.com",
        "SMTP:stale.new@contoso.com",
        "X400:c=US;a= ;p=Contoso;o=Exchange;s=Stale;",
        "smtp:stale@contoso.com",
      ],
      mail: "stale.new@contoso.com",
    });
    await ad.setEmailAddresses("stale@contoso.com", ["SMTP:stale.new@contoso.com", "smtp:stale@contoso.com"]);
    assert.equal(ad.directory.stats.modifies, 1, "no write when nothing changes");
  });

  it("an edit made by someone else between read and write is not lost", async () => {
    const ad = backend();
    const read = (await ad.readMailboxes(["busy@contoso.com"])).get("busy@contoso.com") as DirectoryMailbox;
    const other = await dc.adminClient();
    await other.modify(read.dn, [
      new Change({
        operation: "add",
        modification: new Attribute({
          type: "proxyAddresses",
          values: ["smtp:added.meanwhile@contoso.com", "X500:/o=Meanwhile"],
        }),
      }),
    ]);
    await other.unbind();
    // The plan was made from the first read: it adds one alias and drops busy.old.
    await ad.setEmailAddresses("busy@contoso.com", ["SMTP:busy@contoso.com", "smtp:busy.new@contoso.com"]);
    assert.deepEqual((await adminRead("busy@contoso.com")).proxyAddresses, [
      "SMTP:busy@contoso.com",
      "X500:/o=Meanwhile",
      "smtp:added.meanwhile@contoso.com",
      "smtp:busy.new@contoso.com",
    ]);
  });
});

describe("Active Directory backend: refusals and failures write nothing", () => {
  it("an address another AD object holds is refused, naming the owner's DN", async () => {
    const ad = backend();
    const owners = await ad.ownersOf(["TAKEN@contoso.com", "free@contoso.com"]);
    assert.equal(owners.get("taken@contoso.com")?.dn, `CN=owner,CN=Users,${dc.baseDn}`);
    assert.equal(owners.has("free@contoso.com"), false);
    const before = await adminRead("guarded@contoso.com");
    await rejects(
      ad.setEmailAddresses("guarded@contoso.com", ["SMTP:guarded@contoso.com", "smtp:taken@contoso.com", X500]),
      "AddressTaken",
      /mailbox "guarded@contoso.com"/,
      /taken@contoso\.com is already held by "CN=owner,CN=Users,DC=corp,DC=contoso,DC=com"/,
    );
    // A base DN narrowed to the mailboxes' OU still sees an owner elsewhere in the domain.
    await rejects(
      backend({ baseDn: mailboxesOu }).setEmailAddresses("guarded@contoso.com", [
        "SMTP:guarded@contoso.com",
        "smtp:taken@contoso.com",
      ]),
      "AddressTaken",
      /held by "CN=owner,CN=Users,DC=corp,DC=contoso,DC=com"/,
    );
    assert.deepEqual(await adminRead("guarded@contoso.com"), before);
  });

  it("an address the cloud would drop is refused with the reason", async () => {
    const before = await adminRead("guarded@contoso.com");
    await rejects(
      backend().setEmailAddresses("guarded@contoso.com", [
        "SMTP:guarded@contoso.com",
        "smtp:guarded@contoso.onmicrosoft.com",
      ]),
      "AddressRefused",
      /onmicrosoft\.com/,
      /DN "CN=guarded,OU=Mailboxes/,
    );
    assert.deepEqual(await adminRead("guarded@contoso.com"), before);
  });

  it("wrong password, unreachable port, a CA that did not sign the certificate, a user not found: each named", async () => {
    const wanted = ["SMTP:guarded@contoso.com", "smtp:guarded.x@contoso.com"];
    const before = await adminRead("guarded@contoso.com");
    process.env[BIND_PASSWORD_VARIABLE] = "not-the-password";
    await rejects(
      backend().setEmailAddresses("guarded@contoso.com", wanted),
      "BindFailed",
      /refused the bind account "Administrator@CORP\.CONTOSO\.COM"/,
      /mailbox "guarded@contoso\.com"/,
      /MAILBOX_ADDRESSES_AD_BIND_PASSWORD/,
    );
    delete process.env[BIND_PASSWORD_VARIABLE];
    await rejects(
      backend().readMailboxes(["guarded@contoso.com"]),
      "MissingCredentials",
      /MAILBOX_ADDRESSES_AD_BIND_DN/,
    );
    asAdmin();
    await rejects(
      backend({ url: "ldaps://127.0.0.1:1" }).setEmailAddresses("guarded@contoso.com", wanted),
      "Unreachable",
      /127\.0\.0\.1:1 is unreachable/,
      /ECONNREFUSED/,
      /mailbox "guarded@contoso\.com"/,
    );
    const other = otherCa();
    try {
      await rejects(
        backend({ caFile: other.caFile }).setEmailAddresses("guarded@contoso.com", wanted),
        "CertificateUntrusted",
        /does not verify against the CA file ".*other-ca-.*ca\.pem"/,
        /mailbox-addresses:adCaFile/,
      );
    } finally {
      other.remove();
    }
    await rejects(
      backend().setEmailAddresses("ghost@contoso.com", wanted),
      "UserNotFound",
      /mailbox "ghost@contoso\.com"/,
      /userPrincipalName/,
      /DC=corp,DC=contoso,DC=com/,
    );
    assert.deepEqual(await adminRead("guarded@contoso.com"), before);
  });

  it("verification cannot be turned off by NODE_TLS_REJECT_UNAUTHORIZED=0; a certificate that does not name the host names adTlsServerName", async () => {
    const other = otherCa();
    const saved = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    try {
      process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
      await rejects(
        backend({ caFile: other.caFile }).readMailboxes(["guarded@contoso.com"]),
        "CertificateUntrusted",
        /does not verify against the CA file/,
      );
      await rejects(
        backend({ tlsServerName: "dc1.corp.contoso.com" }).readMailboxes(["guarded@contoso.com"]),
        "CertificateUntrusted",
        /does not name "dc1\.corp\.contoso\.com"/,
        /Set mailbox-addresses:adTlsServerName to a name the certificate carries/,
      );
    } finally {
      if (saved === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = saved;
      other.remove();
    }
    // The name the certificate carries (localhost) passes, over the IP address of adUrl.
    assert.ok(
      (await backend({ tlsServerName: "localhost" }).readMailboxes(["guarded@contoso.com"])).get("guarded@contoso.com"),
    );
  });

  it("a failed bulk read names how many mailboxes from which, without quotes inside quotes", async () => {
    const failed = await rejects(
      backend({ bindDn: dc.admin.bindDn, bindPassword: "wrong" }).readMailboxes([
        "guarded@contoso.com",
        "inside@contoso.com",
      ]),
      "BindFailed",
      /^reading \(2 mailboxes from "guarded@contoso\.com"\): /,
    );
    assert.doesNotMatch(failed.message, /mailbox "\d+ mailboxes/);
  });

  it("the bind account from the stack settings (adBindDn, adBindPassword) wins over the environment; a wrong one names the setting", async () => {
    process.env[BIND_DN_VARIABLE] = "nobody@corp.contoso.com";
    process.env[BIND_PASSWORD_VARIABLE] = "not-the-password";
    try {
      assert.ok(
        (
          await backend({ bindDn: dc.admin.bindDn, bindPassword: dc.admin.password }).readMailboxes([
            "guarded@contoso.com",
          ])
        ).get("guarded@contoso.com"),
      );
      await rejects(
        backend({ bindDn: dc.admin.bindDn, bindPassword: "wrong" }).readMailboxes(["guarded@contoso.com"]),
        "BindFailed",
        /refused the bind account "Administrator@CORP\.CONTOSO\.COM"/,
        /Check mailbox-addresses:adBindDn and mailbox-addresses:adBindPassword/,
      );
      delete process.env[BIND_DN_VARIABLE];
      delete process.env[BIND_PASSWORD_VARIABLE];
      await rejects(
        backend().readMailboxes(["guarded@contoso.com"]),
        "MissingCredentials",
        /mailbox-addresses:adBindPassword \(pulumi config set --secret\)/,
      );
    } finally {
      asAdmin();
    }
  });

  it("a bind account without write rights is told what to grant, on which DN; nothing written", async () => {
    process.env[BIND_DN_VARIABLE] = "reader@corp.contoso.com";
    process.env[BIND_PASSWORD_VARIABLE] = READER_PASSWORD;
    try {
      const before = await adminRead("guarded@contoso.com");
      const ad = backend();
      // Reading works with a plain domain account: only writing needs a grant.
      assert.ok((await ad.readMailboxes(["guarded@contoso.com"])).get("guarded@contoso.com"));
      await rejects(
        ad.setEmailAddresses("guarded@contoso.com", ["SMTP:guarded@contoso.com", "smtp:guarded.x@contoso.com", X500]),
        "InsufficientRights",
        /bind account "reader@corp\.contoso\.com" may not write proxyAddresses or mail of "CN=guarded,OU=Mailboxes,DC=corp,DC=contoso,DC=com"/,
        /"Write proxyAddresses" and "Write mail"/,
        /dsacls "OU=Mailboxes,DC=corp,DC=contoso,DC=com" \/I:S \/G "reader@corp\.contoso\.com:WP;proxyAddresses;user"/,
        /mailbox "guarded@contoso\.com"/,
      );
      assert.deepEqual(await adminRead("guarded@contoso.com"), before);
    } finally {
      asAdmin();
    }
  });

  it("an account granted Write proxyAddresses and Write mail on an OU (user objects) writes users there, and only there", async () => {
    const delegate = (await backend().readMailboxes(["delegate@corp.contoso.com"])).get("delegate@corp.contoso.com")!;
    // "Write proxyAddresses" and "Write mail", inherited by the OU's objects of class user.
    await delegateAddressWrites(dc, mailboxesOu, delegate.sid, "below");
    process.env[BIND_DN_VARIABLE] = "delegate@corp.contoso.com";
    process.env[BIND_PASSWORD_VARIABLE] = READER_PASSWORD;
    try {
      const ad = backend();
      await ad.setEmailAddresses("inside@contoso.com", ["SMTP:inside@contoso.com"]);
      assert.deepEqual(await adminRead("inside@contoso.com"), {
        proxyAddresses: ["SMTP:inside@contoso.com"],
        mail: "inside@contoso.com",
      });
      await rejects(
        ad.setEmailAddresses("outside@contoso.com", ["SMTP:outside@contoso.com"]),
        "InsufficientRights",
        /CN=outside,CN=Users/,
      );
      assert.deepEqual(await adminRead("outside@contoso.com"), {
        proxyAddresses: ["smtp:outside@contoso.com"],
        mail: undefined,
      });
    } finally {
      asAdmin();
    }
  });
});

describe("Samba DC harness", () => {
  const harness = JSON.stringify(join(__dirname, "../../harness/samba-dc.js"));
  const start = (env: NodeJS.ProcessEnv) =>
    spawnSync(
      process.execPath,
      [
        "-e",
        `require(${harness}).startSambaDc().then(() => process.exit(0), (e) => { console.error(e.message); process.exit(3); })`,
      ],
      {
        env,
        encoding: "utf8",
        timeout: 60_000,
      },
    );
  const namespaceOf = (pid: number | "self") => readlinkSync(`/proc/${pid}/ns/net`);

  it("two DCs run side by side, each in a network namespace of its own, reached over a veth pair that goes with it", async () => {
    assert.equal(
      dc.isolation,
      "network namespace",
      "this machine is root with iproute2: each DC gets its own namespace",
    );
    const second = await startSambaDc();
    let pair: string;
    try {
      assert.equal(second.isolation, "network namespace");
      assert.notEqual(second.url, dc.url);
      assert.match(second.url, /^ldaps:\/\/198\.18\.\d+\.2:636$/);
      assert.notEqual(namespaceOf(second.pid), namespaceOf(dc.pid));
      assert.notEqual(namespaceOf(second.pid), namespaceOf("self"));
      // Both answer, each with its own directory: a user added to one is not in the other.
      await second.addUsers([{ name: "only-here", upn: "only-here@contoso.com" }]);
      for (const [server, expected] of [
        [second, 1],
        [dc, 0],
      ] as const) {
        const client = await server.adminClient();
        try {
          assert.equal(
            (await client.search(server.baseDn, { filter: "(userPrincipalName=only-here@contoso.com)" })).searchEntries
              .length,
            expected,
          );
        } finally {
          await client.unbind();
        }
      }
      pair = `mbxdc${second.host.split(".")[2]}`;
      assert.equal(spawnSync("ip", ["link", "show", pair]).status, 0);
    } finally {
      await second.stop();
    }
    assert.notEqual(spawnSync("ip", ["link", "show", pair]).status, 0, `${pair} is gone with its namespace`);
  });

  it("without network namespaces, a DC listens on 127.0.0.1 under a lock, and a second fails naming the process that holds it", async () => {
    assert.equal(DEFAULT_LOCK_TIMEOUT_SECONDS, 30);
    const env = { ...process.env, MAILBOX_ADDRESSES_SAMBA_NETNS: "0" };
    const holder = spawn(
      process.execPath,
      [
        "-e",
        `require(${harness}).startSambaDc().then((dc) => { console.log("up " + dc.url + " " + dc.isolation); process.stdin.on("end", () => dc.stop().then(() => process.exit(0))); process.stdin.resume(); }, (e) => { console.error(e.message); process.exit(3); })`,
      ],
      { env, stdio: ["pipe", "pipe", "pipe"] },
    );
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = "";
        let err = "";
        holder.stdout!.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes("\n")) resolve(out.trim());
        });
        holder.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
        holder.once("exit", (code) => reject(new Error(`the first DC exited (${code}): ${err}`)));
      });
      assert.equal(line, "up ldaps://127.0.0.1:636 machine-wide lock");
      const second = start({ ...env, MAILBOX_ADDRESSES_SAMBA_LOCK_TIMEOUT: "1" });
      assert.equal(second.status, 3, second.stderr);
      assert.match(
        second.stderr,
        new RegExp(`Samba DC lock .* held by process ${holder.pid} \\(.*node.*startSambaDc.*\\) since`),
      );
      assert.match(second.stderr, /MAILBOX_ADDRESSES_SAMBA_NETNS=0/);
      assert.match(second.stderr, /one DC runs at a time/);
    } finally {
      const exited = new Promise((resolve) => holder.once("exit", resolve));
      holder.stdin!.end();
      await exited;
    }
  });

  it("a machine without samba fails, naming what to install", () => {
    const missing = start({ ...process.env, PATH: "/nonexistent" });
    assert.equal(missing.status, 3, missing.stderr);
    assert.match(missing.stderr, /Samba is not installed .* toolchain\/samba\.sh/);
  });
});
