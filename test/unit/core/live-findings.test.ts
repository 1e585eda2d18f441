// A live list that breaks a rule whatever the spec says: two uppercase SMTP: entries, named.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { liveListFindings } from "../../../core/plan/live-findings";

describe("live-list findings", () => {
  it("names every uppercase SMTP: entry when there is more than one, and what the write keeps", () => {
    const found = liveListFindings(
      ["SMTP:twin.a@contoso.com", "X500:/o=x", "SMTP:twin.b@contoso.com", "smtp:twin.c@contoso.com"],
      "twin.b@contoso.com",
    );
    assert.equal(found.length, 1);
    assert.match(found[0]!, /^2 uppercase SMTP: entries \("SMTP:twin\.a@contoso\.com", "SMTP:twin\.b@contoso\.com"\)/);
    assert.match(found[0]!, /keeps "twin\.b@contoso\.com" as the only primary/);
  });

  it("a sound list, no primary at all, or one address written twice is no such finding", () => {
    assert.deepEqual(liveListFindings(["SMTP:a@contoso.com", "smtp:b@contoso.com"]), []);
    assert.deepEqual(liveListFindings(["smtp:a@contoso.com"]), []);
    assert.deepEqual(liveListFindings(["SMTP:a@contoso.com", "SMTP:A@contoso.com"]), []);
  });
});
