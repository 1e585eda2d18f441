// The active-directory target alone (`target: active-directory`: on-premises AD, no cloud tenant)
// end to end on the real engine and a real domain controller (Samba, harness/samba-dc.ts; missing
// samba fails, never skips): a change that adds an alias, changes a primary and removes an alias
// is announced by `pulumi preview --diff` and `mailbox-addresses plan`, and `up` leaves exactly
// that in AD, read back over LDAP. A refused bind or an unreachable directory is told once, and
// an address too long for one proxyAddresses value is refused at preview.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { delegateAddressWrites, readUser, sidOf } from "../../harness/active-directory-fixtures";
import { diagnosticsOf, TestStack } from "../../harness/pulumi-stack";
import { startSambaDc, type SambaDc } from "../../harness/samba-dc";

const X500 = "X500:/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=xena-onprem";
const SIP = "SIP:Xena@contoso.com";
const DELEGATE_PASSWORD = "Deleg4te-Rights-Pass!";

let dc: SambaDc;
let stack: TestStack;

/** What AD holds for a user, read as Administrator over LDAPS. */
const adRead = (upn: string) => readUser(dc, upn);

interface PlanRow {
  identity: string;
  change: string;
  primary?: { from: string | null; to: string };
  added: string[];
  removed: string[];
  problems: string[];
}

/** A stack trace's frame line, as Node prints it. */
const TRACE = /^\s+at .*:\d+/m;

/** How many times `pattern` (global) occurs in `text`. */
const occurrences = (text: string, pattern: RegExp) => text.match(pattern)?.length ?? 0;

/** An address of `length` characters (64 before "@", labels of at most 63). */
const longAddress = (length: number) =>
  `${"x".repeat(64)}@${"d".repeat(length - 193)}.${"e".repeat(63)}.${"f".repeat(59)}.com`;

/** `mailbox-addresses plan --json`: exit code and rows by identity. */
function plan(): { code: number; rows: Map<string, PlanRow>; output: string } {
  const result = stack.cli(["plan", "--json", "--quiet"]);
  const rows = result.stdout.trim() ? (JSON.parse(result.stdout) as { mailboxes: PlanRow[] }).mailboxes : [];
  return { code: result.code, rows: new Map(rows.map((r) => [r.identity, r])), output: result.output };
}

const ADOPTED = `version: 1
allowedDomains: [contoso.com]
defaults:
  mode: strict
mailboxes:
  xena@contoso.com:
    primary: xena@contoso.com
    aliases: [xena.old@contoso.com]
  yuri@contoso.com:
    primary: yuri@contoso.com
`;

// xena: a new primary (the old one kept as an alias), an alias added, one removed; yuri: an alias added.
const CHANGED = `version: 1
allowedDomains: [contoso.com]
defaults:
  mode: strict
mailboxes:
  xena@contoso.com:
    primary: xena.warrior@contoso.com
    aliases: [xena@contoso.com, xena.new@contoso.com]
  yuri@contoso.com:
    primary: yuri@contoso.com
    aliases: [yuri.new@contoso.com]
`;

describe("the active-directory target alone (Samba AD) end to end through the pulumi binary", () => {
  before(async () => {
    dc = await startSambaDc();
    const ou = await dc.addOu("Mailboxes");
    const users = await dc.addUsers([
      {
        name: "xena",
        upn: "xena@contoso.com",
        parent: ou,
        mail: "xena@contoso.com",
        proxyAddresses: ["SMTP:xena@contoso.com", "smtp:xena.old@contoso.com", X500, SIP],
      },
      {
        name: "yuri",
        upn: "yuri@contoso.com",
        parent: ou,
        mail: "yuri@contoso.com",
        proxyAddresses: ["SMTP:yuri@contoso.com"],
      },
      // In no spec: holds an address.
      {
        name: "zed",
        upn: "zed@contoso.com",
        mail: "zed@contoso.com",
        proxyAddresses: ["SMTP:zed@contoso.com", "smtp:shared@contoso.com"],
      },
      // Outside the OU the delegate may write.
      { name: "wen", upn: "wen@contoso.com", mail: "wen@contoso.com", proxyAddresses: ["SMTP:wen@contoso.com"] },
      { name: "delegate", upn: "delegate@corp.contoso.com", password: DELEGATE_PASSWORD },
    ]);
    // "Write proxyAddresses" and "Write mail" for the delegate, on the user objects of the OU only.
    await delegateAddressWrites(dc, ou, await sidOf(dc, users[4]!), "below");
    stack = new TestStack(
      "adtarget",
      { target: "active-directory", adUrl: dc.url, adCaFile: dc.caFile, adBaseDn: dc.baseDn },
      { MAILBOX_ADDRESSES_AD_BIND_DN: dc.admin.bindDn, MAILBOX_ADDRESSES_AD_BIND_PASSWORD: dc.admin.password },
    );
  });

  after(async () => {
    stack?.dispose();
    await dc?.stop();
  });

  it("adopts the directory as it is: no write", async () => {
    stack.writeSpec(ADOPTED);
    const usn = (await adRead("xena@contoso.com")).usn;
    const adopted = stack.up();
    assert.equal(adopted.code, 0, adopted.output);
    assert.equal((await adRead("xena@contoso.com")).usn, usn);
    const clean = stack.preview("--refresh", "--expect-no-changes");
    assert.equal(clean.code, 0, clean.output);
  });

  it("a wrong bind password: preview, up, plan and drift tell it once, naming the directory, the account and the remedy, with no stack trace; nothing written", async () => {
    const usn = (await adRead("xena@contoso.com")).usn;
    const wrong = { MAILBOX_ADDRESSES_AD_BIND_PASSWORD: "not-the-password" };
    const told = new RegExp(
      `${dc.host.replace(/\./g, "\\.")}:636 refused the bind account "${dc.admin.bindDn.replace(/\./g, "\\.")}" \\(wrong name or password, or the account is locked or disabled\\)\\. Check MAILBOX_ADDRESSES_AD_BIND_DN and MAILBOX_ADDRESSES_AD_BIND_PASSWORD`,
      "g",
    );
    for (const args of [["preview"], ["preview", "--diff"], ["up", "--yes", "--skip-preview"]]) {
      const run = stack.run(args, { env: wrong });
      assert.notEqual(run.code, 0, run.output);
      assert.doesNotMatch(run.output, TRACE, run.output);
      // One diagnostic for the run, not one per mailbox: the engine lists it once under
      // "Diagnostics:" (and shows it on the row of the resource that met it while it runs).
      assert.equal(
        occurrences(args.includes("--diff") ? run.output : diagnosticsOf(run.output), told),
        1,
        `pulumi ${args.join(" ")}:\n${run.output}`,
      );
      const perMailbox = ["xena", "yuri"].filter((m) =>
        new RegExp(`mailbox "${m}@contoso\\.com"\\): [^\\n]*refused the bind account`).test(run.output),
      );
      assert.ok(perMailbox.length <= 1, `told for ${perMailbox.join(" and ")}:\n${run.output}`);
    }
    for (const command of ["plan", "drift"]) {
      const run = stack.cli([command], wrong);
      assert.equal(run.code, 1, run.output);
      assert.equal(occurrences(run.output, told), 1, `${command}:\n${run.output}`);
      assert.doesNotMatch(run.output, TRACE, run.output);
      assert.doesNotMatch(run.output, /pulumi up/, `${command} offers no apply it would refuse:\n${run.output}`);
    }
    assert.equal((await adRead("xena@contoso.com")).usn, usn);
  });

  it("an unreachable directory: preview and drift tell it once, naming its address and the remedy, with no stack trace", () => {
    const unreachable = `ldaps://${dc.host}:1`;
    stack.run(["config", "set", "mailbox-addresses:adUrl", unreachable], { check: true });
    try {
      const told = new RegExp(
        `Active Directory at ${dc.host.replace(/\./g, "\\.")}:1 is unreachable \\([^)]*\\)\\. Check mailbox-addresses:adUrl and that LDAPS \\(TCP 1\\) is open from this machine`,
        "g",
      );
      const preview = stack.preview();
      assert.notEqual(preview.code, 0, preview.output);
      assert.equal(occurrences(diagnosticsOf(preview.output), told), 1, preview.output);
      assert.doesNotMatch(preview.output, TRACE, preview.output);
      const drift = stack.cli(["drift"]);
      assert.equal(drift.code, 1, drift.output);
      assert.equal(occurrences(drift.output, told), 1, drift.output);
      assert.doesNotMatch(drift.output, /pulumi up/, drift.output);
    } finally {
      stack.run(["config", "set", "mailbox-addresses:adUrl", dc.url], { check: true });
    }
  });

  it("adds an alias, changes a primary and removes an alias: preview --diff and plan say so, up writes exactly that", async () => {
    stack.writeSpec(CHANGED);
    const preview = stack.preview("--diff");
    assert.equal(preview.code, 0, preview.output);
    assert.doesNotMatch(preview.output, /already belongs to/);
    // xena: the primary moves, xena.new@ comes, xena.old@ goes; yuri: yuri.new@ comes.
    assert.match(
      preview.output,
      /xena@contoso\.com: live tenant → spec: .*primary xena@contoso\.com → xena\.warrior@contoso\.com/,
    );
    assert.match(preview.output, /\+ .*xena\.new@contoso\.com/);
    assert.match(preview.output, /- .*xena\.old@contoso\.com/);
    assert.match(preview.output, /~ xena@contoso\.com *: "SMTP:xena@contoso\.com" => "smtp:xena@contoso\.com"/);
    assert.match(preview.output, /\+ .*yuri\.new@contoso\.com/);
    assert.match(preview.output, /~ 2 to update/);

    const planned = plan();
    assert.equal(planned.code, 2, planned.output);
    const xena = planned.rows.get("xena@contoso.com")!;
    assert.equal(xena.change, "update");
    assert.deepEqual(xena.primary, { from: "xena@contoso.com", to: "xena.warrior@contoso.com" });
    assert.deepEqual(xena.added, ["xena.new@contoso.com"]);
    assert.deepEqual(xena.removed, ["xena.old@contoso.com"]);
    const yuri = planned.rows.get("yuri@contoso.com")!;
    assert.equal(yuri.change, "update");
    assert.deepEqual(yuri.added, ["yuri.new@contoso.com"]);
    assert.deepEqual(yuri.removed, []);

    const up = stack.up();
    assert.equal(up.code, 0, up.output);
    assert.match(up.output, /~ 2 updated/);
    const xenaNow = await adRead("xena@contoso.com");
    assert.deepEqual(
      xenaNow.proxyAddresses,
      ["SMTP:xena.warrior@contoso.com", SIP, X500, "smtp:xena.new@contoso.com", "smtp:xena@contoso.com"].sort(),
    );
    assert.equal(xenaNow.mail, "xena.warrior@contoso.com");
    assert.deepEqual(await adRead("yuri@contoso.com"), {
      ...(await adRead("yuri@contoso.com")),
      proxyAddresses: ["SMTP:yuri@contoso.com", "smtp:yuri.new@contoso.com"],
      mail: "yuri@contoso.com",
    });

    // Converged: nothing more to do, nothing written again.
    const clean = stack.preview("--refresh", "--expect-no-changes");
    assert.equal(clean.code, 0, clean.output);
    const again = stack.up();
    assert.equal(again.code, 0, again.output);
    assert.equal((await adRead("xena@contoso.com")).usn, xenaNow.usn);
    const settled = plan();
    assert.equal(settled.code, 0, settled.output);
  });

  it("an address another AD object holds is refused at preview, naming it by DN; nothing written", async () => {
    stack.writeSpec(
      CHANGED.replace("aliases: [yuri.new@contoso.com]", "aliases: [yuri.new@contoso.com, shared@contoso.com]"),
    );
    const usn = (await adRead("yuri@contoso.com")).usn;
    const refused = stack.preview();
    assert.notEqual(refused.code, 0, refused.output);
    assert.match(
      refused.output,
      /mailboxes\.yaml:\d+:\d+: .*"shared@contoso\.com" already belongs to .*CN=zed,CN=Users,DC=corp,DC=contoso,DC=com/,
    );
    assert.doesNotMatch(refused.output, /"yuri\.new@contoso\.com" already belongs/);
    // drift finds the same problem; up would refuse it, so drift does not offer up.
    const drift = stack.cli(["drift"]);
    assert.equal(drift.code, 1, drift.output);
    assert.match(drift.output, /"shared@contoso\.com" already belongs to/);
    assert.match(drift.output, /pulumi up refuses while a problem above remains/);
    assert.doesNotMatch(drift.output, /^\s*pulumi up\s*$/m);
    const up = stack.up();
    assert.notEqual(up.code, 0, up.output);
    assert.equal((await adRead("yuri@contoso.com")).usn, usn);
  });

  it("an address too long for one proxyAddresses value (257 characters with smtp:) is refused at preview, at its line, naming the mailbox and the limit; nothing written; 256 fits", async () => {
    const tooLong = longAddress(252);
    const fits = longAddress(251);
    const spec = (alias: string) => `version: 1
allowedDomains: [contoso.com, ${alias.split("@")[1]}]
defaults:
  mode: strict
mailboxes:
  xena@contoso.com:
    primary: xena.warrior@contoso.com
    aliases: [xena@contoso.com, xena.new@contoso.com]
  yuri@contoso.com:
    primary: yuri@contoso.com
    aliases: [yuri.new@contoso.com, ${alias}]
`;
    stack.writeSpec(spec(tooLong));
    const before = await adRead("yuri@contoso.com");
    const refused = stack.preview();
    assert.notEqual(refused.code, 0, refused.output);
    assert.match(
      refused.output,
      /mailboxes\.yaml:11:\d+: mailboxes\["yuri@contoso\.com"\]\.aliases\[1\]: alias "smtp:x{64}@d+.*has 257 characters with its prefix; a proxyAddresses value holds at most 256 \(the address at most 251\): the Active Directory ldaps:\/\/.* cannot hold it; nothing is written\. What to do: shorten the address to at most 251 characters in the spec, or drop it/,
    );
    assert.doesNotMatch(refused.output, TRACE, refused.output);
    const up = stack.up();
    assert.notEqual(up.code, 0, up.output);
    assert.deepEqual(await adRead("yuri@contoso.com"), before);
    // 251 characters, 256 with the prefix: written.
    stack.writeSpec(spec(fits));
    const written = stack.up();
    assert.equal(written.code, 0, written.output);
    assert.ok((await adRead("yuri@contoso.com")).proxyAddresses.includes(`smtp:${fits}`));
    stack.writeSpec(CHANGED);
    const back = stack.up();
    assert.equal(back.code, 0, back.output);
  });

  it("a bind account without write rights on one object: preview names its DN and the missing rights; the run writes nothing, the others once it is out of the change", async () => {
    const delegated = new TestStack(
      "adrights",
      { target: "active-directory", adUrl: dc.url, adCaFile: dc.caFile, adBaseDn: dc.baseDn },
      {
        MAILBOX_ADDRESSES_AD_BIND_DN: "delegate@corp.contoso.com",
        MAILBOX_ADDRESSES_AD_BIND_PASSWORD: DELEGATE_PASSWORD,
      },
    );
    try {
      const spec = (xenaAlias: string, wenAlias: string) => `version: 1
allowedDomains: [contoso.com]
mailboxes:
  xena@contoso.com:
    primary: xena.warrior@contoso.com
    aliases: [xena@contoso.com, xena.new@contoso.com${xenaAlias}]
  wen@contoso.com:
    primary: wen@contoso.com${wenAlias}
`;
      delegated.writeSpec(spec(", xena.rights@contoso.com", "\n    aliases: [wen.new@contoso.com]"));
      const before = { xena: (await adRead("xena@contoso.com")).usn, wen: (await adRead("wen@contoso.com")).usn };
      const preview = delegated.preview();
      assert.notEqual(preview.code, 0, preview.output);
      assert.match(
        preview.output,
        /mailboxes\.yaml:\d+:\d+: .*mailbox "wen@contoso\.com": the bind account "delegate@corp\.contoso\.com" may not write proxyAddresses or mail of "CN=wen,CN=Users,DC=corp,DC=contoso,DC=com" \(its effective rights there, allowedAttributesEffective, lack "Write proxyAddresses" and "Write mail"\)/,
      );
      assert.match(
        preview.output,
        /dsacls "CN=Users,DC=corp,DC=contoso,DC=com" \/I:S \/G "delegate@corp\.contoso\.com:WP;proxyAddresses;user"/,
      );
      assert.doesNotMatch(preview.output, /may not write .* of "CN=xena/);
      const plan = delegated.cli(["plan", "--json", "--quiet"]);
      assert.equal(plan.code, 1, plan.output);
      assert.match(plan.stdout, /may not write proxyAddresses or mail of \\"CN=wen/);
      // The run is refused whole (docs/ACTIVE-DIRECTORY.md): nothing written, not even xena's.
      const up = delegated.up();
      assert.notEqual(up.code, 0, up.output);
      assert.equal((await adRead("xena@contoso.com")).usn, before.xena);
      assert.equal((await adRead("wen@contoso.com")).usn, before.wen);
      // Without wen's change, xena's is written by the same account.
      delegated.writeSpec(spec(", xena.rights@contoso.com", ""));
      const written = delegated.up();
      assert.equal(written.code, 0, written.output);
      assert.ok((await adRead("xena@contoso.com")).proxyAddresses.includes("smtp:xena.rights@contoso.com"));
      assert.equal((await adRead("wen@contoso.com")).usn, before.wen);
    } finally {
      delegated.dispose();
    }
  });
});
