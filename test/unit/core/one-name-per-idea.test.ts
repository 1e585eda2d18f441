// One name per idea (issue 28, item 2): a problem at a mailbox, a UPN change, the default kind,
// the spec a stack names and where a hybrid write goes each have one definition that every
// caller shares.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { formatProblem } from "../../../core/problems";
import { loadSpecText } from "../../../core/desired/load-spec";
import { problemAt } from "../../../core/desired/positions";
import { DEFAULT_RECIPIENT_KIND, kindOf, writeScopeMessage } from "../../../exchange/exchange-rules";
import { changesUpn, upnChanges } from "../../../reconcile/upn";
import { CLOUD, DIRECTORY, WRITTEN_TO, type LiveMailbox, type WrittenTo } from "../../../targets/tenant-backend";
import { masterOf, writtenToOf } from "../../../targets/hybrid/hybrid-backend";
import reportSchema from "../../../schemas/report.schema.json";
import { readStackSpec } from "../../../cli/stack-settings";
import { CliError } from "../../../cli/cli-error";

const TEXT =
  "version: 1\nallowedDomains: [contoso.com]\nmailboxes:\n  ada@contoso.com:\n    primary: ada@contoso.com\n    aliases: [a.l@contoso.com]\n    userPrincipalName: ADA@contoso.com\n";

function spec() {
  const loaded = loadSpecText("infra/mailboxes.yaml", TEXT, { policies: true });
  assert.ok(loaded.ok, JSON.stringify(!loaded.ok && loaded.problems));
  return loaded.spec;
}

describe("problemAt", () => {
  it("places a problem at the mailbox, at one of its addresses, or at a key under it", () => {
    const mailbox = spec().mailboxes[0]!;
    assert.equal(
      formatProblem(problemAt("m.yaml", mailbox, undefined, "bad")),
      'm.yaml:4:3: mailboxes["ada@contoso.com"]: bad',
    );
    assert.equal(
      formatProblem(problemAt("m.yaml", mailbox, "A.L@contoso.com", "taken")),
      'm.yaml:6:15: mailboxes["ada@contoso.com"].aliases[0]: taken',
    );
    assert.equal(
      formatProblem(problemAt("m.yaml", mailbox, "ada@contoso.com", "taken")),
      'm.yaml:5:14: mailboxes["ada@contoso.com"].primary: taken',
    );
    assert.deepEqual(problemAt("m.yaml", mailbox, undefined, "refused", "userPrincipalName").path, [
      "mailboxes",
      "ada@contoso.com",
      "userPrincipalName",
    ]);
  });
});

describe("changesUpn", () => {
  it("compares case-insensitively, and nothing asked changes nothing", () => {
    assert.equal(changesUpn("ADA@contoso.com", "ada@contoso.com"), false);
    assert.equal(changesUpn("ada@fabrikam.com", "ada@contoso.com"), true);
    assert.equal(changesUpn("ada@contoso.com", undefined), true);
    assert.equal(changesUpn(undefined, "ada@contoso.com"), false);
  });
  it("is what upnChanges reports per mailbox", () => {
    const live = (upn: string): Map<string, LiveMailbox> =>
      new Map([
        [
          "ada@contoso.com",
          {
            id: "1",
            upn,
            displayName: "Ada",
            type: "UserMailbox",
            synced: false,
            cloudManaged: false,
            addresses: ["SMTP:ada@contoso.com"],
          },
        ],
      ]);
    assert.deepEqual([...upnChanges(spec(), live("ada@contoso.com"))], []);
    assert.deepEqual(
      [...upnChanges(spec(), live("old@contoso.com"))],
      [["ada@contoso.com", { from: "old@contoso.com", to: "ADA@contoso.com" }]],
    );
  });
});

describe("DEFAULT_RECIPIENT_KIND", () => {
  it("is the kind of a recipient nothing tells otherwise", () => {
    assert.equal(DEFAULT_RECIPIENT_KIND, "UserMailbox");
    assert.equal(kindOf({}), DEFAULT_RECIPIENT_KIND);
    assert.equal(writeScopeMessage("ada"), writeScopeMessage("ada", DEFAULT_RECIPIENT_KIND));
  });
});

describe("readStackSpec", () => {
  it("reads the spec a stack's settings name, and a refusal names the setting and the stack", () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "mbx-stack-spec-"));
    writeFileSync(path.join(root, "mailboxes.yaml"), TEXT);
    assert.equal(readStackSpec({ root, spec: "mailboxes.yaml", stack: "dev" }).toString("utf8"), TEXT);
    assert.throws(
      () => readStackSpec({ root, spec: "missing.yaml", stack: "dev" }),
      (err: unknown) =>
        err instanceof CliError && /^the spec .*missing\.yaml.* \(setting "spec" of stack "dev"\)$/s.test(err.message),
    );
    assert.throws(
      () => readStackSpec({ root, spec: "missing.yaml", stack: "dev" }, true),
      (err: unknown) => err instanceof CliError && !err.message.includes("setting"),
    );
  });
});

describe("where a write goes (hybrid)", () => {
  const mailbox = (synced: boolean, cloudManaged: boolean, writtenTo?: WrittenTo): LiveMailbox => ({
    id: "1",
    upn: "ada@contoso.com",
    displayName: "Ada",
    synced,
    cloudManaged,
    addresses: ["SMTP:ada@contoso.com"],
    ...(writtenTo ? { writtenTo } : {}),
  });
  it("is decided by the hybrid target: AD for a synced mailbox, Exchange Online for the rest and for one taken over", () => {
    assert.equal(masterOf(mailbox(true, false)), DIRECTORY);
    assert.equal(masterOf(mailbox(true, false), true), CLOUD);
    assert.equal(masterOf(mailbox(true, true)), CLOUD);
    assert.equal(masterOf(mailbox(false, false)), CLOUD);
    assert.equal(writtenToOf(mailbox(true, false, DIRECTORY), true), CLOUD);
    assert.equal(writtenToOf(mailbox(true, false, DIRECTORY)), DIRECTORY);
    assert.equal(writtenToOf(mailbox(true, false)), undefined, "a stack of one target says nowhere");
  });
  it("names the places the report schema lists", () => {
    assert.deepEqual([...WRITTEN_TO].sort(), [...reportSchema.$defs.mailboxRow.properties.writtenTo.enum].sort());
  });
});
