// Pending sync is not drift (core/drift/compute-drift.ts, the report): for a mailbox mastered in
// AD, AD is compared with the spec; the cloud's list only tells whether the next sync is still due.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { computeDrift, type MailboxFacts } from "../../../core/drift/compute-drift";
import { exitCodeOf, makeReport, renderTable } from "../../../core/report/report";
import { loadSpecText } from "../../../core/desired/load-spec";

const loaded = loadSpecText(
  "mailboxes.yaml",
  [
    "version: 1",
    "allowedDomains: [contoso.com, contoso.onmicrosoft.com]",
    "mailboxes:",
    "  ada@contoso.com:",
    "    primary: ada.new@contoso.com",
    "  eve@contoso.com:",
    "    primary: eve@contoso.com",
    "",
  ].join("\n"),
);
assert.ok(loaded.ok);
const spec = loaded.spec;
const at = new Date(Date.now() - 5 * 60_000).toISOString();

describe("sync state of synced mailboxes", () => {
  it("AD matches, the cloud does not yet: pending sync, no change, exit 0, with the age of the last sync", () => {
    const live = new Map([
      ["ada@contoso.com", ["SMTP:ada.new@contoso.com"]],
      ["eve@contoso.com", ["SMTP:eve@contoso.com"]],
    ]);
    const facts = new Map<string, MailboxFacts>([
      [
        "ada@contoso.com",
        {
          writtenTo: "active-directory",
          cloudAddresses: ["SMTP:ada@contoso.com", "smtp:ada@contoso.onmicrosoft.com"],
          lastSyncAt: at,
        },
      ],
      ["eve@contoso.com", { writtenTo: "exchange-online" }],
    ]);
    const rows = computeDrift(spec, live, facts);
    const ada = rows.find((r) => r.identity === "ada@contoso.com")!;
    assert.equal(ada.change, "none");
    assert.equal(ada.writtenTo, "active-directory");
    assert.equal(ada.sync?.state, "pending");
    assert.ok(Math.abs(ada.sync!.lastSyncAgeSeconds! - 300) < 5);
    assert.equal(rows.find((r) => r.identity === "eve@contoso.com")!.sync, undefined);
    const report = makeReport("drift", "prod", "hybrid", rows);
    assert.equal(exitCodeOf(report), 0);
    assert.match(renderTable(report), /1 pending sync/);
    assert.match(renderTable(report), /ada@contoso\.com\s+pending sync, last sync 5 min ago\s+AD/);
  });

  it("the cloud caught up (its MOERA aside): in sync", () => {
    const rows = computeDrift(
      spec,
      new Map([["ada@contoso.com", ["SMTP:ada.new@contoso.com"]]]),
      new Map([
        [
          "ada@contoso.com",
          {
            writtenTo: "active-directory",
            cloudAddresses: ["SMTP:ada.new@contoso.com", "smtp:ada@contoso.onmicrosoft.com"],
          },
        ],
      ]),
    );
    assert.deepEqual(rows[0]!.sync, { state: "in-sync" });
  });

  it("AD differs from the spec: drift (exit 2), whatever the cloud shows", () => {
    const rows = computeDrift(
      spec,
      new Map([
        ["ada@contoso.com", ["SMTP:ada@contoso.com"]],
        ["eve@contoso.com", ["SMTP:eve@contoso.com"]],
      ]),
      new Map([["ada@contoso.com", { writtenTo: "active-directory", cloudAddresses: ["SMTP:ada.new@contoso.com"] }]]),
    );
    assert.equal(rows[0]!.change, "drift");
    assert.equal(rows[0]!.sync?.state, "drift");
    assert.equal(exitCodeOf(makeReport("drift", "prod", "hybrid", rows)), 2);
  });
});
