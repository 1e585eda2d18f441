// Verify-before-retry (targets/exchange-online/pipeline/verify-before-retry-policy.ts) on a fake
// HttpClient: no duplicate write after a dropped connection or a 503, no read when nothing can have
// landed, and one last read when the attempts are spent.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RestError } from "@azure/core-rest-pipeline";
import { isVerifiedWrite } from "../../../../targets/exchange-online/pipeline/verify-before-retry-policy";
import { fastOptions } from "../fast-retry";
import { dropped, FakeClient, pipeline, write, type Answer } from "./fake-http-client";

describe("MicrosoftHttp: writes", () => {
  /** A mailbox that a write changes: `applied` counts the writes that reached it. */
  function mailbox() {
    const state = { applied: 0, reads: 0 };
    return { state, landed: async () => (state.reads++, state.applied > 0) };
  }

  it("after a connection dropped once the write was applied, reads first and does not write again", async () => {
    const box = mailbox();
    const client = new FakeClient([dropped(), { status: 200 }], () => box.state.applied++);
    const response = await write(pipeline(client, fastOptions()), box.landed);
    assert.ok(isVerifiedWrite(response));
    assert.equal(box.state.applied, 1, "written once");
    assert.equal(client.requests.length, 1);
    assert.equal(box.state.reads, 1);
  });

  it("after a 503 that did not apply, reads, then sends again once", async () => {
    const box = mailbox();
    const answers: Answer[] = [{ status: 503 }, { status: 200 }];
    const client = new FakeClient(answers, () => {
      if (client.requests.length === 2) box.state.applied++;
    });
    const response = await write(pipeline(client, fastOptions()), box.landed);
    assert.equal(response.status, 200);
    assert.ok(!isVerifiedWrite(response));
    assert.equal(client.requests.length, 2);
    assert.equal(box.state.applied, 1);
    assert.equal(box.state.reads, 1);
  });

  it("after a refused connection (nothing sent) or a 429 (not applied), resends without reading", async () => {
    for (const first of [
      new RestError("connect ECONNREFUSED", { code: "ECONNREFUSED" }),
      { status: 429, headers: { "Retry-After": "0.01" } },
    ] as Answer[]) {
      const box = mailbox();
      const client = new FakeClient([first, { status: 200 }]);
      await write(pipeline(client, fastOptions()), box.landed);
      assert.equal(client.requests.length, 2);
      assert.equal(box.state.reads, 0);
    }
  });

  it("out of attempts after drops, one last read tells whether it landed", async () => {
    const box = mailbox();
    const client = new FakeClient([dropped()], () => {
      if (client.requests.length === 3) box.state.applied++;
    });
    const response = await write(
      pipeline(client, fastOptions({ maxAttempts: 3 })),
      async () => (box.state.reads++, client.requests.length === 3 && box.state.applied > 0),
    );
    assert.ok(isVerifiedWrite(response));
    assert.equal(client.requests.length, 3);
  });
});
