// The exchange-online backend with the real @azure/identity and Graph clients (requests built by
// @microsoft/microsoft-graph-client, sent by the @azure/core-rest-pipeline pipeline), over real HTTPS,
// against the emulator: every credential kind, clear failures for a wrong secret, a wrong
// audience and missing permissions, batched reads, Exchange's refusals, and retries under faults.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  ClientCertificateCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
  WorkloadIdentityCredential,
} from "@azure/identity";
import { addressKey, parseProxyAddress, sameAddressList } from "../../core/address";
import { planMailbox } from "../../core/plan/plan-mailbox";
import type { RunningEmulator } from "../../emulator/server";
import { settingsForEndpoints, type ExchangeOnlineTargetSettings } from "../../targets/exchange-online/target";
import type { LiveMailbox } from "../../targets/tenant-backend";
import { ExchangeOnlineBackend } from "../../targets/exchange-online/exchange-online-backend";
import { HttpError } from "../../targets/exchange-online/http-error";
import { AccessError } from "../../targets/exchange-online/permissions";
import { DEFAULT_RETRY_OPTIONS } from "../../targets/exchange-online/pipeline/retry-options";
import { ExchangeError } from "../../exchange/exchange-error";
import { startTestEmulator } from "../../harness/emulator";
import { numberedMailboxes } from "../../harness/generated-mailbox";

const GRAPH = "https://graph.microsoft.com/.default";
const EXCHANGE = "https://outlook.office365.com/.default";

describe("exchange-online backend against the emulator", () => {
  let emulator: RunningEmulator;
  let settings: ExchangeOnlineTargetSettings;
  const saved = { ...process.env };

  before(async () => {
    emulator = await startTestEmulator();
    settings = settingsForEndpoints(emulator.endpoints());
    process.env.AZURE_CLIENT_SECRET = emulator.secrets.clientSecret;
  });
  after(async () => {
    process.env = saved;
    await emulator?.close();
  });

  const options = () => ({ authorityHost: emulator.url, disableInstanceDiscovery: true });

  describe("credentials", () => {
    it("a client secret gets a token", async () => {
      const token = await new ClientSecretCredential(
        emulator.tenantId,
        emulator.secrets.clientId,
        emulator.secrets.clientSecret,
        options(),
      ).getToken(GRAPH);
      assert.ok(token.token.split(".").length === 3);
    });
    it("a client certificate gets a token", async () => {
      const credential = new ClientCertificateCredential(
        emulator.tenantId,
        emulator.secrets.clientId,
        { certificatePath: emulator.secrets.clientCertificatePath },
        options(),
      );
      assert.ok((await credential.getToken(EXCHANGE)).token);
    });
    it("a federated token (workload identity, as in CI) gets a token", async () => {
      const credential = new WorkloadIdentityCredential({
        tenantId: emulator.tenantId,
        clientId: emulator.secrets.clientId,
        tokenFilePath: emulator.federatedTokenFile,
        ...options(),
      });
      assert.ok((await credential.getToken(GRAPH)).token);
    });
    it("a managed identity gets a token", async () => {
      process.env.IDENTITY_ENDPOINT = `${emulator.url}/msi/token`;
      process.env.IDENTITY_HEADER = emulator.secrets.clientSecret;
      try {
        const credential = new ManagedIdentityCredential();
        assert.ok((await credential.getToken(GRAPH)).token);
      } finally {
        delete process.env.IDENTITY_ENDPOINT;
        delete process.env.IDENTITY_HEADER;
      }
    });
    it("a wrong secret fails with the identity platform's reason, and no secret in the message", async () => {
      process.env.AZURE_CLIENT_SECRET = "not-the-secret";
      try {
        const backend = new ExchangeOnlineBackend(settings);
        await assert.rejects(backend.readMailboxes(["mark.wilson@contoso.com"]), (err: Error) => {
          assert.match(
            err.message,
            /could not get a token for Microsoft Graph: AADSTS7000215: Invalid client secret provided/,
          );
          assert.ok(!err.message.includes("not-the-secret"));
          return true;
        });
      } finally {
        process.env.AZURE_CLIENT_SECRET = emulator.secrets.clientSecret;
      }
    });
    it("a Graph token on the Exchange API gets 401", async () => {
      const graphToken = (
        await new ClientSecretCredential(
          emulator.tenantId,
          emulator.secrets.clientId,
          emulator.secrets.clientSecret,
          options(),
        ).getToken(GRAPH)
      ).token;
      const response = await fetch(`${emulator.url}/adminapi/beta/${emulator.tenantId}/InvokeCommand`, {
        method: "POST",
        headers: { authorization: `Bearer ${graphToken}`, "content-type": "application/json" },
        body: JSON.stringify({ CmdletInput: { CmdletName: "Get-AcceptedDomain", Parameters: {} } }),
      });
      assert.equal(response.status, 401);
      assert.match(await response.text(), /Invalid audience/);
    });
    it("an app without permissions is told which permission and role it needs", async () => {
      process.env.AZURE_CLIENT_SECRET = emulator.secrets.unprivilegedClientSecret;
      try {
        const backend = new ExchangeOnlineBackend({ ...settings, clientId: emulator.secrets.unprivilegedClientId });
        await assert.rejects(
          backend.readMailboxes(["mark.wilson@contoso.com"]),
          (err: Error) =>
            err instanceof AccessError && /User\.Read\.All/.test(err.message) && /admin consent/.test(err.message),
        );
        await assert.rejects(
          backend.acceptedDomains(),
          (err: Error) =>
            err instanceof AccessError &&
            /Exchange\.ManageAsApp/.test(err.message) &&
            /Exchange Administrator role/.test(err.message),
        );
      } finally {
        process.env.AZURE_CLIENT_SECRET = emulator.secrets.clientSecret;
      }
    });
  });

  describe("reads", () => {
    it("reads many mailboxes in filtered lookups of 15 users, 20 lookups a $batch", async () => {
      const backend = new ExchangeOnlineBackend(settings);
      const users = emulator.tenant
        .list({ usersOnly: true })
        .filter((r) => !r.synced)
        .slice(0, 41);
      emulator.counters.reset();
      const live = await backend.readMailboxes(users.map((u) => u.upn!));
      assert.equal(emulator.counters.get("graph.batch"), 1);
      assert.equal(emulator.counters.get("graph.batch.items"), Math.ceil(users.length / 15));
      for (const user of users) assert.deepEqual(live.get(user.upn!)?.addresses, user.addresses);
      // By object id too, a key Graph does not know among them, and a key that is neither (an alias): read alone.
      emulator.counters.reset();
      const keys = [...users.slice(0, 16).map((u) => u.id), "00000000-0000-4000-8000-000000000000", "lee.chen"];
      const byId = await backend.readMailboxes(keys);
      for (const user of users.slice(0, 16)) assert.deepEqual(byId.get(user.id)?.addresses, user.addresses);
      assert.equal(byId.get("00000000-0000-4000-8000-000000000000"), undefined);
      assert.equal(byId.get("lee.chen")?.upn, "lee.chen@contoso.com");
      assert.equal(emulator.counters.get("graph.batch.items"), 3, "2 lookups of ids and one GET of the alias");
    });
    it("finds the holders Get-Recipient does not list (issue 30), the same with filtered lookups and, from 500 addresses on, with listings; what each costs", async () => {
      const backend = new ExchangeOnlineBackend(settings);
      // Entra-only holders for this test only: the listings of the tests after it count recipients.
      emulator.tenant.addHolder({
        id: "7d1c6a40-35b4-4c1e-9d0e-0f3a3f4f0a02",
        kind: "EntraUser",
        displayName: "Jo Synced",
        upn: "jo.synced@contoso.com",
        synced: true,
        addresses: ["SMTP:jo@contoso.com"],
      });
      emulator.tenant.addHolder({
        id: "7d1c6a40-35b4-4c1e-9d0e-0f3a3f4f0a03",
        kind: "EntraContact",
        displayName: "Partner",
        synced: false,
        addresses: ["SMTP:partner@fabrikam.com"],
      });
      try {
        const held = ["jo@contoso.com", "Partner@fabrikam.com", "olivia@fabrikam.com", "tom@fabrikam.com"];
        const summary = (found: Map<string, { displayName: string; holder?: { kind: string; deletedAt?: string } }>) =>
          [...found]
            .map(
              ([address, o]) => `${address} ${o.holder?.kind} ${o.displayName}${o.holder?.deletedAt ? " deleted" : ""}`,
            )
            .sort();
        const expected = [
          "jo@contoso.com EntraUser Jo Synced",
          "olivia@fabrikam.com SoftDeletedMailbox Olivia Former deleted",
          "partner@fabrikam.com EntraContact Partner",
          "tom@fabrikam.com DeletedUser Tom Temp deleted",
        ];
        emulator.counters.reset();
        assert.deepEqual(summary(await backend.hiddenHoldersOf([...held, "free@contoso.com"])), expected);
        const few = {
          graph: emulator.counters.get("graph.requests"),
          batches: emulator.counters.get("graph.batch"),
          items: emulator.counters.get("graph.batch.items"),
          exchange: emulator.counters.get("exchange.Get-Mailbox"),
        };
        assert.deepEqual(
          few,
          { graph: 1, batches: 1, items: 4, exchange: 1 },
          "few addresses: one $batch of 4 items and one Get-Mailbox -SoftDeletedMailbox",
        );
        // More addresses than one Exchange filter holds: the soft-deleted mailboxes in one listing.
        emulator.counters.reset();
        const some = [...held, ...Array.from({ length: 40 }, (_, i) => `free${i}@contoso.com`)];
        assert.deepEqual(summary(await backend.hiddenHoldersOf(some)), expected);
        assert.equal(
          emulator.counters.get("exchange.Get-Mailbox"),
          1,
          "44 addresses: one Get-Mailbox -SoftDeletedMailbox listing, not one per 20 addresses",
        );
        emulator.counters.reset();
        const many = [...held, ...Array.from({ length: 600 }, (_, i) => `free${i}@contoso.com`)];
        assert.deepEqual(summary(await backend.hiddenHoldersOf(many)), expected);
        const scan = {
          graph: emulator.counters.get("graph.requests"),
          exchange: emulator.counters.get("exchange.Get-Mailbox"),
        };
        console.log(
          `ℹ figures: hidden-holder lookup of 5 addresses: ${JSON.stringify(few)}; of 604 addresses (listings): ${JSON.stringify(scan)}`,
        );
        assert.equal(scan.exchange, 1, "many addresses: one Get-Mailbox -SoftDeletedMailbox listing");
        assert.ok(
          scan.graph <= 5,
          `many addresses: /users, /groups, /contacts and the recycle bin listed (${scan.graph} Graph requests)`,
        );
        // A run whose refresh listed the directory (listMailboxes, to its last page) answers the
        // same from that listing (what the refresh hands to the program): only the recycle bin and
        // the soft-deleted mailboxes are read, /users, /groups and /contacts not again.
        const refresh = new ExchangeOnlineBackend(settings);
        let next: string | undefined;
        do next = (await refresh.listMailboxes(next)).next;
        while (next);
        const listed = refresh.listedHolders(many)!;
        assert.deepEqual(
          [...listed.users, ...listed.contacts].map((o) => `${o.id} ${o.proxyAddresses.join(",")}`).sort(),
          [
            "7d1c6a40-35b4-4c1e-9d0e-0f3a3f4f0a02 SMTP:jo@contoso.com",
            "7d1c6a40-35b4-4c1e-9d0e-0f3a3f4f0a03 SMTP:partner@fabrikam.com",
          ],
          "the listing's holders of the addresses, each with those of its entries only",
        );
        emulator.counters.reset();
        assert.deepEqual(summary(await backend.hiddenHoldersOf(many, listed)), expected);
        assert.deepEqual(
          {
            users: emulator.counters.get("graph.users.list") ?? 0,
            groups: emulator.counters.get("graph.groups.list") ?? 0,
            contacts: emulator.counters.get("graph.contacts.list") ?? 0,
            graph: emulator.counters.get("graph.requests"),
            exchange: emulator.counters.get("exchange.Get-Mailbox"),
          },
          { users: 0, groups: 0, contacts: 0, graph: 1, exchange: 1 },
          "from the run's listing: the recycle bin (one $batch) and one Get-Mailbox -SoftDeletedMailbox only",
        );
        // Few addresses, from the listing too: no filtered lookups of users, groups and contacts.
        emulator.counters.reset();
        const five = [...held, "free@contoso.com"];
        assert.deepEqual(summary(await backend.hiddenHoldersOf(five, refresh.listedHolders(five))), expected);
        assert.equal(emulator.counters.get("graph.batch.items"), 1, "the recycle bin alone in the $batch");
        // An address the listing did not look for: the directory is looked up as without it.
        emulator.counters.reset();
        assert.deepEqual(summary(await backend.hiddenHoldersOf([...many, "other@contoso.com"], listed)), expected);
        assert.ok((emulator.counters.get("graph.users.list") ?? 0) >= 1, "not covered: /users listed");
      } finally {
        emulator.tenant.removeHolder("7d1c6a40-35b4-4c1e-9d0e-0f3a3f4f0a02");
        emulator.tenant.removeHolder("7d1c6a40-35b4-4c1e-9d0e-0f3a3f4f0a03");
      }
    });
    it("reads a synced mailbox's cloud-management flag from Exchange", async () => {
      const backend = new ExchangeOnlineBackend(settings);
      const live = await backend.readMailboxes([
        "helen.ward@contoso.com",
        "george.hall@contoso.com",
        "nobody@contoso.com",
      ]);
      assert.equal(live.get("helen.ward@contoso.com")?.cloudManaged, true);
      assert.equal(live.get("george.hall@contoso.com")?.cloudManaged, false);
      assert.equal(live.get("george.hall@contoso.com")?.synced, true);
      assert.equal(live.get("nobody@contoso.com"), undefined);
    });
    it("matches $batch answers by id when Graph answers them in another order", async () => {
      const backend = new ExchangeOnlineBackend(settings);
      emulator.faults.settings = { batchOutOfOrder: true };
      try {
        const users = emulator.tenant
          .list({ usersOnly: true })
          .filter((r) => !r.synced)
          .slice(0, 25);
        const live = await backend.readMailboxes([...users.map((u) => u.upn!), "nobody@contoso.com"]);
        for (const user of users) assert.deepEqual(live.get(user.upn!)?.addresses, user.addresses, user.upn);
        assert.equal(live.get("nobody@contoso.com"), undefined);
      } finally {
        emulator.faults.settings = {};
      }
    });
    it("retries items throttled inside a batch", async () => {
      const backend = new ExchangeOnlineBackend(settings);
      emulator.faults.settings = { batchItemThrottleRate: 0.5, retryAfterSeconds: 0.05 };
      try {
        const users = emulator.tenant
          .list({ usersOnly: true })
          .filter((r) => !r.synced)
          .slice(0, 30);
        emulator.counters.reset();
        // One read each, at once: 30 items in two batches, about half of them throttled.
        const live = new Map(
          (await Promise.all(users.map((u) => backend.readMailboxes([u.id])))).flatMap((read) => [...read]),
        );
        assert.ok(emulator.counters.get("graph.batch.items.throttled") > 0);
        for (const user of users) assert.deepEqual(live.get(user.id)?.addresses, user.addresses);
      } finally {
        emulator.faults.settings = {};
      }
    });
    it("a Graph failure after retries is our HttpError with Graph's request id, not the Graph client's GraphError", async () => {
      const backend = new ExchangeOnlineBackend(settings, {
        ...DEFAULT_RETRY_OPTIONS,
        baseDelayMs: 5,
        maxDelayMs: 20,
        maxAttempts: 3,
      });
      emulator.faults.settings = { serverErrorRate: 1, surfaces: ["graph"] };
      emulator.counters.reset();
      try {
        await assert.rejects(backend.readMailboxes(["mark.wilson@contoso.com"]), (err: Error) => {
          assert.ok(err instanceof HttpError, `${err.name}: ${err.message}`);
          assert.equal(err.status, 503);
          assert.equal(err.attempts, 3);
          assert.match(err.requestId ?? "", /^[0-9a-f-]{36}$/);
          assert.match(err.clientRequestId ?? "", /^[0-9a-f-]{36}$/);
          assert.match(
            err.message,
            /^Microsoft Graph POST \/\$batch: gave up after 3 attempts \(last: HTTP 503 ServiceUnavailable\) from 127\.0\.0\.1:\d+/,
          );
          return true;
        });
        assert.equal(emulator.counters.get("faults.graph.503"), 3);
      } finally {
        emulator.faults.settings = {};
      }
    });
    it("finds who owns an address, and the accepted domains", async () => {
      const backend = new ExchangeOnlineBackend(settings);
      const owners = await backend.ownersOf(["press@fabrikam.com", "nobody-has-this@contoso.com", "SALES@contoso.com"]);
      assert.equal(owners.get("press@fabrikam.com")?.displayName, "Press Office (agency)");
      assert.equal(owners.get("press@fabrikam.com")?.kind, "MailContact");
      assert.equal(owners.get("sales@contoso.com")?.kind, "SharedMailbox");
      assert.equal(owners.has("nobody-has-this@contoso.com"), false);
      assert.deepEqual((await backend.acceptedDomains()).sort(), [
        "contoso.com",
        "contoso.mail.onmicrosoft.com",
        "contoso.onmicrosoft.com",
        "fabrikam.com",
      ]);
    });
    it("finds owners with one Get-Recipient per 20 addresses, or one listing of all recipients for many", async () => {
      const backend = new ExchangeOnlineBackend(settings);
      const unknown = (n: number) => Array.from({ length: n }, (_, i) => `o'free${i}@contoso.com`);
      emulator.counters.reset();
      const few = await backend.ownersOf(["press@fabrikam.com", ...unknown(38)]);
      assert.equal(few.get("press@fabrikam.com")?.kind, "MailContact");
      assert.equal(few.size, 1);
      assert.equal(emulator.counters.get("exchange.Get-Recipient"), 2, "39 addresses: 2 filtered requests");
      emulator.counters.reset();
      const many = await backend.ownersOf([...unknown(600), "PRESS@fabrikam.com", "sales@contoso.com"]);
      assert.equal(many.get("press@fabrikam.com")?.displayName, "Press Office (agency)");
      assert.equal(many.get("sales@contoso.com")?.kind, "SharedMailbox");
      assert.equal(many.size, 2);
      assert.equal(
        emulator.counters.get("exchange.Get-Recipient"),
        Math.ceil(emulator.tenant.count() / 1000),
        "602 addresses: one listing, paged",
      );
    });
    it("confirms from Exchange what Graph shows, in bulk: one Get-Mailbox -Filter per 20 addresses, rows matched by object id, one read each only for those no row answers", async () => {
      const users = Array.from({ length: 30 }, (_, i) => `confirm${i}`);
      for (const r of numberedMailboxes(users, "a000")) emulator.tenant.addRecipient(r);
      const backend = new ExchangeOnlineBackend(settings);
      const identities = users.map((u) => `${u}@contoso.com`);
      const seen = await backend.readMailboxes(identities);
      // Exchange moves on, Graph lags: a rebrand keeping the old primary as an alias (28 of them), a
      // primary let go of (confirm28: only its own read finds it), an address that moved to
      // another mailbox (confirm29's primary, now confirm0's alias: it must not answer for confirm29).
      emulator.faults.settings = { graphPropagationLagMs: 60_000 };
      try {
        for (const u of users.slice(0, 28))
          emulator.tenant.setEmailAddresses(`${u}@contoso.com`, [`SMTP:${u}@fabrikam.com`, `smtp:${u}@contoso.com`]);
        emulator.tenant.setEmailAddresses("confirm28@contoso.com", ["SMTP:confirm28@fabrikam.com"]);
        emulator.tenant.setEmailAddresses("confirm29@contoso.com", ["SMTP:confirm29@fabrikam.com"]);
        emulator.tenant.setEmailAddresses("confirm0@contoso.com", [
          "SMTP:confirm0@fabrikam.com",
          "smtp:confirm0@contoso.com",
          "smtp:confirm29@contoso.com",
        ]);
        const lagging = await new ExchangeOnlineBackend(settings).readMailboxes(identities);
        assert.deepEqual(
          lagging.get("confirm1@contoso.com")?.addresses,
          ["SMTP:confirm1@contoso.com"],
          "Graph still shows the old list",
        );
        emulator.counters.reset();
        const confirmed = await new ExchangeOnlineBackend(settings).confirmMailboxes(identities, seen);
        // Exchange lists the primary last (the captured Get-Mailbox): entries compared, not their order.
        const entries = (list: readonly string[] | undefined) => [...(list ?? [])].sort();
        for (const u of users.slice(1, 28))
          assert.deepEqual(
            entries(confirmed.get(`${u}@contoso.com`)?.addresses),
            entries([`SMTP:${u}@fabrikam.com`, `smtp:${u}@contoso.com`]),
            u,
          );
        assert.deepEqual(
          entries(confirmed.get("confirm0@contoso.com")?.addresses),
          entries(["SMTP:confirm0@fabrikam.com", "smtp:confirm0@contoso.com", "smtp:confirm29@contoso.com"]),
        );
        assert.deepEqual(confirmed.get("confirm28@contoso.com")?.addresses, ["SMTP:confirm28@fabrikam.com"]);
        assert.deepEqual(confirmed.get("confirm29@contoso.com")?.addresses, ["SMTP:confirm29@fabrikam.com"]);
        assert.equal(confirmed.get("confirm29@contoso.com")?.id, "00000000-0000-4000-a000-000000000029");
        // 30 addresses: 2 filtered requests; then confirm28 and confirm29 one read each.
        assert.equal(emulator.counters.get("exchange.Get-Mailbox"), 4, JSON.stringify(emulator.counters.snapshot()));
      } finally {
        emulator.faults.settings = {};
      }
    });
    it("tells the kind of users read through Graph from one listing of the kinds Graph shows as plain users, for every call", async () => {
      const backend = new ExchangeOnlineBackend(settings);
      const upns = ["sales@contoso.com", "boardroom@contoso.com", "contractor@contoso.com", "lee.chen@contoso.com"];
      const live = await backend.readMailboxes(upns);
      assert.ok(
        upns.every((u) => live.get(u)?.kind === undefined),
        "Graph's read does not tell the kind",
      );
      emulator.counters.reset();
      const read = upns.map((u) => live.get(u)!);
      const first = await backend.withKinds(read.slice(0, 2));
      const second = await backend.withKinds(read.slice(2));
      const tenant = (upn: string) => emulator.tenant.find(upn)!;
      assert.deepEqual(
        [...first, ...second].map((m) => m.kind),
        upns.map((u) => tenant(u).kind),
      );
      const contractor = tenant("contractor@contoso.com");
      assert.equal(second[0]!.externalEmailAddress, contractor.externalEmailAddress?.replace(/^smtp:/i, ""));
      assert.equal(emulator.counters.get("exchange.Get-Recipient"), 1, "one listing for both calls");
      assert.equal(emulator.counters.get("exchange.requests"), 1);
      // After a scan (listMailboxes), whose one listing of what Graph cannot tell holds these kinds
      // too, the kinds of users read through Graph cost nothing more.
      const scanned = new ExchangeOnlineBackend(settings);
      let next: string | undefined;
      do next = (await scanned.listMailboxes(next)).next;
      while (next);
      const again = await scanned.readMailboxes(upns);
      emulator.counters.reset();
      assert.deepEqual(
        (await scanned.withKinds(upns.map((u) => ({ ...again.get(u)!, kind: undefined })))).map((m) => m.kind),
        upns.map((u) => tenant(u).kind),
      );
      assert.equal(emulator.counters.get("exchange.requests") ?? 0, 0, "the scan's listing answers");
    });
    it("pages through every recipient, each with its kind: users from Graph, the kinds Graph does not tell apart or show from Exchange", async () => {
      const backend = new ExchangeOnlineBackend(settings);
      let next: string | undefined;
      const all: LiveMailbox[] = [];
      do {
        const page = await backend.listMailboxes(next);
        all.push(...page.mailboxes);
        next = page.next;
      } while (next);
      assert.equal(all.length, emulator.tenant.list({}).length);
      const kinds = new Map(emulator.tenant.list({}).map((r) => [r.id, r.kind]));
      for (const m of all) assert.equal(m.kind, kinds.get(m.id), m.displayName);
    });
  });

  describe("writes", () => {
    it("writes the change as Set-Mailbox @{Add; Remove} and reads it back from Exchange", async () => {
      const backend = new ExchangeOnlineBackend(settings);
      const before = emulator.tenant.find("anna.kowalski@contoso.com")!.addresses;
      const wanted = ["SMTP:anna.kowalski@fabrikam.com", ...before.map((a) => a.replace(/^SMTP:/, "smtp:"))];
      const writes = emulator.tenant.writes().length;
      const back = await backend.setEmailAddresses("anna.kowalski@contoso.com", wanted);
      assert.ok(sameAddressList(back.addresses, wanted), JSON.stringify(back.addresses));
      assert.ok(sameAddressList(emulator.tenant.find("anna.kowalski@contoso.com")!.addresses, wanted));
      const write = emulator.tenant.writes().slice(writes);
      assert.deepEqual(
        write.map((w) => w.operation),
        ["Set-Mailbox -EmailAddresses @{Add;Remove}"],
      );
    });
    it("reads and writes every kind with its own cmdlets, by alias, address or object id; owners of every kind are found (Microsoft 365 groups too)", async () => {
      const backend = new ExchangeOnlineBackend(settings);
      const cases: [string, string, string][] = [
        ["marketing", "MailUniversalDistributionGroup", "Set-DistributionGroup -EmailAddresses @{Add;Remove}"],
        ["phoenix@contoso.com", "GroupMailbox", "Set-UnifiedGroup -EmailAddresses @{Add;Remove}"],
        [
          "1137573a-2ba7-51b3-b5df-233172a18ae3",
          "DynamicDistributionGroup",
          "Set-DynamicDistributionGroup -EmailAddresses @{Add;Remove}",
        ],
        ["dana.whitfield@contoso.com", "MailUser", "Set-MailUser -EmailAddresses @{Add;Remove}"],
        ["ea80995e-6515-588c-a1d2-49c78ab6f97b", "MailContact", "Set-MailContact -EmailAddresses @{Add;Remove}"],
      ];
      const read = await backend.readMailboxes(cases.map(([identity]) => identity));
      for (const [identity, kind, operation] of cases) {
        const live = read.get(identity);
        assert.ok(live, identity);
        const alias = `kinds-${kind.toLowerCase()}@contoso.com`;
        const writes = emulator.tenant.writes().length;
        const back = await backend.setEmailAddresses(identity, [...live.addresses, `smtp:${alias}`]);
        assert.equal(back.kind, kind);
        assert.ok(back.addresses.includes(`smtp:${alias}`), JSON.stringify(back.addresses));
        assert.deepEqual(
          emulator.tenant
            .writes()
            .slice(writes)
            .map((w) => w.operation),
          [operation],
        );
      }
      const owners = await backend.ownersOf(["phoenix@contoso.com", "kinds-mailcontact@contoso.com"]);
      assert.equal(owners.get("phoenix@contoso.com")?.kind, "GroupMailbox");
      assert.equal(owners.get("kinds-mailcontact@contoso.com")?.kind, "MailContact");
    });
    it("keeps an alias an admin added between the read and the write (defect 2: additive mode lost concurrent edits)", async () => {
      const backend = new ExchangeOnlineBackend(settings);
      const identity = "mei.tanaka@contoso.com";
      const live = (await backend.readMailboxes([identity])).get(identity)!;
      const plan = planMailbox(
        { primary: "mei.tanaka@fabrikam.com", aliases: ["mei.tanaka@contoso.com"], mode: "additive" },
        live.addresses,
      );
      assert.ok(plan.changed);
      // The admin's hand, after the run read the mailbox and before its write lands.
      emulator.tenant.addRemoveEmailAddresses(identity, ["smtp:mei.admin-added@contoso.com"], []);
      const back = await backend.setEmailAddresses(identity, plan.final);
      const now = emulator.tenant.find(identity)!.addresses;
      assert.ok(
        now.some((e) => addressKey(parseProxyAddress(e).value) === "mei.admin-added@contoso.com"),
        `the admin's alias was lost: ${JSON.stringify(now)}`,
      );
      assert.ok(now.includes("SMTP:mei.tanaka@fabrikam.com"));
      for (const entry of plan.final)
        assert.ok(
          now.some((e) => addressKey(e) === addressKey(entry)),
          `${entry} missing from ${JSON.stringify(now)}`,
        );
      // A write is not read back (issue 26): what it returns is the list it was taken against with
      // its delta applied, so the admin's alias is in the tenant, and the next read shows it.
      assert.ok(sameAddressList(back.addresses, plan.final), `${JSON.stringify(back.addresses)} is the planned list`);
      assert.deepEqual(
        now
          .filter((e) => !back.addresses.some((b) => addressKey(b) === addressKey(e)))
          .map((e) => addressKey(parseProxyAddress(e).value)),
        ["mei.admin-added@contoso.com"],
      );
    });
    it("the emulator's Set-Mailbox refuses a hashtable without its @odata.type, or with other keys or values", async () => {
      const token = await new ClientSecretCredential(
        emulator.tenantId,
        emulator.secrets.clientId,
        emulator.secrets.clientSecret,
        options(),
      ).getToken(EXCHANGE);
      const send = async (table: unknown) => {
        const response = await fetch(`${emulator.url}/adminapi/beta/${emulator.tenantId}/InvokeCommand`, {
          method: "POST",
          headers: { authorization: `Bearer ${token.token}`, "content-type": "application/json" },
          body: JSON.stringify({
            CmdletInput: {
              CmdletName: "Set-Mailbox",
              Parameters: { Identity: "lee.chen@contoso.com", EmailAddresses: table },
            },
          }),
        });
        return { status: response.status, text: await response.text() };
      };
      const before = emulator.tenant.find("lee.chen@contoso.com")!.addresses;
      for (const table of [
        { Add: ["smtp:lee.x@contoso.com"] },
        { "@odata.type": "#Exchange.GenericHashTable", Replace: ["smtp:lee.x@contoso.com"] },
        { "@odata.type": "#Exchange.GenericHashTable", add: [42] },
        { "@odata.type": "#Exchange.GenericHashTable" },
      ]) {
        const answer = await send(table);
        assert.equal(answer.status, 400, answer.text);
        assert.match(answer.text, /ParameterBindingException/);
      }
      assert.deepEqual(emulator.tenant.find("lee.chen@contoso.com")!.addresses, before);
      const ok = await send({ "@odata.type": "#Exchange.GenericHashTable", add: "smtp:lee.x@contoso.com" });
      assert.equal(ok.status, 200, ok.text);
      assert.ok(emulator.tenant.find("lee.chen@contoso.com")!.addresses.includes("smtp:lee.x@contoso.com"));
      emulator.tenant.addRemoveEmailAddresses("lee.chen@contoso.com", [], ["smtp:lee.x@contoso.com"]);
    });
    it("reports an address owned by another recipient with Exchange's words and the owner", async () => {
      const backend = new ExchangeOnlineBackend(settings);
      await assert.rejects(
        backend.setEmailAddresses("lee.chen@contoso.com", [
          "SMTP:lee.chen@contoso.com",
          "smtp:lee.chen@contoso.onmicrosoft.com",
          "smtp:press@fabrikam.com",
        ]),
        (err: unknown) => {
          assert.ok(ExchangeError.isInstance(err));
          assert.equal(err.code, "ProxyAddressExists");
          assert.equal(err.owner?.displayName, "Press Office (agency)");
          assert.match(
            err.message,
            /already being used by the proxy addresses or LegacyExchangeDN of "Press Office \(agency\)"/,
          );
          return true;
        },
      );
    });
    it("reports the write-scope refusal for a synced mailbox, and the unaccepted domain, and a missing mailbox", async () => {
      const backend = new ExchangeOnlineBackend(settings);
      await assert.rejects(
        backend.setEmailAddresses("george.hall@contoso.com", ["SMTP:george.hall@contoso.com"]),
        (err: unknown) => ExchangeError.isInstance(err) && err.code === "WriteScope",
      );
      await assert.rejects(
        backend.setEmailAddresses("lee.chen@contoso.com", [
          "SMTP:lee.chen@contoso.com",
          "smtp:lee.chen@contoso.onmicrosoft.com",
          "smtp:lee@northwind.example",
        ]),
        (err: unknown) => ExchangeError.isInstance(err) && err.code === "NotAcceptedDomain",
      );
      await assert.rejects(
        backend.setEmailAddresses("nobody@contoso.com", ["SMTP:nobody@contoso.com"]),
        (err: unknown) => ExchangeError.isInstance(err) && err.code === "NotFound",
      );
    });
    it("sets IsExchangeCloudManaged", async () => {
      const backend = new ExchangeOnlineBackend(settings);
      await backend.setCloudManaged("george.hall@contoso.com");
      assert.equal(emulator.tenant.find("george.hall@contoso.com")!.cloudManaged, true);
    });
    it("under a write budget of 20 per second, 60 concurrent writes all land, each once, none gives up", async () => {
      const backend = new ExchangeOnlineBackend(settings);
      const users = Array.from({ length: 60 }, (_, i) => `budget${i}`);
      for (const r of numberedMailboxes(users, "9000")) emulator.tenant.addRecipient(r);
      emulator.faults.settings = { writeBudget: { capacity: 5, refillPerSecond: 20 } };
      emulator.counters.reset();
      const started = Date.now();
      try {
        await Promise.all(
          users.map((u) =>
            backend.setEmailAddresses(`${u}@contoso.com`, [`SMTP:${u}@fabrikam.com`, `smtp:${u}@contoso.com`]),
          ),
        );
      } finally {
        emulator.faults.settings = {};
      }
      const elapsed = Date.now() - started;
      for (const u of users)
        assert.ok(
          sameAddressList(emulator.tenant.find(`${u}@contoso.com`)!.addresses, [
            `SMTP:${u}@fabrikam.com`,
            `smtp:${u}@contoso.com`,
          ]),
        );
      assert.equal(emulator.counters.get("exchange.Set-Mailbox.applied"), 60);
      assert.ok(emulator.counters.get("faults.exchange.429") > 0, "the budget was enforced");
      assert.ok(elapsed >= 2500, `55 writes beyond the burst of 5 at 20/s take at least 2.75 s (took ${elapsed} ms)`);
    });
    it("after 503s to many writes at once, reads them before resending in bulk (Get-Mailbox -Filter), not one Get-Mailbox each", async () => {
      const backend = new ExchangeOnlineBackend(settings, {
        ...DEFAULT_RETRY_OPTIONS,
        baseDelayMs: 20,
        maxDelayMs: 200,
        maxAttempts: 20,
      });
      const users = Array.from({ length: 40 }, (_, i) => `verify${i}`);
      for (const r of numberedMailboxes(users, "b000")) emulator.tenant.addRecipient(r);
      await backend.readMailboxes(users.map((u) => `${u}@contoso.com`));
      emulator.faults.settings = { serverErrorRate: 0.3, surfaces: ["exchange"] };
      emulator.counters.reset();
      try {
        await Promise.all(
          users.map((u) =>
            backend.setEmailAddresses(`${u}@contoso.com`, [`SMTP:${u}@fabrikam.com`, `smtp:${u}@contoso.com`]),
          ),
        );
      } finally {
        emulator.faults.settings = {};
      }
      const c = emulator.counters.snapshot();
      for (const u of users)
        assert.ok(
          sameAddressList(emulator.tenant.find(`${u}@contoso.com`)!.addresses, [
            `SMTP:${u}@fabrikam.com`,
            `smtp:${u}@contoso.com`,
          ]),
          u,
        );
      assert.equal(c["exchange.Set-Mailbox.applied"], users.length, JSON.stringify(c));
      const unknown = c["exchange.Set-Mailbox.faulted"] ?? 0;
      assert.ok(unknown >= 5, `writes answered 503: ${JSON.stringify(c)}`);
      // Each write answered 503 is read before it is resent; together, a few requests (their own 503s included).
      assert.ok((c["exchange.Get-Mailbox"] ?? 0) <= unknown / 2, JSON.stringify(c));
    });
    it("under 429s, 503s and dropped connections, writes each list once and never rewrites one that landed", async () => {
      const backend = new ExchangeOnlineBackend(settings, {
        ...DEFAULT_RETRY_OPTIONS,
        baseDelayMs: 20,
        maxDelayMs: 500,
        maxAttempts: 20,
      });
      const users = emulator.tenant
        .list({ usersOnly: true })
        .filter(
          (r) =>
            !r.synced &&
            r.kind === "UserMailbox" &&
            r.upn!.endsWith("@contoso.com") &&
            !r.addresses.some((a) => addressKey(a).endsWith(`:${r.upn!.replace("@contoso.com", "@fabrikam.com")}`)),
        )
        .slice(0, 25);
      emulator.faults.settings = { throttleRate: 0.3, retryAfterSeconds: 0.02, serverErrorRate: 0.05, dropRate: 0.1 };
      emulator.counters.reset();
      try {
        await Promise.all(
          users.map((u) =>
            backend.setEmailAddresses(u.id, [
              ...u.addresses.map((a) => a.replace(/^SMTP:/, "smtp:")),
              `SMTP:${u.upn!.replace("@contoso.com", "@fabrikam.com")}`,
            ]),
          ),
        );
      } finally {
        emulator.faults.settings = {};
      }
      for (const u of users) {
        const now = emulator.tenant.find(u.id)!.addresses;
        assert.ok(now.includes(`SMTP:${u.upn!.replace("@contoso.com", "@fabrikam.com")}`));
        assert.equal(
          now.filter((a) => addressKey(a).startsWith("smtp:")).length,
          u.addresses.filter((a) => addressKey(a).startsWith("smtp:")).length + 1,
        );
      }
      const c = emulator.counters.snapshot();
      assert.equal(emulator.counters.get("exchange.Set-Mailbox.applied"), users.length, JSON.stringify(c));
      assert.ok(
        (c["faults.exchange.429"] ?? 0) + (c["faults.exchange.503"] ?? 0) + (c["faults.exchange.drop"] ?? 0) > 0,
        "faults were injected",
      );
    });
  });
});
