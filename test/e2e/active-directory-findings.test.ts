// The active-directory target on a real domain controller (Samba, harness/samba-dc.ts) through the
// pulumi binary and the CLI: a user with two uppercase SMTP: entries is a finding that preview,
// plan and drift name, accept keeps both addresses, up repairs it to the spec's one primary; the
// bind password as a Pulumi secret setting; an unknown setting refused alike everywhere.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { readAddresses } from "../../harness/active-directory-fixtures";
import { TestStack } from "../../harness/pulumi-stack";
import { startSambaDc, type SambaDc } from "../../harness/samba-dc";

let dc: SambaDc;
let stack: TestStack;

/** What AD holds for a user, read as Administrator over LDAPS. */
const adRead = (upn: string) => readAddresses(dc, upn);

interface Row {
  identity: string;
  change: string;
  findings?: string[];
}
const rowsOf = (stdout: string) =>
  new Map((JSON.parse(stdout) as { mailboxes: Row[] }).mailboxes.map((r) => [r.identity, r]));

const SPEC = `version: 1
allowedDomains: [contoso.com]
mailboxes:
  twin@contoso.com:
    primary: twin.a@contoso.com
    aliases: [twin.b@contoso.com]
  solo@contoso.com:
    primary: solo@contoso.com
`;
const BOTH = /2 uppercase SMTP: entries \("SMTP:twin\.a@contoso\.com", "SMTP:twin\.b@contoso\.com"\)/;

describe("the active-directory target: two primaries, the bind password as a secret, unknown settings", () => {
  before(async () => {
    dc = await startSambaDc();
    const ou = await dc.addOu("Mailboxes");
    await dc.addUsers([
      {
        name: "twin",
        upn: "twin@contoso.com",
        parent: ou,
        mail: "twin.a@contoso.com",
        proxyAddresses: ["SMTP:twin.a@contoso.com", "SMTP:twin.b@contoso.com"],
      },
      {
        name: "solo",
        upn: "solo@contoso.com",
        parent: ou,
        mail: "solo@contoso.com",
        proxyAddresses: ["SMTP:solo@contoso.com"],
      },
    ]);
    // The environment's account is wrong on purpose: the stack's settings must be what binds.
    stack = new TestStack(
      "adfindings",
      {
        target: "active-directory",
        adUrl: dc.url,
        adCaFile: dc.caFile,
        adBaseDn: dc.baseDn,
        adBindDn: dc.admin.bindDn,
      },
      {
        MAILBOX_ADDRESSES_AD_BIND_DN: "nobody@corp.contoso.com",
        MAILBOX_ADDRESSES_AD_BIND_PASSWORD: "not-the-password",
      },
    );
    stack.run(["config", "set", "--secret", "mailbox-addresses:adBindPassword", dc.admin.password], { check: true });
    stack.writeSpec(SPEC);
  });

  after(async () => {
    stack?.dispose();
    await dc?.stop();
  });

  it("the bind password is a Pulumi secret: encrypted in the stack file, used by preview and drift", () => {
    const file = readFileSync(stack.configFile, "utf8");
    assert.match(file, /mailbox-addresses:adBindPassword:\n\s+secure: /);
    assert.ok(!file.includes(dc.admin.password));
    const preview = stack.preview();
    assert.equal(preview.code, 0, preview.output);
    const drift = stack.cli(["drift", "--json", "--quiet"]);
    assert.notEqual(drift.code, 1, drift.output);
  });

  it("two uppercase SMTP: entries: preview, plan and drift name both; accept keeps both; up repairs to the spec's one primary", async () => {
    const preview = stack.preview("--diff");
    assert.equal(preview.code, 0, preview.output);
    assert.match(preview.output, new RegExp(`twin@contoso\\.com: live tenant → spec: repair: ${BOTH.source}`));

    const plan = stack.cli(["plan", "--json", "--quiet"]);
    assert.equal(plan.code, 2, plan.output);
    assert.match(rowsOf(plan.stdout).get("twin@contoso.com")!.findings!.join("\n"), BOTH);
    assert.equal(rowsOf(plan.stdout).get("solo@contoso.com")!.findings, undefined);
    const table = stack.cli(["plan"]);
    assert.match(table.output, new RegExp(`\\n {4}finding: ${BOTH.source}`));

    const drift = stack.cli(["drift", "--json", "--quiet"]);
    assert.equal(drift.code, 2, drift.output);
    const row = rowsOf(drift.stdout).get("twin@contoso.com")!;
    assert.equal(row.change, "drift");
    assert.match(row.findings!.join("\n"), BOTH);

    // accept: the spec keeps both addresses (the spec's primary, the other as an alias).
    const accepted = stack.cli(["accept", "twin@contoso.com"]);
    assert.equal(accepted.code, 0, accepted.output);
    assert.equal(readFileSync(stack.specFile, "utf8"), SPEC);

    const up = stack.up();
    assert.equal(up.code, 0, up.output);
    assert.deepEqual(await adRead("twin@contoso.com"), {
      proxyAddresses: ["SMTP:twin.a@contoso.com", "smtp:twin.b@contoso.com"],
      mail: "twin.a@contoso.com",
    });
    const settled = stack.cli(["drift", "--json", "--quiet"]);
    assert.equal(settled.code, 0, settled.output);
    assert.equal(rowsOf(settled.stdout).get("twin@contoso.com")!.findings, undefined);
    const clean = stack.preview("--refresh", "--expect-no-changes");
    assert.equal(clean.code, 0, clean.output);
    // The secret never reaches the state.
    assert.ok(!stack.stateText().includes(dc.admin.password));
  });

  it("an unknown setting (adBindPasword) is refused by preview, up, drift and plan alike, with the closest key", () => {
    stack.run(["config", "set", "--secret", "mailbox-addresses:adBindPasword", "x"], { check: true });
    try {
      const refusal = /unknown setting "mailbox-addresses:adBindPasword" \(did you mean "adBindPassword"\?\)/;
      for (const result of [stack.preview(), stack.up(), stack.cli(["drift"]), stack.cli(["plan"])]) {
        assert.equal(result.code, 1, result.output);
        assert.match(result.output, refusal);
      }
    } finally {
      stack.run(["config", "rm", "mailbox-addresses:adBindPasword"], { check: true });
    }
  });

  it("a wrong bind password in the settings names the setting at preview, and drift does not suggest pulumi up", () => {
    stack.run(["config", "set", "--secret", "mailbox-addresses:adBindPassword", "wrong"], { check: true });
    try {
      const preview = stack.preview();
      assert.notEqual(preview.code, 0, preview.output);
      assert.match(
        preview.output,
        /refused the bind account "Administrator@CORP\.CONTOSO\.COM".*Check mailbox-addresses:adBindDn and mailbox-addresses:adBindPassword/,
      );
      const drift = stack.cli(["drift"]);
      assert.equal(drift.code, 1, drift.output);
      assert.doesNotMatch(drift.output, /: pulumi up$/m);
    } finally {
      stack.run(["config", "set", "--secret", "mailbox-addresses:adBindPassword", dc.admin.password], { check: true });
    }
  });
});
