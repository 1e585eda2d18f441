// What the one-owner check reads of other processes (runtime/stack-ownership.ts): another stack's
// ownership record and Pulumi's login. Each is checked: one not of its shape is an expected error
// naming the file, what is wrong and what to do, never skipped (skipping a record would let two
// stacks manage one recipient again), except a record whose stack has no state any more.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { isExpectedError } from "../../../core/errors";
import {
  backendUrl,
  findOwnershipConflicts,
  recordStoreFor,
  StackOwnershipError,
  writeOwnershipRecord,
} from "../../../runtime/stack-ownership";

const dir = mkdtempSync(path.join(os.tmpdir(), "mbx-ownership-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const TENANT = "local tenant /srv/tenant.sqlite";
const MINE = [{ key: "lee.chen@contoso.com", id: "0a1b" }];

/** A file:// backend in a folder of its own, with a state for each stack named. */
async function backend(name: string, stacks: readonly string[]) {
  const root = path.join(dir, name);
  for (const stack of stacks) {
    mkdirSync(path.join(root, ".pulumi/stacks/proj"), { recursive: true });
    writeFileSync(path.join(root, ".pulumi/stacks/proj", `${stack}.json`), "{}");
  }
  const store = (await recordStoreFor(`file://${root}`, dir))!;
  const record = (stack: string) => path.join(root, ".pulumi/mailbox-addresses/owners/proj", `${stack}.json`);
  return { root, store, record };
}

/** The error the check gives, checked to be an expected StackOwnershipError naming `file`. */
async function refusal(check: () => Promise<unknown>, file: string): Promise<string> {
  try {
    await check();
  } catch (err) {
    assert.ok(err instanceof StackOwnershipError, `not a StackOwnershipError: ${String(err)}`);
    assert.ok(isExpectedError(err));
    assert.equal(err.file, file);
    assert.ok(err.remedy && err.message.endsWith(`; ${err.remedy}`), err.message);
    return err.message;
  }
  assert.fail("accepted");
}

describe("stack ownership: what it reads of other processes", () => {
  it("finds a recipient another stack's record claims", async () => {
    const { store } = await backend("claims", ["a"]);
    await writeOwnershipRecord(store, "proj", "a", TENANT, [{ key: "lee.chen@contoso.com", id: "0A1B" }]);
    const conflicts = await findOwnershipConflicts(store, "proj/b", TENANT, MINE);
    assert.deepEqual(
      conflicts.map((c) => [c.identity, c.owner]),
      [["lee.chen@contoso.com", "proj/a"]],
    );
  });

  it("refuses another stack's record not of its shape, naming the record and where it is wrong", async () => {
    const { store, record, root } = await backend("malformed", ["a"]);
    const file = `file://${root}/.pulumi/mailbox-addresses/owners/proj/a.json`;
    await writeOwnershipRecord(store, "proj", "a", TENANT, []);
    const cases: [string, RegExp][] = [
      ["{", /^the ownership record of stack "proj\/a" \(".*a\.json"\) is not JSON; run pulumi up on stack "proj\/a"/],
      [
        JSON.stringify({ formatVersion: 1, tenant: TENANT, recipients: [{ id: "0a1b" }] }),
        /\) at recipients\[0\]\.key, a string expected, found nothing; run pulumi up on stack "proj\/a", which writes its record anew/,
      ],
      [JSON.stringify({ formatVersion: 1, recipients: [] }), /\) at tenant, a string expected, found nothing; /],
      [
        JSON.stringify({ formatVersion: 2, tenant: TENANT, recipients: [] }),
        /\) is of format 2, which this version of mailbox-addresses does not read; upgrade mailbox-addresses/,
      ],
    ];
    for (const [text, expected] of cases) {
      writeFileSync(record("a"), text);
      assert.match(await refusal(() => findOwnershipConflicts(store, "proj/b", TENANT, MINE), file), expected, text);
    }
  });

  it("ignores a record not of its shape whose stack has no state any more", async () => {
    const { store, record } = await backend("stale", []);
    await writeOwnershipRecord(store, "proj", "gone", TENANT, []);
    writeFileSync(record("gone"), "{");
    assert.deepEqual(await findOwnershipConflicts(store, "proj/b", TENANT, MINE), []);
  });

  it("reads the backend logged in to from Pulumi's credentials.json, and refuses one not of its shape", async () => {
    const home = path.join(dir, "pulumi-home");
    mkdirSync(home, { recursive: true });
    const env = { PULUMI_HOME: home };
    const file = path.join(home, "credentials.json");
    assert.equal(backendUrl(dir, env), undefined, "not logged in");
    writeFileSync(file, JSON.stringify({ current: "file:///srv/state", accessTokens: {} }));
    assert.equal(backendUrl(dir, env), "file:///srv/state");
    assert.equal(backendUrl(dir, { ...env, PULUMI_BACKEND_URL: "azblob://state" }), "azblob://state");
    // The project's own backend.url comes before the login; a Pulumi.yaml that names none leaves it to the login.
    const project = path.join(dir, "project");
    mkdirSync(project, { recursive: true });
    writeFileSync(path.join(project, "Pulumi.yaml"), "name: p\nruntime: nodejs\nbackend:\n  url: file://./state\n");
    assert.equal(backendUrl(project, env), "file://./state");
    writeFileSync(path.join(project, "Pulumi.yaml"), "name: p\nruntime: nodejs\nbackend: file://x\n");
    assert.equal(backendUrl(project, env), "file:///srv/state");
    writeFileSync(file, JSON.stringify({ current: 7 }));
    assert.match(
      await refusal(async () => backendUrl(dir, env), file),
      /^the Pulumi login .*credentials\.json at current, a string expected, found number 7; log in again \(pulumi login/,
    );
    writeFileSync(file, "");
    assert.match(await refusal(async () => backendUrl(dir, env), file), /credentials\.json is not JSON; log in again/);
  });
});
