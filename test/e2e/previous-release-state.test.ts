// A stack made by the previous release (v0.1, commit cb593bf) keeps working on this build: its
// state, committed in test/fixtures/state-v0.1/ (README.md there says how it was made), is
// imported into a fresh stack, previews clean after a refresh and destroys cleanly. The
// `__provider` code stored in that state loads dist/providers/mailbox-addresses/implementation.js
// from the project: this test is what keeps that path working.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { TestStack } from "../../harness/pulumi-stack";
import { stackFromPreviousRelease } from "../../harness/previous-release";
import type { Recipient } from "../../tenant/tenant";

describe("a stack made by the previous release (state fixture v0.1)", () => {
  let stack: TestStack;
  let tenantBefore: Recipient[];

  before(() => {
    stack = stackFromPreviousRelease("v01");
    tenantBefore = stack.withTenant((tenant) => tenant.list());
  });
  after(() => stack?.dispose());

  it("holds the release's serialized provider, which loads the implementation by its path in dist/", () => {
    const resources = stack.state().checkpoint.latest?.resources ?? [];
    const mailboxes = resources.filter((r) => r.type === "pulumi-nodejs:dynamic/mailbox:MailboxAddresses");
    assert.equal(mailboxes.length, 4);
    for (const r of mailboxes)
      assert.match(String(r.inputs?.__provider), /dist\/providers\/mailbox-addresses\/implementation\.js/);
  });

  it("previews clean after a refresh on this build", () => {
    const preview = stack.preview("--refresh", "--expect-no-changes", "--diff");
    assert.equal(preview.code, 0, preview.output);
    assert.doesNotMatch(preview.output, /not found: run npm run build/);
  });

  it("an up on this build writes nothing and previews clean", () => {
    const up = stack.up();
    assert.equal(up.code, 0, up.output);
    const mailboxes = (stack.state().checkpoint.latest?.resources ?? []).filter(
      (r) => r.type === "pulumi-nodejs:dynamic/mailbox:MailboxAddresses",
    );
    assert.equal(mailboxes.length, 4);
    // This build's provider, like the release's, loads the implementation from the project's dist/.
    for (const r of mailboxes)
      assert.match(String(r.inputs?.__provider), /dist\/providers\/mailbox-addresses\/implementation\.js/);
    stack.withTenant((tenant) => assert.deepEqual(tenant.writes(), []));
    const preview = stack.preview("--refresh", "--expect-no-changes");
    assert.equal(preview.code, 0, preview.output);
  });

  it("destroys cleanly and leaves the tenant untouched (retainOnDelete)", () => {
    const destroy = stack.run(["destroy", "--yes", "--skip-preview"]);
    assert.equal(destroy.code, 0, destroy.output);
    assert.deepEqual(stack.state().checkpoint.latest?.resources ?? [], []);
    stack.withTenant((tenant) => {
      assert.deepEqual(tenant.list(), tenantBefore);
      assert.deepEqual(tenant.writes(), []);
    });
  });
});
