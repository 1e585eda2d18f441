// A hybrid tenant end to end on the real engine: the emulator over HTTPS (Exchange Online, with
// its directory sync) and a real Active Directory domain controller (Samba, harness/samba-dc.ts;
// missing samba fails, never skips), one stack with `target: hybrid`. Synced mailboxes are
// written in AD, cloud-only ones in Exchange Online; pending sync is not drift; a bind account
// without rights on one user is refused at preview, naming its DN; a rerun writes nothing twice.
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { EmulatorProcess } from "../../harness/emulator-process";
import { diagnosticsOf, PROJECT_ROOT, TestStack } from "../../harness/pulumi-stack";
import {
  ADA_X500,
  delegateAddressWrites,
  hybridSyncedUsers,
  readUser,
  sidOf,
} from "../../harness/active-directory-fixtures";
import { startSambaDc, type SambaDc } from "../../harness/samba-dc";

const DELEGATE_PASSWORD = "Deleg4te-Hybrid-Pass!";

let dc: SambaDc;
let emulator: EmulatorProcess;
let stack: TestStack;
let delegateSid: string;
const dns: Record<string, string> = {};

/** What AD holds for a user, read as Administrator over LDAPS. */
const adRead = (upn: string) => readUser(dc, upn);

/** Set-Mailbox writes the emulator's tenant recorded (the directory sync's own exports left out). */
const exchangeWrites = () => emulator.withTenant((t) => t.writes().filter((w) => w.operation !== "directory sync"));
const cloudAddresses = (upn: string) => emulator.withTenant((t) => t.find(upn)!.addresses);

const INITIAL = `version: 1
allowedDomains: [contoso.com, fabrikam.com, contoso.onmicrosoft.com]
defaults:
  mode: strict
mailboxes:
  ada@contoso.com:
    primary: ada@contoso.com
    aliases: [ada.alias@contoso.com]
  ben@contoso.com:
    primary: ben@contoso.com
    aliases: [sales@contoso.com]
  cy@contoso.com:
    primary: cy@contoso.com
  dan@contoso.com:
    primary: dan@contoso.com
  eve@contoso.com:
    primary: eve@contoso.com
    aliases: [eve.old@contoso.com, eve@fabrikam.com]
`;

// One change touching both kinds: a primary change (ada, synced; eve, cloud-only), an alias moving
// from a synced mailbox to a cloud-only one (sales@: ben → dan), removals (ada.alias@, eve.old@),
// and an alias added to cy, a synced user outside the OU the bind account may write.
const CHANGED = `version: 1
allowedDomains: [contoso.com, fabrikam.com, contoso.onmicrosoft.com]
defaults:
  mode: strict
mailboxes:
  ada@contoso.com:
    primary: ada.lovelace@contoso.com
    aliases: [ada@contoso.com]
  ben@contoso.com:
    primary: ben@contoso.com
  cy@contoso.com:
    primary: cy@contoso.com
    aliases: [cy.new@contoso.com]
  dan@contoso.com:
    primary: dan@contoso.com
    aliases: [sales@contoso.com]
  eve@contoso.com:
    primary: eve@fabrikam.com
    aliases: [eve@contoso.com]
`;

describe("hybrid tenant (emulator + Samba AD) end to end through the pulumi binary", () => {
  before(async () => {
    dc = await startSambaDc();
    const ou = await dc.addOu("Mailboxes");
    const [delegate, ada, ben, cy] = await dc.addUsers([
      { name: "delegate", upn: "delegate@corp.contoso.com", password: DELEGATE_PASSWORD },
      ...hybridSyncedUsers(ou),
      // In AD only (not synced to the cloud, in no spec): holds an address.
      { name: "zed", upn: "zed@corp.contoso.com", mail: "zed@contoso.com", proxyAddresses: ["SMTP:zed@contoso.com"] },
    ]);
    Object.assign(dns, { delegate: delegate!, ada: ada!, ben: ben!, cy: cy! });
    // The bind account's SID, then "Write proxyAddresses" and "Write mail" on the OU's user objects.
    delegateSid = await sidOf(dc, delegate!);
    await delegateAddressWrites(dc, ou, delegateSid, "below");

    const admin = {
      MAILBOX_ADDRESSES_AD_BIND_DN: dc.admin.bindDn,
      MAILBOX_ADDRESSES_AD_BIND_PASSWORD: dc.admin.password,
    };
    emulator = await EmulatorProcess.start(
      {},
      {
        seedFile: path.join(PROJECT_ROOT, "test/fixtures/hybrid/tenant.yaml"),
        args: ["--ad-url", dc.url, "--ad-ca-file", dc.caFile, "--ad-base-dn", dc.baseDn],
        env: admin,
      },
    );
    const first = await emulator.sync();
    assert.equal(first.matched, 3, JSON.stringify(first));
    assert.deepEqual(first.errors, []);
    stack = new TestStack(
      "hybrid",
      { ...emulator.stackConfig(), target: "hybrid", adUrl: dc.url, adCaFile: dc.caFile, adBaseDn: dc.baseDn },
      {
        ...emulator.environment(),
        MAILBOX_ADDRESSES_AD_BIND_DN: "delegate@corp.contoso.com",
        MAILBOX_ADDRESSES_AD_BIND_PASSWORD: DELEGATE_PASSWORD,
      },
    );
  });

  after(async () => {
    stack?.dispose();
    await emulator?.stop();
    await dc?.stop();
  });

  it("the emulator's sync projects AD into the cloud as ProxyCalc does, with the on-premises attributes Graph returns", async () => {
    // AD's values, the MOERA added (KB 3190357), X500 kept.
    assert.deepEqual(
      [...cloudAddresses("ada@contoso.com")].sort(),
      ["SMTP:ada@contoso.com", ADA_X500, "smtp:ada.alias@contoso.com", "smtp:ada@contoso.onmicrosoft.com"].sort(),
    );
    const user = await emulator.withTenant((t) => t.find("ben@contoso.com")!);
    assert.equal(user.synced, true);
    assert.match(user.onPremises!.immutableId, /^[A-Za-z0-9+/]{22}==$/);
    assert.match(user.onPremises!.securityIdentifier, /^S-1-5-21-/);
    assert.match(user.onPremises!.lastSyncDateTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it("export adopts both kinds with zero changes; up then writes nothing", async () => {
    const exported = stack.cli(["export", "-o", stack.specFile]);
    assert.equal(exported.code, 0, exported.output);
    const usnBefore = (await adRead("ada@contoso.com")).usn;
    const adopted = stack.up("--refresh");
    assert.equal(adopted.code, 0, adopted.output);
    assert.deepEqual(exchangeWrites(), []);
    assert.equal((await adRead("ada@contoso.com")).usn, usnBefore);
    const again = stack.preview("--refresh", "--expect-no-changes");
    assert.equal(again.code, 0, again.output);
  });

  it("an AD-only stack (target: active-directory) converges AD with no cloud tenant", async () => {
    const adOnly = new TestStack(
      "adonly",
      { target: "active-directory", adUrl: dc.url, adCaFile: dc.caFile, adBaseDn: dc.baseDn },
      { MAILBOX_ADDRESSES_AD_BIND_DN: dc.admin.bindDn, MAILBOX_ADDRESSES_AD_BIND_PASSWORD: dc.admin.password },
    );
    try {
      const usn = (await adRead("ben@contoso.com")).usn;
      adOnly.writeSpec(`version: 1
allowedDomains: [contoso.com]
mailboxes:
  ben@contoso.com:
    primary: ben@contoso.com
    aliases: [sales@contoso.com]
    mode: strict
`);
      const adopted = adOnly.up();
      assert.equal(adopted.code, 0, adopted.output);
      assert.equal((await adRead("ben@contoso.com")).usn, usn, "adopting writes nothing");
      const clean = adOnly.preview("--refresh", "--expect-no-changes");
      assert.equal(clean.code, 0, clean.output);
      const refused = adOnly.cli(["drift", "--quiet"]);
      assert.equal(refused.code, 0, refused.output);
    } finally {
      adOnly.dispose();
    }
  });

  it("uniqueness is checked across AD's objects and the cloud's recipients, at preview, naming the owner and the spec's line", () => {
    stack.writeSpec(`version: 1
allowedDomains: [contoso.com, fabrikam.com, contoso.onmicrosoft.com]
mailboxes:
  ada@contoso.com:
    primary: ada@contoso.com
    aliases: [ada.alias@contoso.com, zed@contoso.com, eve.old@contoso.com]
`);
    const refused = stack.preview("--refresh");
    assert.notEqual(refused.code, 0, refused.output);
    assert.match(
      refused.output,
      /mailboxes\.yaml:6:\d+: .*"zed@contoso\.com" already belongs to .*CN=zed,CN=Users,DC=corp,DC=contoso,DC=com/,
    );
    assert.match(
      refused.output,
      /mailboxes\.yaml:6:\d+: .*"eve\.old@contoso\.com" already belongs to mailbox "Eve \(cloud-only\)"/,
    );
  });

  it("a wrong bind password is refused at preview, naming the account, the variables, and writing nothing", () => {
    const before = exchangeWrites().length;
    stack.writeSpec(CHANGED);
    const refused = stack.run(["preview", "--refresh"], { env: { MAILBOX_ADDRESSES_AD_BIND_PASSWORD: "wrong" } });
    assert.notEqual(refused.code, 0, refused.output);
    assert.match(refused.output, /refused the bind account "delegate@corp\.contoso\.com"/);
    assert.match(refused.output, /Check MAILBOX_ADDRESSES_AD_BIND_DN and MAILBOX_ADDRESSES_AD_BIND_PASSWORD/);
    assert.doesNotMatch(refused.output, /\n\s+at .*\.js:\d+/);
    // Once for the run, not once per mailbox (five here).
    assert.equal(diagnosticsOf(refused.output).match(/refused the bind account/g)?.length, 1, refused.output);
    assert.equal(exchangeWrites().length, before);
  });

  it("one change touching both kinds: previewed with where each write goes, written where each mailbox is mastered", async () => {
    stack.writeSpec(INITIAL);
    stack.run(["up", "--yes", "--skip-preview"], { check: true });
    assert.deepEqual(exchangeWrites(), []);

    stack.writeSpec(CHANGED);
    // cy is outside the OU the bind account may write: preview reads the account's effective
    // rights (allowedAttributesEffective) and refuses, naming the DN; nothing is written anywhere.
    const refused = stack.preview("--diff");
    assert.notEqual(refused.code, 0, refused.output);
    assert.match(
      refused.output,
      /mailbox "cy@contoso\.com": the bind account "delegate@corp\.contoso\.com" may not write proxyAddresses or mail of "CN=cy,CN=Users,DC=corp,DC=contoso,DC=com"/,
    );
    assert.doesNotMatch(refused.output, /may not write .* of "CN=(ada|ben),/);
    assert.deepEqual(exchangeWrites(), []);
    await delegateAddressWrites(dc, dns.cy!, delegateSid, "object");
    const preview = stack.preview("--diff");
    assert.equal(preview.code, 0, preview.output);
    assert.match(preview.output, /ada@contoso\.com: live tenant → spec: .*written to Active Directory/);
    assert.match(preview.output, /ben@contoso\.com: live tenant → spec: .*written to Active Directory/);
    assert.match(preview.output, /eve@contoso\.com: live tenant → spec: .*written to Exchange Online/);
    assert.match(preview.output, /dan@contoso\.com: live tenant → spec: .*written to Exchange Online/);
    const plan = stack.cli(["plan", "--json", "--quiet"]);
    assert.equal(plan.code, 2, plan.output);
    const rows = new Map(
      (
        JSON.parse(plan.stdout) as { mailboxes: { identity: string; change: string; writtenTo?: string }[] }
      ).mailboxes.map((r) => [r.identity, r]),
    );
    assert.equal(rows.get("ada@contoso.com")!.writtenTo, "active-directory");
    assert.equal(rows.get("cy@contoso.com")!.writtenTo, "active-directory");
    assert.equal(rows.get("eve@contoso.com")!.writtenTo, "exchange-online");
    assert.equal(rows.get("eve@contoso.com")!.change, "update");

    const usn = { ada: "", ben: "", cy: "" };
    const up = stack.up();
    assert.equal(up.code, 0, up.output);
    assert.deepEqual(await adRead("ada@contoso.com"), {
      ...(await adRead("ada@contoso.com")),
      proxyAddresses: ["SMTP:ada.lovelace@contoso.com", ADA_X500, "smtp:ada@contoso.com"].sort(),
      mail: "ada.lovelace@contoso.com",
    });
    assert.deepEqual((await adRead("ben@contoso.com")).proxyAddresses, ["SMTP:ben@contoso.com"]);
    assert.deepEqual((await adRead("cy@contoso.com")).proxyAddresses, [
      "SMTP:cy@contoso.com",
      "smtp:cy.new@contoso.com",
    ]);
    usn.ada = (await adRead("ada@contoso.com")).usn;
    usn.ben = (await adRead("ben@contoso.com")).usn;
    usn.cy = (await adRead("cy@contoso.com")).usn;
    // Exchange wrote eve only: dan's new alias is still held in the cloud by ben until the sync.
    const writes = exchangeWrites();
    assert.deepEqual(
      writes.map((w) => emulator.withTenant((t) => t.find(w.recipientId)!.upn)),
      ["eve@contoso.com"],
    );
    // The cloud still shows the synced mailboxes as before: nothing was written there.
    assert.ok(cloudAddresses("ben@contoso.com").includes("smtp:sales@contoso.com"));
    // What was written is in the state.
    const state = stack.state().checkpoint.latest!.resources!.find((r) => r.urn.endsWith("::ada@contoso.com"))!;
    assert.ok(JSON.stringify(state.outputs).includes("ada.lovelace@contoso.com"), JSON.stringify(state.outputs));

    // A rerun writes nothing twice.
    const rerun = stack.up();
    assert.equal(rerun.code, 0, rerun.output);
    assert.equal((await adRead("cy@contoso.com")).usn, usn.cy);
    assert.equal((await adRead("ada@contoso.com")).usn, usn.ada);
    assert.equal((await adRead("ben@contoso.com")).usn, usn.ben);
    assert.equal(exchangeWrites().length, 1);

    // Pending sync is no change to the provider either: preview plans dan's deferred alias only.
    const pending = stack.preview("--refresh");
    assert.equal(pending.code, 0, pending.output);
    assert.doesNotMatch(pending.output, /(ada|ben|cy)@contoso\.com: live tenant → spec/);
    assert.match(pending.output, /(ada|ben|cy)@contoso\.com: pending sync: Active Directory matches the spec/);
    assert.match(pending.output, /dan@contoso\.com: live tenant → spec: .*sales@contoso\.com/);

    // drift: pending sync, not drift: the CI gate passes (exit 0).
    const drift = stack.cli(["drift", "--json", "--quiet"]);
    assert.equal(drift.code, 0, drift.output);
    const report = JSON.parse(drift.stdout) as {
      mailboxes: {
        identity: string;
        change: string;
        writtenTo?: string;
        sync?: { state: string; lastSyncAgeSeconds?: number; waitingForSync?: string[] };
      }[];
    };
    const byId = new Map(report.mailboxes.map((r) => [r.identity, r]));
    for (const synced of ["ada@contoso.com", "ben@contoso.com", "cy@contoso.com"]) {
      assert.equal(byId.get(synced)!.sync?.state, "pending", JSON.stringify(byId.get(synced)));
      assert.equal(byId.get(synced)!.writtenTo, "active-directory");
      assert.equal(typeof byId.get(synced)!.sync?.lastSyncAgeSeconds, "number");
    }
    assert.deepEqual(byId.get("dan@contoso.com")!.sync, { state: "pending", waitingForSync: ["sales@contoso.com"] });
    assert.equal(byId.get("eve@contoso.com")!.change, "none");
    const table = stack.cli(["drift", "--quiet"]);
    assert.equal(table.code, 0, table.output);
    assert.match(table.output, /pending sync, last sync \d+ (s|min) ago/);

    // The sync cycle carries AD to the cloud.
    const cycle = await emulator.sync();
    assert.deepEqual(cycle.errors, []);
    assert.ok(!cloudAddresses("ben@contoso.com").includes("smtp:sales@contoso.com"));
    assert.ok(cloudAddresses("ada@contoso.com").includes("SMTP:ada.lovelace@contoso.com"));

    // dan takes sales@ now that the sync released it: one more Exchange write, nothing else.
    const finish = stack.up();
    assert.equal(finish.code, 0, finish.output);
    assert.equal(exchangeWrites().length, 2);
    assert.ok(cloudAddresses("dan@contoso.com").includes("smtp:sales@contoso.com"));
    const clean = stack.preview("--refresh", "--expect-no-changes");
    assert.equal(clean.code, 0, clean.output);
    const settled = stack.cli(["drift", "--json", "--quiet"]);
    assert.equal(settled.code, 0, settled.output);
    assert.ok(
      (JSON.parse(settled.stdout) as { mailboxes: { sync?: { state: string } }[] }).mailboxes.every(
        (r) => r.sync === undefined || r.sync.state === "in-sync",
      ),
      settled.stdout,
    );

    // `cloudManaged: true` takes a synced mailbox over: written in Exchange Online, AD left alone.
    const cyUsn = (await adRead("cy@contoso.com")).usn;
    stack.writeSpec(
      CHANGED.replace(
        "    aliases: [cy.new@contoso.com]",
        "    aliases: [cy.new@contoso.com, cy.cloud@contoso.com]\n    cloudManaged: true",
      ),
    );
    const takeover = stack.preview();
    assert.match(takeover.output, /cy@contoso\.com: live tenant → spec: .*written to Exchange Online/);
    const taken = stack.up();
    assert.equal(taken.code, 0, taken.output);
    assert.equal((await adRead("cy@contoso.com")).usn, cyUsn);
    assert.ok(cloudAddresses("cy@contoso.com").includes("smtp:cy.cloud@contoso.com"));
    await emulator.sync();
    assert.ok(
      cloudAddresses("cy@contoso.com").includes("smtp:cy.cloud@contoso.com"),
      "the sync leaves a cloud-managed mailbox's addresses",
    );
    const steady = stack.preview("--refresh", "--expect-no-changes");
    assert.equal(steady.code, 0, steady.output);
  });
});

describe("the emulator's directory sync on an interval", () => {
  it("--sync-interval syncs on its own, with no control request", async () => {
    const dc = await startSambaDc();
    let emulator: EmulatorProcess | undefined;
    try {
      await dc.addUsers([
        {
          name: "ivy",
          upn: "ada@contoso.com",
          mail: "ada.interval@contoso.com",
          proxyAddresses: ["SMTP:ada.interval@contoso.com"],
        },
      ]);
      emulator = await EmulatorProcess.start(
        {},
        {
          seedFile: path.join(PROJECT_ROOT, "test/fixtures/hybrid/tenant.yaml"),
          args: ["--ad-url", dc.url, "--ad-ca-file", dc.caFile, "--ad-base-dn", dc.baseDn, "--sync-interval", "1"],
          env: { MAILBOX_ADDRESSES_AD_BIND_DN: dc.admin.bindDn, MAILBOX_ADDRESSES_AD_BIND_PASSWORD: dc.admin.password },
        },
      );
      const deadline = Date.now() + 15_000;
      let addresses: readonly string[] = [];
      while (Date.now() < deadline) {
        addresses = emulator.withTenant((t) => t.find("ada@contoso.com")!.addresses);
        if (addresses.includes("SMTP:ada.interval@contoso.com")) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.deepEqual(addresses, ["SMTP:ada.interval@contoso.com", "smtp:ada@contoso.onmicrosoft.com"]);
    } finally {
      await emulator?.stop();
      await dc.stop();
    }
  });
});
