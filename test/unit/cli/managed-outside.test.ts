// What a targeted run's program is told of the state's mailboxes outside its set (cli/targeted-scope.ts
// `managedOutside`): each one's object id, which is the resource's id, in a state of this release
// (whose outputs no longer repeat it) as in one written before (whose outputs hold `objectId` too).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RESOURCE_TYPE } from "../../../cli/resource-urn";
import { managedOutside } from "../../../cli/targeted-scope";
import type { MailboxEntry } from "../../../cli/engine-run";

const entry = (identity: string, id: string | undefined, outputs: Record<string, unknown> = {}): MailboxEntry => ({
  urn: `urn:pulumi:dev::mailbox-addresses::${RESOURCE_TYPE}::${identity}`,
  type: RESOURCE_TYPE,
  ...(id !== undefined ? { id } : {}),
  inputs: { identity },
  outputs: { identity, addresses: {}, kept: {}, ...outputs },
});

describe("the mailboxes a targeted run does not read, by object id", () => {
  it("takes the object id from the resource's id, in this release's state and in an older one", () => {
    const outside = managedOutside(
      [
        entry("ada@contoso.com", "0B1C-AA"),
        // Written before 0.2: the outputs repeat the id as objectId.
        entry("lee@contoso.com", "77d2", { objectId: "77d2", displayName: "Lee", recipientType: "UserMailbox" }),
        entry("in-set@contoso.com", "e5f6"),
      ],
      new Set(["in-set@contoso.com"]),
    );
    assert.deepEqual(outside, { "0b1c-aa": "ada@contoso.com", "77d2": "lee@contoso.com" });
  });

  it("leaves out an entry without an id (not created yet)", () => {
    assert.deepEqual(managedOutside([entry("new@contoso.com", undefined)], new Set()), {});
  });
});
