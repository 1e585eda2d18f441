// What `drift` tells an admin to do: `pulumi up` only when up would run; a finding shown per row.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { makeReport, renderMarkdown, renderTable } from "../../../core/report/report";

const drifted = { identity: "ada@contoso.com", change: "drift" as const, added: ["ada.alias@contoso.com"], removed: [], problems: [] };

describe("drift remedies", () => {
  it("drift alone: revert with pulumi up, or accept", () => {
    const table = renderTable(makeReport("drift", "prod", "local tenant", [drifted]));
    assert.match(table, /To revert the tenant to the spec .*: pulumi up/);
    assert.match(table, /mailbox-addresses accept ada@contoso\.com/);
  });

  it("a problem that makes up refuse: no pulumi up, the problems first", () => {
    for (const report of [
      makeReport("drift", "prod", "local tenant", [drifted], ['unknown setting "mailbox-addresses:adBindPasword"']),
      makeReport("drift", "prod", "local tenant", [{ identity: "ben@contoso.com", change: "error", added: [], removed: [], problems: ["bind refused"] }]),
    ]) {
      const table = renderTable(report);
      assert.doesNotMatch(table, /: pulumi up$/m, table);
      assert.match(table, /pulumi up refuses while a problem above remains/);
    }
  });

  it("a finding (two SMTP: entries) is printed under its row, in the table and in Markdown", () => {
    const row = { ...drifted, added: [], findings: ['2 uppercase SMTP: entries ("SMTP:a@contoso.com", "SMTP:b@contoso.com")'] };
    const report = makeReport("drift", "prod", "Active Directory", [row]);
    assert.match(renderTable(report), /\n {4}finding: 2 uppercase SMTP: entries \("SMTP:a@contoso\.com", "SMTP:b@contoso\.com"\)/);
    assert.match(renderMarkdown(report), /finding: 2 uppercase SMTP: entries/);
  });
});
