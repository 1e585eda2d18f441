// What `drift` tells an admin to do: `pulumi up` only when up would run; a finding shown per row.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { makeReport, renderMarkdown, renderTable } from "../../../core/report/report";

const drifted = {
  identity: "ada@contoso.com",
  change: "drift" as const,
  added: ["ada.alias@contoso.com"],
  removed: [],
  problems: [],
};

describe("drift remedies", () => {
  it("drift alone: revert with pulumi up, or accept", () => {
    const table = renderTable(makeReport("drift", "prod", "local tenant", [drifted]));
    assert.match(table, /To revert the tenant to the spec .*: pulumi up/);
    assert.match(table, /mailbox-addresses accept ada@contoso\.com/);
  });

  it("a problem that makes up refuse: no pulumi up, the problems first", () => {
    for (const report of [
      makeReport("drift", "prod", "local tenant", [drifted], ['unknown setting "mailbox-addresses:adBindPasword"']),
      makeReport("drift", "prod", "local tenant", [
        { identity: "ben@contoso.com", change: "error", added: [], removed: [], problems: ["bind refused"] },
      ]),
    ]) {
      const table = renderTable(report);
      assert.doesNotMatch(table, /: pulumi up$/m, table);
      assert.match(table, /pulumi up refuses while a problem above remains/);
    }
  });

  it("remedies name the commands as they exist where the user stands, in the table and in Markdown", () => {
    const here = { tool: "npx mailbox-addresses", pulumi: "pulumi" };
    const caused = {
      ...drifted,
      causes: [{ address: "ada.alias@contoso.com", change: "add" as const, cause: "drift" as const }],
    };
    const report = makeReport("drift", "prod", "local tenant", [caused]);
    const table = renderTable(report, false, here);
    assert.match(table, /then commit it: npx mailbox-addresses accept ada@contoso\.com$/m);
    assert.match(table, /cause: .*keep it instead: npx mailbox-addresses accept ada@contoso\.com/);
    const markdown = renderMarkdown(report, undefined, here);
    assert.match(markdown, /Accept it into the spec: `npx mailbox-addresses accept ada@contoso\.com`/);
    assert.match(markdown, /then commit it: `npx mailbox-addresses accept ada@contoso\.com`/);
    assert.doesNotMatch(markdown, /`mailbox-addresses /, "no command without npx");
    // In this checkout: its wrappers.
    assert.match(
      renderTable(report, false, { tool: "scripts/mailbox-addresses", pulumi: "scripts/pulumi" }),
      /: scripts\/pulumi up\n.*: scripts\/mailbox-addresses accept ada@contoso\.com/,
    );
  });

  it("a finding (two SMTP: entries) is printed under its row, in the table and in Markdown", () => {
    const row = {
      ...drifted,
      added: [],
      findings: ['2 uppercase SMTP: entries ("SMTP:a@contoso.com", "SMTP:b@contoso.com")'],
    };
    const report = makeReport("drift", "prod", "Active Directory", [row]);
    assert.match(
      renderTable(report),
      /\n {4}finding: 2 uppercase SMTP: entries \("SMTP:a@contoso\.com", "SMTP:b@contoso\.com"\)/,
    );
    assert.match(renderMarkdown(report), /finding: 2 uppercase SMTP: entries/);
  });
});
