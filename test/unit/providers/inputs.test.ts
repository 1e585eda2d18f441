// The provider's own check of its inputs (a program written by hand, a state edited by hand): an
// address in an international domain arrives as the spec wrote it, its A-label in lower case.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkMailboxInputs } from "../../../providers/mailbox-addresses/inputs";

describe("checkMailboxInputs: international domains", () => {
  it("takes an A-label address, with its forms for the reviewer", () => {
    const failures = checkMailboxInputs({
      identity: "a@contoso.com",
      mode: "strict",
      addresses: {
        "a@contoso.com": "SMTP:a@contoso.com",
        "info@xn--bcher-kva.example": "smtp:info@xn--bcher-kva.example",
      },
      internationalForms: { "info@xn--bcher-kva.example": "info@bücher.example" },
    });
    assert.deepEqual(failures, []);
  });
  it("refuses the U-label form (it is never what is written) and a homograph A-label", () => {
    const failures = checkMailboxInputs({
      identity: "a@contoso.com",
      mode: "strict",
      addresses: {
        "a@contoso.com": "SMTP:a@contoso.com",
        "info@bücher.example": "smtp:info@bücher.example",
        "john@xn--cntoso-wqf.com": "smtp:john@xn--cntoso-wqf.com",
      },
    });
    assert.equal(failures.length, 2, JSON.stringify(failures));
    assert.match(
      failures[0]!.reason,
      /"info@bücher\.example": an international domain is written as its A-label, in lower case \("info@xn--bcher-kva\.example"\)/,
    );
    assert.match(failures[1]!.reason, /a Cyrillic letter among Latin ones/);
  });
});
