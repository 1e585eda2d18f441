// The resource's inputs as `up` leaves the mailbox (issue 24): what `pulumi preview --diff` diffs
// against the state's live set must be exactly what the write does: no re-case that no write
// makes, no MOERA shown removed when it stays as an alias.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { addressKey } from "../../../core/address";
import { addressDelta } from "../../../core/plan/address-delta";
import {
  addressMapAsWritten,
  desiredAddressMap,
  desiredFromMap,
  liveAddressMaps,
  liveListOf,
  recordOf,
} from "../../../core/plan/address-map";
import { planMailbox } from "../../../core/plan/plan-mailbox";
import { applyAddRemove } from "../../../exchange/exchange-rules";

describe("addressMapAsWritten", () => {
  const previous = {
    "mark.wilson@fabrikam.com": "SMTP:mark.wilson@fabrikam.com",
    "mw@fabrikam.com": "smtp:mw@fabrikam.com",
  };
  it("keeps the mailbox's spelling of an address it has (Exchange does not re-case it)", () => {
    const desired = desiredAddressMap({
      primary: "Mark.Wilson@fabrikam.com",
      aliases: ["mw@fabrikam.com", "New@fabrikam.com"],
    });
    assert.deepEqual(addressMapAsWritten(desired, previous, { mode: "strict" }), {
      "mark.wilson@fabrikam.com": "SMTP:mark.wilson@fabrikam.com",
      "mw@fabrikam.com": "smtp:mw@fabrikam.com",
      "new@fabrikam.com": "smtp:New@fabrikam.com",
    });
  });
  it("a MOERA the spec drops stays, demoted to an alias, as the tenant keeps it", () => {
    const before = {
      "mark@contoso.onmicrosoft.com": "SMTP:mark@contoso.onmicrosoft.com",
      "old@fabrikam.com": "smtp:old@fabrikam.com",
    };
    const desired = desiredAddressMap({ primary: "mark@fabrikam.com", aliases: [] });
    assert.deepEqual(addressMapAsWritten(desired, before, { mode: "strict" }), {
      "mark@contoso.onmicrosoft.com": "smtp:mark@contoso.onmicrosoft.com",
      "mark@fabrikam.com": "SMTP:mark@fabrikam.com",
    });
  });
  it("additive mode keeps a dropped alias; an address another mailbox takes goes", () => {
    const desired = desiredAddressMap({ primary: "mark.wilson@fabrikam.com", aliases: [] });
    assert.deepEqual(addressMapAsWritten(desired, previous, { mode: "additive" }), previous);
    assert.deepEqual(addressMapAsWritten(desired, previous, { mode: "additive", releases: ["MW@fabrikam.com"] }), {
      "mark.wilson@fabrikam.com": "SMTP:mark.wilson@fabrikam.com",
    });
  });
  it("without a previous state (adoption) it is the spec's map", () => {
    const desired = desiredAddressMap({ primary: "Mark@fabrikam.com", aliases: [] });
    assert.equal(addressMapAsWritten(desired, undefined, { mode: "strict" }), desired);
  });

  const local = fc.constantFrom("a", "A", "mark", "Mark", "MARK", "b");
  const domain = fc.constantFrom("contoso.com", "Contoso.com", "fabrikam.com", "contoso.onmicrosoft.com");
  const address = fc.tuple(local, domain).map(([l, d]) => `${l}@${d}`);
  const live = fc
    .tuple(address, fc.uniqueArray(address, { maxLength: 4, selector: addressKey }))
    .map(([primary, aliases]) => [
      `SMTP:${primary}`,
      ...aliases.filter((a) => addressKey(a) !== addressKey(primary)).map((a) => `smtp:${a}`),
      "X500:/o=x",
    ]);
  const want = fc
    .record({
      primary: address,
      aliases: fc.uniqueArray(address, { maxLength: 3, selector: addressKey }),
      mode: fc.constantFrom("strict" as const, "additive" as const),
    })
    .map((d) => ({ ...d, aliases: d.aliases.filter((a) => addressKey(a) !== addressKey(d.primary)) }));
  it("property: the inputs shown equal the managed set the tenant holds after the write, entry for entry", () => {
    fc.assert(
      fc.property(live, want, (before, spec) => {
        const previous = liveAddressMaps(spec, before).addresses;
        const shown = addressMapAsWritten(desiredAddressMap(spec), previous, { mode: spec.mode });
        // up: the provider plans from the checked inputs and writes the delta from the live list
        const plan = planMailbox({ ...desiredFromMap(shown), mode: spec.mode }, before);
        const delta = addressDelta(before, plan.final);
        const after = applyAddRemove(before, delta.add, delta.remove);
        // refresh: the state's inputs become the managed set the tenant holds
        const refreshed = liveAddressMaps({ ...desiredFromMap(shown), mode: spec.mode }, after);
        assert.deepEqual(refreshed.addresses, shown);
        assert.deepEqual(liveListOf(refreshed).sort(), [...new Set(after)].sort());
      }),
      { numRuns: 500 },
    );
  });
});

describe("recordOf: what the causes are told against", () => {
  const outputs = {
    addresses: { "anna@contoso.com": "SMTP:anna@contoso.com", "rogue@contoso.com": "smtp:rogue@contoso.com" },
    kept: { "x500:/o=a": "X500:/o=a" },
  };
  it("is what the stack last applied when the state keeps it, whatever a refresh read since", () => {
    assert.deepEqual(recordOf({ ...outputs, applied: ["SMTP:anna@contoso.com", "X500:/o=a"] }), [
      "SMTP:anna@contoso.com",
      "X500:/o=a",
    ]);
  });
  it("is the recorded live set for a state from before `applied` (0.1), and nothing without one", () => {
    assert.deepEqual(recordOf(outputs), ["SMTP:anna@contoso.com", "smtp:rogue@contoso.com", "X500:/o=a"]);
    assert.equal(recordOf({ addresses: outputs.addresses }), undefined);
    assert.deepEqual(
      recordOf({ ...outputs, applied: "SMTP:anna@contoso.com" as unknown as string[] }),
      liveListOf(outputs),
      "a malformed `applied` (a state edited by hand) is not trusted",
    );
  });
});
