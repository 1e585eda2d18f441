// Issue 29, an international domain opted in (internationalDomains) as a reviewer meets it: the
// local tenant holds xn--bcher-kva.example as an accepted domain (Microsoft 365 cannot; an
// on-premises or seeded tenant may), the spec writes info@Bücher.example. `mailbox-addresses plan`
// and `pulumi preview --diff` show both forms, the A-label and what it reads; `up` writes the
// A-label; without the opt-in, preview refuses naming it. Real pulumi, local tenant.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { TestStack } from "../../harness/pulumi-stack";
import { loadSeedFile } from "../../tenant/load-seed";

const MARK = "mark.wilson@contoso.com";
const SPEC = (optIn: boolean) => `version: 1
allowedDomains: [contoso.com, fabrikam.com, bücher.example]
${optIn ? "internationalDomains: [xn--bcher-kva.example]\n" : ""}mailboxes:
  ${MARK}:
    primary: ${MARK}
    aliases: [mark.wilson@fabrikam.com, info@Bücher.example]
    mode: additive
`;

describe("an opted-in international domain: both forms shown, the A-label written (local target)", () => {
  let stack: TestStack;
  before(() => {
    stack = new TestStack("idn-local");
    const seed = loadSeedFile();
    stack.withTenant((t) =>
      t.seed({
        ...seed,
        tenant: { ...seed.tenant, acceptedDomains: [...seed.tenant.acceptedDomains, "xn--bcher-kva.example"] },
      }),
    );
  });
  after(() => stack?.dispose());

  it("without the opt-in, preview refuses the address, naming the character, Microsoft 365's rule and the opt-in", () => {
    stack.writeSpec(SPEC(false));
    const preview = stack.preview();
    assert.notEqual(preview.code, 0, preview.output);
    assert.match(
      preview.output,
      /U\+00FC LATIN SMALL LETTER U WITH DIAERESIS \(a character outside ASCII\) at column \d+; Microsoft 365 organizations cannot have international domain names/,
    );
    assert.match(preview.output, /opt in: list it under internationalDomains/);
  });

  it("opted in: plan and preview --diff show the A-label and what it reads; up writes the A-label", () => {
    stack.writeSpec(SPEC(true));
    const plan = stack.cli(["plan"]);
    assert.equal(plan.code, 2, plan.output);
    assert.match(plan.stdout, /\+info@xn--bcher-kva\.example \(info@bücher\.example\)/);

    const diff = stack.preview("--diff");
    assert.equal(diff.code, 0, diff.output);
    // The resource's inputs: the address as written, and its forms for the reviewer.
    assert.match(diff.output, /info@xn--bcher-kva\.example\s*:\s*"smtp:info@xn--bcher-kva\.example"/);
    assert.match(
      diff.output,
      /internationalForms\s*:\s*\{\s*"?info@xn--bcher-kva\.example"?\s*:\s*"info@bücher\.example"/,
    );
    // The mailbox's log line, as plan's rows say it.
    assert.match(
      diff.output,
      /mark\.wilson@contoso\.com: live tenant → spec: .*\+ info@xn--bcher-kva\.example \(info@bücher\.example\)/,
    );

    const up = stack.up();
    assert.equal(up.code, 0, up.output);
    const held = stack.withTenant((t) => t.find(MARK)!.addresses);
    assert.ok(held.includes("smtp:info@xn--bcher-kva.example"), JSON.stringify(held));
    assert.ok(!held.some((a) => a.includes("bücher")), JSON.stringify(held));
    const again = stack.preview("--expect-no-changes");
    assert.equal(again.code, 0, again.output);
  });
});
