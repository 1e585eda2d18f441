// Accepting drift into the spec: the entry says what the tenant has, everything else in the file
// (comments, order, other mailboxes) is byte for byte as it was.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { acceptedAddresses, acceptLive } from "../../../core/desired/accept-live";
import { loadSpecText } from "../../../core/desired/load-spec";

const SPEC = `# the header comment
version: 1
allowedDomains: [contoso.com, fabrikam.com]
mailboxes:
  mark.wilson@contoso.com:          # Mark
    primary: mark.wilson@fabrikam.com   # the new brand
    aliases:
      - mark.wilson@contoso.com     # keep: old mail
      - mwilson@fabrikam.com
  sales@contoso.com:
    primary: sales@contoso.com
    aliases: [orders@contoso.com]
    mode: additive
`;

function spec() {
  const loaded = loadSpecText("mailboxes.yaml", SPEC);
  assert.ok(loaded.ok);
  return loaded.spec;
}

describe("accept: drift into the spec", () => {
  it("adds a hand-made alias, drops a removed one, keeps comments, order and the other mailboxes", () => {
    const mark = spec().mailboxes[0]!;
    const live = [
      "SMTP:mark.wilson@fabrikam.com",
      "smtp:mark.wilson@contoso.com",
      "smtp:mark@fabrikam.com",
      "smtp:mark.wilson@contoso.onmicrosoft.com",
      "X500:/o=x/cn=mark",
    ];
    const wanted = acceptedAddresses(mark, live)!;
    assert.deepEqual(wanted, {
      primary: "mark.wilson@fabrikam.com",
      aliases: ["mark.wilson@contoso.com", "mark@fabrikam.com"],
    });
    const { text, changes } = acceptLive(SPEC, [{ mailbox: mark, ...wanted }]);
    assert.deepEqual(changes, [
      { identity: "mark.wilson@contoso.com", added: ["mark@fabrikam.com"], removed: ["mwilson@fabrikam.com"] },
    ]);
    assert.equal(text, SPEC.replace("      - mwilson@fabrikam.com\n", "      - mark@fabrikam.com\n"));
    const again = loadSpecText("mailboxes.yaml", text);
    assert.ok(again.ok);
    assert.deepEqual(
      acceptLive(text, [{ mailbox: again.spec.mailboxes[0]!, ...acceptedAddresses(again.spec.mailboxes[0]!, live)! }])
        .changes,
      [],
      "accepting twice changes nothing",
    );
  });

  it("two uppercase SMTP: entries (an AD user edited by hand): the spec's primary stays, the other becomes an alias, neither is dropped", () => {
    const mark = spec().mailboxes[0]!;
    const live = ["SMTP:mark.wilson@contoso.com", "SMTP:mark.wilson@fabrikam.com", "smtp:mwilson@fabrikam.com"];
    assert.deepEqual(acceptedAddresses(mark, live), {
      primary: "mark.wilson@fabrikam.com",
      aliases: ["mark.wilson@contoso.com", "mwilson@fabrikam.com"],
    });
    assert.deepEqual(acceptLive(SPEC, [{ mailbox: mark, ...acceptedAddresses(mark, live)! }]).changes, []);
    // Neither is the spec's primary: the first is taken, the second kept as an alias.
    const other = ["SMTP:a@contoso.com", "SMTP:b@contoso.com"];
    assert.deepEqual(acceptedAddresses(mark, other), { primary: "a@contoso.com", aliases: ["b@contoso.com"] });
  });

  it("takes a primary changed by hand; a case-only difference is not drift", () => {
    const mark = spec().mailboxes[0]!;
    const live = ["SMTP:Mark.Wilson@contoso.com", "smtp:MARK.WILSON@fabrikam.com", "smtp:mwilson@fabrikam.com"];
    const { text, changes } = acceptLive(SPEC, [{ mailbox: mark, ...acceptedAddresses(mark, live)! }]);
    assert.deepEqual(changes, [
      {
        identity: "mark.wilson@contoso.com",
        primary: { from: "mark.wilson@fabrikam.com", to: "Mark.Wilson@contoso.com" },
        added: ["MARK.WILSON@fabrikam.com"],
        removed: ["mark.wilson@contoso.com"],
      },
    ]);
    assert.match(text, /primary: Mark\.Wilson@contoso\.com {3}# the new brand\n/);
  });

  it("additive mode accepts only what the spec lists: unlisted aliases are not drift", () => {
    const sales = spec().mailboxes[1]!;
    const live = ["SMTP:sales@contoso.com", "smtp:quotes@contoso.com"];
    const { text, changes } = acceptLive(SPEC, [{ mailbox: sales, ...acceptedAddresses(sales, live)! }]);
    assert.deepEqual(changes, [{ identity: "sales@contoso.com", added: [], removed: ["orders@contoso.com"] }]);
    assert.match(text, /aliases: \[\]\n/);
  });
});
