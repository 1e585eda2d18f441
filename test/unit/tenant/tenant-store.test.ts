// The SQLite tenant model (tenant/tenant.ts) and the local target's store (tenant/local-store.ts):
// every write is checked by Exchange's rules and is one transaction (all or nothing, recorded),
// addresses are unique across recipients, lookups by id, UPN or any address; the store seeds on
// first use only and names the path and the remedy otherwise.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { ExchangeError } from "../../../exchange/exchange-error";
import {
  deleteLocalStore,
  openLocalStore,
  StoreIdentity,
  storeFailure,
  TenantStoreError,
} from "../../../tenant/local-store";
import { Tenant } from "../../../tenant/tenant";
import { LocalBackend, openLocalTenant, seedFileOf } from "../../../targets/local/local-backend";
import { DEFAULT_SEED_FILE } from "../../../tenant/load-seed";
import type { TenantSeed } from "../../../tenant/seed-types.generated";

const LEE = "00000000-0000-4000-8000-00000000000a";
const ANNA = "00000000-0000-4000-8000-00000000000b";
const GEORGE = "00000000-0000-4000-8000-00000000000c";
const SEED: TenantSeed = {
  version: 1,
  tenant: {
    name: "contoso",
    id: "14a088a5-efa8-5004-9b96-806d51f29782",
    moeraDomain: "Contoso.onmicrosoft.com",
    acceptedDomains: ["Contoso.com", "fabrikam.com", "contoso.onmicrosoft.com"],
  },
  recipients: [
    {
      id: LEE.toUpperCase(),
      upn: "Lee.Chen@contoso.com",
      displayName: "Lee Chen",
      type: "UserMailbox",
      addresses: ["SMTP:Lee.Chen@contoso.com", "smtp:lee.chen@contoso.onmicrosoft.com", "X500:/o=x/cn=lee"],
    },
    {
      id: ANNA,
      upn: "anna.kowalski@contoso.com",
      displayName: "Anna Kowalski",
      type: "UserMailbox",
      addresses: [
        "SMTP:anna.kowalski@contoso.com",
        "smtp:anna@contoso.com",
        "smtp:anna.kowalski@contoso.onmicrosoft.com",
      ],
    },
    {
      id: GEORGE,
      upn: "george.hall@contoso.com",
      displayName: "George Hall",
      type: "UserMailbox",
      synced: true,
      addresses: ["SMTP:george.hall@contoso.com", "smtp:george.hall@contoso.onmicrosoft.com"],
    },
  ],
};

const dir = mkdtempSync(path.join(os.tmpdir(), "mbx-tenant-"));
let counter = 0;
const fresh = () => {
  const tenant = Tenant.open(path.join(dir, `t${counter++}.sqlite`));
  tenant.seed(SEED);
  return tenant;
};
const exchangeError = (code: string) => (err: unknown) => {
  assert.ok(ExchangeError.isInstance(err), String(err));
  assert.equal(err.code, code);
  return true;
};

after(() => rmSync(dir, { recursive: true, force: true }));

describe("the tenant model (tenant/tenant.ts)", () => {
  it("seeding: info and accepted domains lower-cased, recipients by id, UPN or any SMTP address, in any case", () => {
    const tenant = fresh();
    try {
      assert.ok(tenant.isSeeded());
      assert.deepEqual(tenant.info(), {
        name: "contoso",
        id: "14a088a5-efa8-5004-9b96-806d51f29782",
        moeraDomain: "contoso.onmicrosoft.com",
      });
      assert.deepEqual(tenant.acceptedDomains(), ["contoso.com", "contoso.onmicrosoft.com", "fabrikam.com"]);
      for (const identity of [LEE, LEE.toUpperCase(), "lee.chen@CONTOSO.com", " lee.chen@contoso.onmicrosoft.com "])
        assert.equal(tenant.find(identity)?.id, LEE, identity);
      assert.equal(tenant.find("X500:/o=x/cn=lee"), undefined, "only SMTP addresses identify a recipient");
      assert.equal(tenant.find("nobody@contoso.com"), undefined);
      assert.equal(tenant.count(), 3);
      assert.deepEqual(tenant.ownerOf("ANNA@contoso.com"), {
        id: ANNA,
        displayName: "Anna Kowalski",
        kind: "UserMailbox",
      });
      assert.deepEqual(
        tenant.list({ limit: 2 }).map((r) => r.id),
        [LEE, ANNA],
      );
      assert.deepEqual(
        tenant.list({ after: ANNA }).map((r) => r.id),
        [GEORGE],
      );
      assert.deepEqual(tenant.writes(), []);
    } finally {
      tenant.close();
    }
  });

  it("a seed with one address on two recipients is refused, naming the address", () => {
    const tenant = Tenant.open(":memory:");
    try {
      const dup: TenantSeed = {
        ...SEED,
        recipients: [
          ...SEED.recipients,
          {
            id: "00000000-0000-4000-8000-0000000000dd",
            displayName: "Dup",
            type: "MailContact",
            addresses: ["SMTP:ANNA@contoso.com"],
          },
        ],
      };
      assert.throws(
        () => tenant.seed(dup),
        /seed: the address anna@contoso\.com of "Dup" already belongs to another recipient/,
      );
      assert.equal(tenant.isSeeded(), false, "the failed seed rolled back as a whole");
    } finally {
      tenant.close();
    }
  });

  it("a write Exchange accepts: stored, indexed by its new addresses, recorded with before and after", () => {
    const tenant = fresh();
    try {
      const after = [
        "SMTP:lee.chen@fabrikam.com",
        "smtp:lee.chen@contoso.com",
        "smtp:lee.chen@contoso.onmicrosoft.com",
        "X500:/o=x/cn=lee",
      ];
      assert.deepEqual(tenant.setEmailAddresses("lee.chen@contoso.com", after).addresses, after);
      assert.equal(tenant.find("lee.chen@fabrikam.com")?.id, LEE);
      const [write, ...more] = tenant.writes(LEE.toUpperCase());
      assert.deepEqual(more, []);
      assert.deepEqual(
        { ...write!, at: "" },
        {
          seq: 1,
          recipientId: LEE,
          operation: "Set-Mailbox -EmailAddresses",
          before: SEED.recipients[0]!.addresses,
          after,
          at: "",
        },
      );
    } finally {
      tenant.close();
    }
  });

  it("Exchange's rules are applied on every write: a refused write changes nothing and records nothing", () => {
    const tenant = fresh();
    try {
      const before = tenant.list();
      // Anna's alias: ProxyAddressExists, naming her.
      assert.throws(
        () => tenant.addRemoveEmailAddresses(LEE, ["smtp:anna@contoso.com"], []),
        (err: unknown) => {
          exchangeError("ProxyAddressExists")(err);
          assert.equal(
            (err as ExchangeError).message,
            'The proxy address "smtp:anna@contoso.com" is already being used by the proxy addresses or LegacyExchangeDN of "Anna Kowalski". Please choose another proxy address.',
          );
          assert.equal((err as ExchangeError).identity, LEE);
          return true;
        },
      );
      assert.throws(
        () => tenant.addRemoveEmailAddresses(LEE, ["smtp:lee@northwind.example"], []),
        exchangeError("NotAcceptedDomain"),
      );
      assert.throws(
        () => tenant.addRemoveEmailAddresses(LEE, [], ["smtp:lee.chen@contoso.onmicrosoft.com"]),
        exchangeError("MoeraRemoval"),
      );
      assert.throws(
        () => tenant.setEmailAddresses(LEE, ["smtp:lee.chen@contoso.com", "smtp:lee.chen@contoso.onmicrosoft.com"]),
        exchangeError("PrimaryAddressCount"),
      );
      assert.throws(
        () => tenant.addRemoveEmailAddresses("george.hall@contoso.com", ["smtp:ghall@contoso.com"], []),
        exchangeError("WriteScope"),
      );
      assert.throws(
        () => tenant.setEmailAddresses("nobody@contoso.com", []),
        (err: unknown) => {
          exchangeError("NotFound")(err);
          assert.equal(
            (err as Error).message,
            "The operation couldn't be performed because object 'nobody@contoso.com' couldn't be found on 'contoso'.",
          );
          return true;
        },
      );
      assert.deepEqual(tenant.list(), before);
      assert.deepEqual(tenant.writes(), []);
      assert.equal(tenant.ownerOf("lee@northwind.example"), undefined);
    } finally {
      tenant.close();
    }
  });

  it("a move between recipients: released by one write, taken by the next; the released address is free at once", () => {
    const tenant = fresh();
    try {
      tenant.addRemoveEmailAddresses(ANNA, [], ["smtp:ANNA@contoso.com"]);
      assert.equal(tenant.ownerOf("anna@contoso.com"), undefined);
      tenant.addRemoveEmailAddresses(LEE, ["smtp:anna@contoso.com"], []);
      assert.equal(tenant.ownerOf("anna@contoso.com")?.id, LEE);
      assert.deepEqual(
        tenant.writes().map((w) => [w.seq, w.recipientId, w.operation]),
        [
          [1, ANNA, "Set-Mailbox -EmailAddresses @{Add;Remove}"],
          [2, LEE, "Set-Mailbox -EmailAddresses @{Add;Remove}"],
        ],
      );
    } finally {
      tenant.close();
    }
  });

  it("setCloudManaged lets a synced mailbox be written, and is itself a recorded write", () => {
    const tenant = fresh();
    try {
      assert.equal(tenant.setCloudManaged(GEORGE, true).cloudManaged, true);
      tenant.addRemoveEmailAddresses(GEORGE, ["smtp:ghall@contoso.com"], []);
      assert.deepEqual(
        tenant.writes(GEORGE).map((w) => w.operation),
        ["Set-Mailbox -IsExchangeCloudManaged $true", "Set-Mailbox -EmailAddresses @{Add;Remove}"],
      );
    } finally {
      tenant.close();
    }
  });

  it("addressesChangedAt: each recipient's last write that changed its addresses, from the log; the local target reads it with the mailbox", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "mbx-changed-at-"));
    const database = path.join(dir, "tenant.sqlite");
    const backend = (() => {
      Tenant.withFile(database, (t) => t.seed(SEED));
      return new LocalBackend({ target: "local", database, seed: "unused" }, dir);
    })();
    try {
      const written = Tenant.withFile(database, (tenant) => {
        assert.deepEqual(tenant.addressesChangedAt([ANNA, GEORGE]), new Map(), "nothing written since the seed");
        tenant.addRemoveEmailAddresses(ANNA, ["smtp:rogue@contoso.com"], []);
        tenant.setCloudManaged(GEORGE, true); // a write, but not of the addresses
        const at = tenant.writes(ANNA).at(-1)!.at;
        assert.deepEqual(tenant.addressesChangedAt([ANNA, GEORGE, LEE]), new Map([[ANNA, at]]));
        return at;
      });
      const live = await backend.readMailboxes(["anna.kowalski@contoso.com", "george.hall@contoso.com"]);
      assert.equal(live.get("anna.kowalski@contoso.com")?.addressesChangedAt, written);
      assert.equal(live.get("george.hall@contoso.com")?.addressesChangedAt, undefined);
    } finally {
      await backend.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("two handles on one file see each other's writes (processes share the store)", () => {
    const file = path.join(dir, "shared.sqlite");
    Tenant.withFile(file, (t) => t.seed(SEED));
    const a = Tenant.open(file);
    const b = Tenant.open(file);
    try {
      a.addRemoveEmailAddresses(LEE, ["smtp:lee@fabrikam.com"], []);
      assert.equal(b.find("lee@fabrikam.com")?.id, LEE);
      assert.throws(
        () => b.addRemoveEmailAddresses(ANNA, ["smtp:lee@fabrikam.com"], []),
        exchangeError("ProxyAddressExists"),
      );
    } finally {
      a.close();
      b.close();
    }
  });

  it("seed() replaces the whole tenant, writes included", () => {
    const tenant = fresh();
    try {
      tenant.addRemoveEmailAddresses(LEE, ["smtp:lee@fabrikam.com"], []);
      tenant.seed({ ...SEED, recipients: [SEED.recipients[1]!] });
      assert.equal(tenant.count(), 1);
      assert.equal(tenant.ownerOf("lee@fabrikam.com"), undefined);
      assert.deepEqual(tenant.writes(), []);
    } finally {
      tenant.close();
    }
  });
});

describe("the local store (tenant/local-store.ts)", () => {
  const store = (name: string) => path.join(dir, name);

  it("seeds on first use only: the seed is read then, and never again", () => {
    const database = store("first.sqlite");
    let reads = 0;
    const seed = () => (reads++, SEED);
    openLocalStore(database, seed).close();
    assert.equal(reads, 1);
    assert.ok(existsSync(`${database}.created`), "the marker records the first use");
    const tenant = openLocalStore(database, seed);
    try {
      tenant.addRemoveEmailAddresses(LEE, ["smtp:lee@fabrikam.com"], []);
    } finally {
      tenant.close();
    }
    const again = openLocalStore(database, seed);
    try {
      assert.equal(reads, 1);
      assert.equal(again.find("lee@fabrikam.com")?.id, LEE, "the write survived: no re-seed");
    } finally {
      again.close();
    }
  });

  it("a database deleted after first use is an error naming the path and `tenant reset`, not a fresh seed", () => {
    const database = store("deleted.sqlite");
    openLocalStore(database, () => SEED).close();
    for (const suffix of ["", "-wal", "-shm"]) rmSync(database + suffix, { force: true });
    assert.throws(
      () => openLocalStore(database, () => assert.fail("re-seeded")),
      (err: unknown) => {
        assert.ok(TenantStoreError.isInstance(err));
        assert.equal(err.file, database);
        assert.match(
          err.message,
          /^local tenant ".*deleted\.sqlite": the database is missing, but it was created \d{4}-.* and has been deleted or moved since\. Nothing was re-seeded\. .*`scripts\/mailbox-addresses tenant reset`/,
        );
        return true;
      },
    );
    assert.equal(existsSync(database), false);
  });

  it("an empty file, a foreign file, a database without a tenant: each named, none seeded", () => {
    writeFileSync(store("empty.sqlite"), "");
    assert.throws(
      () => openLocalStore(store("empty.sqlite"), () => SEED),
      /the database file is empty \(0 bytes\): it was truncated\. Nothing was re-seeded/,
    );
    writeFileSync(store("foreign.sqlite"), "not a database at all, just text\n");
    assert.throws(
      () => openLocalStore(store("foreign.sqlite"), () => SEED),
      /the file is not an SQLite database\. Nothing was re-seeded/,
    );
    Tenant.withFile(store("unseeded.sqlite"), () => undefined);
    assert.throws(
      () => openLocalStore(store("unseeded.sqlite"), () => SEED),
      /the database holds no tenant \(it was emptied or never seeded\)/,
    );
  });

  it("a seed that fails on first use leaves nothing behind (no database, no marker): the next use seeds again", () => {
    const database = store("bad-seed.sqlite");
    assert.throws(
      () =>
        openLocalStore(database, () => {
          throw new Error("seed file has a problem");
        }),
      /seed file has a problem/,
    );
    assert.equal(existsSync(`${database}.created`), false);
    assert.equal(existsSync(database), false);
    openLocalStore(database, () => SEED).close();
    assert.ok(existsSync(`${database}.created`));
  });

  it("a project of one's own keeps no seed: the default seed is the package's own; a seed that is missing is named, nothing is created", () => {
    const project = mkdtempSync(path.join(os.tmpdir(), "mbx-own-seed-"));
    try {
      assert.equal(seedFileOf({ seed: "tenant/seeds/contoso.yaml" }, project), DEFAULT_SEED_FILE);
      assert.equal(seedFileOf({ seed: "my-seed.yaml" }, project), path.join(project, "my-seed.yaml"));
      const tenant = openLocalTenant(
        { target: "local", database: ".tenant/local.sqlite", seed: "tenant/seeds/contoso.yaml" },
        project,
      );
      try {
        assert.ok(tenant.find("lee.chen@contoso.com"));
      } finally {
        tenant.close();
      }
      assert.throws(
        () => openLocalTenant({ target: "local", database: ".tenant/other.sqlite", seed: "missing.yaml" }, project),
        (err: Error) =>
          TenantStoreError.isInstance(err) &&
          /its seed .*missing\.yaml does not exist, so the tenant cannot be created\. Nothing was created/.test(
            err.message,
          ),
      );
      assert.equal(existsSync(path.join(project, ".tenant/other.sqlite")), false);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });

  it("deleteLocalStore removes the database, its journal and its marker: the next use seeds afresh", () => {
    const database = store("reset.sqlite");
    openLocalStore(database, () => SEED).close();
    deleteLocalStore(database);
    for (const suffix of ["", "-wal", "-shm", ".created"]) assert.equal(existsSync(database + suffix), false, suffix);
    let reads = 0;
    openLocalStore(database, () => (reads++, SEED)).close();
    assert.equal(reads, 1);
  });

  it("StoreIdentity notices a file deleted or replaced under a running process", () => {
    const database = store("identity.sqlite");
    openLocalStore(database, () => SEED).close();
    const identity = new StoreIdentity(database);
    identity.check();
    // Replaced: a new file renamed over it (made while the old one exists, so a new inode).
    writeFileSync(`${database}.new`, "x");
    renameSync(`${database}.new`, database);
    assert.throws(
      () => identity.check(),
      /the database was replaced while this run was using it; nothing more was written/,
    );
    rmSync(database);
    assert.throws(
      () => identity.check(),
      /the database was deleted while this run was using it; nothing more was written/,
    );
  });

  it("storeFailure: an SQLite error becomes a store error naming the path; other errors pass unchanged", () => {
    const sqlite = Object.assign(new Error("database disk image is malformed"), { code: "ERR_SQLITE_ERROR" });
    const mapped = storeFailure("/x/t.sqlite", sqlite);
    assert.ok(TenantStoreError.isInstance(mapped));
    assert.equal(
      mapped.message,
      'local tenant "/x/t.sqlite": the database is damaged (SQLite: database disk image is malformed). Nothing was re-seeded. Restore the file from a backup, or run `scripts/mailbox-addresses tenant reset` to start again from the seed (its addresses are lost)',
    );
    const other = new TypeError("not ours");
    assert.equal(storeFailure("/x/t.sqlite", other), other);
    assert.equal(storeFailure("/x/t.sqlite", mapped), mapped);
  });
});
