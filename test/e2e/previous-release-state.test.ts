// A stack made by an earlier build keeps working on this build: its state, committed in
// test/fixtures/state-*/ (README.md there says how it was made), is imported into a fresh stack,
// previews clean after a refresh and destroys cleanly. Two: the previous release (v0.1), and 0.2.0
// before its outputs were trimmed (every mailbox's object id, UPN, display name, recipient type and
// `applied` list; a pending move's `releases`), which the first `up` trims without a change. The
// `__provider` code stored in those states loads dist/providers/mailbox-addresses/implementation.js
// from the project: this test is what keeps that path working.
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { TestStack } from "../../harness/pulumi-stack";
import {
  FULL_OUTPUTS_FIXTURE,
  PREVIOUS_RELEASE_FIXTURE,
  stackFromPreviousRelease,
} from "../../harness/previous-release";
import type { Recipient } from "../../tenant/tenant";

const RESOURCE_TYPE = "pulumi-nodejs:dynamic/mailbox:MailboxAddresses";
/** The outputs this build writes, and those it no longer does (docs/ARCHITECTURE.md, "The resource's outputs"). */
const WRITTEN = ["__provider", "addresses", "applied", "identity", "kept", "mode", "upn", "userPrincipalName"];
const DROPPED = ["objectId", "displayName", "recipientType", "releases", "takeFrom"];

/** The properties `pulumi preview --diff` shows changed, as `sign name` (`- displayName`): top-level ones only. */
function propertyChanges(output: string): string[] {
  return [...output.matchAll(/^\s*([~+-]|\+-|-\+)\s*([A-Za-z_]\w*)\s*:(?=\s|$)/gm)].map((m) => `${m[1]} ${m[2]}`);
}

for (const [name, fixture] of [
  ["v01", PREVIOUS_RELEASE_FIXTURE],
  ["v02dev", FULL_OUTPUTS_FIXTURE],
] as const) {
  describe(`a stack made by an earlier build (state fixture ${path.basename(fixture)})`, () => {
    let stack: TestStack;
    let tenantBefore: Recipient[];

    const mailboxes = () => (stack.state().checkpoint.latest?.resources ?? []).filter((r) => r.type === RESOURCE_TYPE);

    before(() => {
      stack = stackFromPreviousRelease(name, fixture);
      tenantBefore = stack.withTenant((tenant) => tenant.list());
    });
    after(() => stack?.dispose());

    it("holds the earlier build's serialized provider, which loads the implementation by its path in dist/, and its outputs", () => {
      assert.equal(mailboxes().length, 4);
      for (const r of mailboxes()) {
        assert.match(String(r.inputs?.__provider), /dist\/providers\/mailbox-addresses\/implementation\.js/);
        for (const key of ["objectId", "displayName", "recipientType", "userPrincipalName"])
          assert.ok(r.outputs?.[key] !== undefined, `${r.urn}: ${key}`);
      }
    });

    it("previews clean after a refresh on this build: no change, no replacement; --diff shows only the refresh dropping outputs", () => {
      const preview = stack.preview("--refresh", "--expect-no-changes", "--diff");
      assert.equal(preview.code, 0, preview.output);
      assert.doesNotMatch(preview.output, /not found: run npm run build/);
      assert.match(preview.output, /Resources:\s+5 unchanged/);
      assert.doesNotMatch(preview.output, /replace|to update|to create|to delete/i, preview.output);
      // The refresh's new outputs, shown under each mailbox's `(refresh)` until an up or a refresh saves them:
      // only outputs this build no longer records (and the live UPN where it is the key), removed.
      const changes = propertyChanges(preview.output);
      assert.ok(changes.length > 0, preview.output);
      for (const change of changes)
        assert.ok([...DROPPED, "applied", "userPrincipalName"].map((key) => `- ${key}`).includes(change), change);
    });

    it("an up on this build writes nothing, trims the outputs, and previews clean", () => {
      const idsBefore = mailboxes()
        .map((r) => r.id)
        .sort();
      const up = stack.up();
      assert.equal(up.code, 0, up.output);
      assert.match(up.output, /Resources:\s+5 unchanged/, up.output);
      assert.equal(mailboxes().length, 4);
      assert.deepEqual(
        mailboxes()
          .map((r) => r.id)
          .sort(),
        idsBefore,
        "each mailbox keeps its resource and id",
      );
      for (const r of mailboxes()) {
        // This build's provider, like the earlier one's, loads the implementation from the project's dist/.
        assert.match(String(r.inputs?.__provider), /dist\/providers\/mailbox-addresses\/implementation\.js/);
        const outputs = r.outputs ?? {};
        assert.deepEqual(
          Object.keys(outputs).filter((key) => !WRITTEN.includes(key)),
          [],
          `${r.urn}: only the outputs this build writes`,
        );
        for (const key of DROPPED) assert.equal(outputs[key], undefined, `${r.urn}: ${key}`);
        // Each mailbox holds what the spec asks: what it applied is its live list, not repeated.
        assert.equal(outputs.applied, undefined, r.urn);
        const identity = String(outputs.identity);
        // The live UPN is recorded only where it is not the key (Lee and Mark are keyed by object id) and not managed (`upn`).
        const upn = stack.withTenant((t) => t.list().find((x) => x.id === r.id)!.upn);
        if (outputs.upn !== undefined) assert.equal(outputs.upn, upn, r.urn);
        else if (upn === identity) assert.equal(outputs.userPrincipalName, undefined, r.urn);
        else assert.equal(outputs.userPrincipalName, upn, r.urn);
      }
      stack.withTenant((tenant) => assert.deepEqual(tenant.writes(), []));
      const preview = stack.preview("--refresh", "--expect-no-changes", "--diff");
      assert.equal(preview.code, 0, preview.output);
      assert.deepEqual(propertyChanges(preview.output), [], preview.output);
      assert.doesNotMatch(preview.output, /\(refresh\)\s*\n\s*\[id=/, "no mailbox's outputs change in the refresh");
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
}
