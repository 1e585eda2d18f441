// The Get-Recipient filter the exchange-online backend writes and the emulator reads back.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseEmailAddressFilter } from "../../../emulator/exchange-endpoint";
import { emailAddressFilter } from "../../../targets/exchange-online/exchange-online-backend";

describe("EmailAddresses filter", () => {
  it("round-trips addresses, apostrophes included", () => {
    const addresses = ["a@contoso.com", "o'brien@contoso.com", "x''y@fabrikam.com"];
    const filter = emailAddressFilter(addresses);
    assert.equal(
      filter,
      "EmailAddresses -eq 'smtp:a@contoso.com' -or EmailAddresses -eq 'smtp:o''brien@contoso.com' -or EmailAddresses -eq 'smtp:x''''y@fabrikam.com'",
    );
    assert.deepEqual(parseEmailAddressFilter(filter), addresses);
  });
  it("accepts parentheses and any case", () => {
    assert.deepEqual(
      parseEmailAddressFilter("(emailaddresses -EQ 'SMTP:a@b.com') -or (EmailAddresses -eq 'c@d.com')"),
      ["a@b.com", "c@d.com"],
    );
  });
  it("refuses anything else", () => {
    for (const filter of [
      "",
      "Name -eq 'x'",
      "EmailAddresses -like '*@contoso.com'",
      "EmailAddresses -eq 'a@b.com' -and EmailAddresses -eq 'c@d.com'",
      "EmailAddresses -eq 'unterminated",
    ]) {
      assert.equal(parseEmailAddressFilter(filter), undefined, filter);
    }
  });
});
