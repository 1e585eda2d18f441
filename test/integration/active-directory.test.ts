import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startSambaDc, type SambaDc } from "../../harness/samba-dc";
import { ActiveDirectoryBackend } from "../../targets/active-directory/active-directory-backend";

let dc: SambaDc;
before(async () => {
  const t = Date.now();
  dc = await startSambaDc();
  console.log(`started in ${Date.now() - t} ms`);
});
after(async () => dc?.stop());

describe("smoke", () => {
  it("adds users and reads them", async () => {
    let t = Date.now();
    const users = Array.from({ length: 300 }, (_, i) => ({ name: `bulk${i}`, upn: `bulk${i}@contoso.com`, proxyAddresses: [`SMTP:bulk${i}@contoso.com`], mail: `bulk${i}@contoso.com` }));
    await dc.addUsers(users);
    console.log(`added 300 in ${Date.now() - t} ms`);
    process.env.MAILBOX_ADDRESSES_AD_BIND_DN = dc.admin.bindDn;
    process.env.MAILBOX_ADDRESSES_AD_BIND_PASSWORD = dc.admin.password;
    const backend = new ActiveDirectoryBackend({ url: dc.url, caFile: dc.caFile, baseDn: dc.baseDn, chunkSize: 100 });
    t = Date.now();
    const read = await backend.readMailboxes(users.map((u) => u.upn));
    console.log(`read 300 in ${Date.now() - t} ms`, backend.directory.stats);
    assert.equal([...read.values()].filter(Boolean).length, 300);
    const one = read.get("bulk1@contoso.com")!;
    console.log(one);
    const again = await backend.readMailboxes([one.immutableId, one.sid]);
    console.log([...again.values()].map((m) => m?.dn));
    await backend.close();
  });
});
