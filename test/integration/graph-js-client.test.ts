// Microsoft's Graph JavaScript client (@microsoft/microsoft-graph-client) against the emulator over
// HTTPS, as an application would use it: its own default middleware chain (a token from
// @azure/identity through TokenCredentialAuthenticationProvider, its retry handler, fetch), so the
// emulator keeps being checked by the real JS client as well as by Python's msgraph-sdk
// (./python-second-client.test.ts): users paged with $select/$top and the next link, one user by
// UPN, a missing user as Graph's error with its request id, a JSON $batch built and read with
// BatchRequestContent/BatchResponseContent, and the client's retry handler waiting out a 429.
// The exchange-online backend's own use of the client (requests built by it, sent through the HTTP
// pipeline) is covered by ./exchange-online-backend.test.ts.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ClientSecretCredential } from "@azure/identity";
import { BatchRequestContent, BatchResponseContent, Client, GraphError } from "@microsoft/microsoft-graph-client";
import { TokenCredentialAuthenticationProvider } from "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials";
import type { RunningEmulator } from "../../emulator/server";
import { startTestEmulator } from "../../harness/emulator";

const GRAPH = "https://graph.microsoft.com/.default";

describe("Microsoft's Graph JavaScript client against the emulator", () => {
  let emulator: RunningEmulator;
  let client: Client;

  before(async () => {
    emulator = await startTestEmulator();
    const credential = new ClientSecretCredential(
      emulator.tenantId,
      emulator.secrets.clientId,
      emulator.secrets.clientSecret,
      { authorityHost: emulator.url, disableInstanceDiscovery: true },
    );
    client = Client.initWithMiddleware({
      authProvider: new TokenCredentialAuthenticationProvider(credential, { scopes: [GRAPH] }),
      baseUrl: emulator.url,
      defaultVersion: "v1.0",
      // The client sends its token only to Graph's hosts and to these.
      customHosts: new Set([new URL(emulator.url).hostname]),
    });
  });
  after(async () => emulator?.close());

  it("pages through all users with $select and $top, following @odata.nextLink", async () => {
    type Page = {
      value: { id: string; userPrincipalName: string; proxyAddresses: string[] }[];
      "@odata.nextLink"?: string;
    };
    let page = (await client.api("/users").select(["id", "userPrincipalName", "proxyAddresses"]).top(7).get()) as Page;
    const seen = [...page.value];
    let pages = 1;
    while (page["@odata.nextLink"] !== undefined) {
      page = (await client.api(page["@odata.nextLink"]).get()) as Page;
      seen.push(...page.value);
      pages++;
    }
    const users = emulator.tenant.list({ usersOnly: true });
    assert.equal(seen.length, users.length);
    assert.equal(pages, Math.ceil(users.length / 7));
    assert.deepEqual(Object.keys(seen[0]!).sort(), ["id", "proxyAddresses", "userPrincipalName"]);
    assert.equal(
      seen.filter((u) => u.proxyAddresses.length > 0).length,
      users.filter((u) => u.addresses.length > 0).length,
    );
    assert.equal(new Set(seen.map((u) => u.id)).size, users.length);
  });

  it("reads one user by UPN", async () => {
    const mark = emulator.tenant.find("mark.wilson@contoso.com")!;
    const user = await client
      .api("/users/mark.wilson@contoso.com")
      .select("id,userPrincipalName,displayName,proxyAddresses")
      .get();
    assert.equal(user.id, mark.id);
    assert.equal(user.userPrincipalName, mark.upn);
    assert.deepEqual(user.proxyAddresses, mark.addresses);
  });

  it("a missing user is Graph's 404 error, with its code and request id", async () => {
    await assert.rejects(client.api("/users/nobody@contoso.com").get(), (err: unknown) => {
      assert.ok(err instanceof GraphError);
      assert.equal(err.statusCode, 404);
      assert.equal(err.code, "Request_ResourceNotFound");
      assert.match(err.requestId ?? "", /^[0-9a-f-]{36}$/);
      return true;
    });
  });

  it("batches with BatchRequestContent and reads the answers with BatchResponseContent", async () => {
    // BatchRequestContent 3.0.7 keeps all after the host as the item's URL: given without the
    // version, the items read "/users/…" as Graph documents (msgraph-sdk-javascript#1178).
    const origin = new URL(emulator.url).origin;
    const upns = ["mark.wilson@contoso.com", "nobody@contoso.com", "anna.kowalski@contoso.com"];
    const content = new BatchRequestContent(
      upns.map((upn, i) => ({
        id: String(i + 1),
        request: new Request(`${origin}/users/${encodeURIComponent(upn)}?$select=id,userPrincipalName`, {
          method: "GET",
        }),
      })),
    );
    const body = await content.getContent();
    assert.deepEqual(
      body.requests.map((r) => r.url),
      upns.map((upn) => `/users/${encodeURIComponent(upn)}?$select=id,userPrincipalName`),
    );
    emulator.counters.reset();
    const answer = new BatchResponseContent(await client.api("/$batch").post(body));
    assert.equal(emulator.counters.get("graph.batch"), 1);
    assert.equal(emulator.counters.get("graph.batch.items"), 3);
    const mark = answer.getResponseById("1")!;
    assert.equal(mark.status, 200);
    assert.equal(((await mark.json()) as { userPrincipalName: string }).userPrincipalName, "mark.wilson@contoso.com");
    const nobody = answer.getResponseById("2")!;
    assert.equal(nobody.status, 404);
    assert.equal(((await nobody.json()) as { error: { code: string } }).error.code, "Request_ResourceNotFound");
    assert.equal(answer.getResponseById("3")!.status, 200);
  });

  it("batches a PATCH of a user's userPrincipalName, with the body and Content-Type BatchRequestContent writes, and a GET that depends on it", async () => {
    const origin = new URL(emulator.url).origin;
    const content = new BatchRequestContent([
      {
        id: "1",
        request: new Request(`${origin}/users/anna.kowalski@contoso.com`, {
          method: "PATCH",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ userPrincipalName: "anna.kowalski@fabrikam.com" }),
        }),
      },
      {
        id: "2",
        request: new Request(`${origin}/users/anna.kowalski@fabrikam.com?$select=userPrincipalName`, { method: "GET" }),
        dependsOn: ["1"],
      },
    ]);
    const body = await content.getContent();
    try {
      const answer = new BatchResponseContent(await client.api("/$batch").post(body));
      assert.equal(answer.getResponseById("1")!.status, 204);
      const read = answer.getResponseById("2")!;
      assert.equal(read.status, 200);
      assert.equal(
        ((await read.json()) as { userPrincipalName: string }).userPrincipalName,
        "anna.kowalski@fabrikam.com",
      );
      assert.equal(emulator.tenant.find("anna.kowalski@fabrikam.com")?.upn, "anna.kowalski@fabrikam.com");
    } finally {
      await client.api("/users/anna.kowalski@fabrikam.com").patch({ userPrincipalName: "anna.kowalski@contoso.com" });
    }
  });

  it("the client's own retry handler waits out the emulator's 429 and its Retry-After", async () => {
    emulator.faults.settings = { throttleRate: 1, retryAfterSeconds: 0.2, surfaces: ["graph"] };
    const started = Date.now();
    setTimeout(() => (emulator.faults.settings = {}), 300).unref();
    try {
      emulator.counters.reset();
      const user = await client.api("/users/mark.wilson@contoso.com").select("id").get();
      assert.equal(user.id, emulator.tenant.find("mark.wilson@contoso.com")!.id);
      assert.ok((emulator.counters.get("faults.graph.429") ?? 0) >= 1);
      assert.ok(Date.now() - started >= 200, "answered before the Retry-After");
    } finally {
      emulator.faults.settings = {};
    }
  });
});
