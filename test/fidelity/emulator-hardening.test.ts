// The emulator refuses what the real services refuse, and keeps its own secrets (issue 19, defect
// 11): tokens for another tenant or not yet valid, the control plane without its token, files
// readable by others, malformed or oversized requests (4xx, never 500 or a reset), and
// Set-Mailbox parameters of the wrong type (refused as PowerShell's binding refuses them).
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import tls from "node:tls";
import { after, before, describe, it } from "node:test";
import { decodeJwt, now, signJwt } from "../../emulator/jwt";
import type { RunningEmulator } from "../../emulator/server";
import { startTestEmulator } from "../../harness/emulator";
import { invokeCommand, tokenFor, type SampleContext } from "./samples";

describe("emulator hardening", () => {
  let emulator: RunningEmulator;
  let ctx: SampleContext;
  let stateDir: string;

  before(async () => {
    emulator = await startTestEmulator();
    stateDir = path.dirname(emulator.federatedTokenFile);
    ctx = {
      emulator,
      graphToken: (await tokenFor(emulator, "https://graph.microsoft.com/.default")).body.access_token,
      exchangeToken: (await tokenFor(emulator, "https://outlook.office365.com/.default")).body.access_token,
    };
  });
  after(async () => emulator?.close());

  /** The emulator's own token with some claims changed, signed with its real key. */
  const forged = (token: string, changes: Record<string, unknown>) => {
    const jwt = decodeJwt(token)!;
    return signJwt({ ...jwt.claims, ...changes }, emulator.secrets.tokenSigningKey, {
      kid: emulator.secrets.tokenKeyId,
    });
  };
  const graphUsers = (token: string) =>
    fetch(`${emulator.url}/v1.0/users`, { headers: { authorization: `Bearer ${token}` } });

  describe("tokens (https://learn.microsoft.com/entra/identity-platform/claims-validation)", () => {
    it("a validly signed token for another tenant gets 401 and none of this tenant's data", async () => {
      const other = "0f0e0d0c-0b0a-4909-8807-060504030201";
      for (const changes of [
        { tid: other, iss: `https://sts.windows.net/${other}/` },
        { tid: other },
        { iss: `https://sts.windows.net/${other}/` },
      ]) {
        const response = await graphUsers(forged(ctx.graphToken, changes));
        const body = await response.text();
        assert.equal(response.status, 401, JSON.stringify(changes));
        assert.doesNotMatch(body, /contoso\.com/);
      }
      const exchange = await invokeCommand(
        ctx,
        "Get-Mailbox",
        {},
        "",
        {},
        forged(ctx.exchangeToken, { tid: other, iss: `https://sts.windows.net/${other}/` }),
      );
      assert.equal(exchange.status, 401);
      assert.match(exchange.body.error.message, /Invalid issuer/);
    });
    it("a token whose nbf is in the future gets 401; within the 5-minute clock skew it is accepted", async () => {
      const early = await graphUsers(forged(ctx.graphToken, { nbf: now() + 3600 }));
      assert.equal(early.status, 401);
      assert.match(await early.text(), /not yet valid/);
      assert.equal((await graphUsers(forged(ctx.graphToken, { nbf: now() + 60 }))).status, 200);
    });
    it("expired, unsigned and other-audience tokens get 401", async () => {
      assert.equal((await graphUsers(forged(ctx.graphToken, { exp: now() - 10 }))).status, 401);
      const [head, body] = ctx.graphToken.split(".");
      const none = `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${body}.`;
      assert.equal((await graphUsers(none)).status, 401);
      assert.equal((await graphUsers(`${head}.${body}.AAAA`)).status, 401);
      assert.equal((await graphUsers(ctx.exchangeToken)).status, 401);
    });
  });

  describe("control plane", () => {
    it("refuses requests without the control token, answers with it", async () => {
      for (const [method, p] of [
        ["GET", "/_emulator/counters"],
        ["PUT", "/_emulator/faults"],
        ["POST", "/_emulator/federated-token"],
        ["POST", "/_emulator/counters/reset"],
      ] as const) {
        const response = await fetch(`${emulator.url}${p}`, {
          method,
          ...(method === "PUT" ? { body: JSON.stringify({ throttleRate: 1 }) } : {}),
        });
        assert.equal(response.status, 401, `${method} ${p}`);
        assert.doesNotMatch(await response.text(), /"token"/);
      }
      const wrong = await fetch(`${emulator.url}/_emulator/counters`, {
        headers: { authorization: "Bearer not-the-token" },
      });
      assert.equal(wrong.status, 401);
      const right = await fetch(`${emulator.url}/_emulator/counters`, {
        headers: { authorization: `Bearer ${emulator.controlToken}` },
      });
      assert.equal(right.status, 200);
      assert.equal(emulator.faults.settings.throttleRate, undefined, "the refused PUT changed nothing");
    });
    it("writes every file private to the user (0600) in a folder only the user can enter (0700)", () => {
      assert.equal(statSync(stateDir).mode & 0o777, 0o700);
      for (const file of [
        "secrets.json",
        "control-token",
        "federated-token.jwt",
        "emulator-ca.pem",
        "test-app-certificate.pem",
        "tenant.sqlite",
      ]) {
        assert.equal((statSync(path.join(stateDir, file)).mode & 0o777).toString(8), "600", file);
      }
    });
  });

  describe("malformed and oversized requests get 4xx", () => {
    const post = (p: string, body: string | Buffer, headers: Record<string, string>) =>
      fetch(`${emulator.url}${p}`, { method: "POST", headers, body });
    it("malformed JSON to $batch and InvokeCommand: 400 in each API's error shape", async () => {
      const batch = await post("/v1.0/$batch", "{not json", {
        authorization: `Bearer ${ctx.graphToken}`,
        "content-type": "application/json",
      });
      assert.equal(batch.status, 400);
      assert.equal(((await batch.json()) as { error: { code: string } }).error.code, "BadRequest");
      const invoke = await post(`/adminapi/beta/${emulator.tenantId}/InvokeCommand`, "{not json", {
        authorization: `Bearer ${ctx.exchangeToken}`,
        "content-type": "application/json",
      });
      assert.equal(invoke.status, 400);
      assert.equal(((await invoke.json()) as { error: { message: string } }).error.message, "Error executing cmdlet");
      const shape = await post(
        `/adminapi/beta/${emulator.tenantId}/InvokeCommand`,
        JSON.stringify({ CmdletInput: "Get-Mailbox" }),
        {
          authorization: `Bearer ${ctx.exchangeToken}`,
          "content-type": "application/json",
        },
      );
      assert.equal(shape.status, 400);
      const batchShape = await post(
        "/v1.0/$batch",
        JSON.stringify({ requests: [{ id: 1, method: "GET", url: "/users" }] }),
        {
          authorization: `Bearer ${ctx.graphToken}`,
          "content-type": "application/json",
        },
      );
      assert.equal(batchShape.status, 400);
    });
    it("an oversized body: 413, answered, not a reset", async () => {
      const big = Buffer.alloc(5 * 1024 * 1024, 0x20);
      const response = await post("/v1.0/$batch", big, {
        authorization: `Bearer ${ctx.graphToken}`,
        "content-type": "application/json",
      });
      assert.equal(response.status, 413);
      const token = await post(`/${emulator.tenantId}/oauth2/v2.0/token`, Buffer.alloc(100 * 1024, 0x61), {
        "content-type": "application/x-www-form-urlencoded",
      });
      assert.equal(token.status, 413);
    });
    it("bytes that are not HTTP, and headers over Node's 16 KiB limit: 400 and 431 answered, not a bare reset", async () => {
      const raw = (request: string) =>
        new Promise<string>((resolve, reject) => {
          const socket = tls.connect(
            {
              host: "127.0.0.1",
              port: Number(new URL(emulator.url).port),
              ca: readFileSync(emulator.secrets.serverCertPath),
            },
            () => socket.end(request),
          );
          let answer = "";
          socket.on("data", (chunk: Buffer) => (answer += chunk.toString()));
          socket.on("end", () => resolve(answer));
          socket.on("close", () => resolve(answer));
          socket.on("error", reject);
        });
      assert.match(await raw("\x16\x03garbage that is not HTTP\r\n\r\n"), /^HTTP\/1\.1 400 /);
      assert.match(
        await raw(`GET /v1.0/users HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`),
        /^HTTP\/1\.1 431 /,
      );
    });
    it("a broken URL encoding or invalid UTF-8: 400", async () => {
      const badPath = await fetch(`${emulator.url}/v1.0/users/%E0%A4%A`, {
        headers: { authorization: `Bearer ${ctx.graphToken}` },
      });
      assert.equal(badPath.status, 400);
      const badUtf8 = await post(
        `/adminapi/beta/${emulator.tenantId}/InvokeCommand`,
        Buffer.from([0x7b, 0xff, 0xfe, 0x7d]),
        {
          authorization: `Bearer ${ctx.exchangeToken}`,
          "content-type": "application/json",
        },
      );
      assert.equal(badUtf8.status, 400);
    });
  });

  describe("Set-Mailbox binds its parameters as PowerShell does (https://learn.microsoft.com/powershell/module/exchange/set-mailbox)", () => {
    it("a comma-joined string for EmailAddresses is refused and changes nothing", async () => {
      const before = emulator.tenant.find("lee.chen@contoso.com")!.addresses;
      const answer = await invokeCommand(ctx, "Set-Mailbox", {
        Identity: "lee.chen@contoso.com",
        EmailAddresses: "SMTP:lee.chen@contoso.com,smtp:lee.chen@contoso.onmicrosoft.com,smtp:lee@fabrikam.com",
      });
      assert.equal(answer.status, 400);
      assert.match(
        answer.body.error.details[0].message,
        /\|System\.Management\.Automation\.ParameterBindingException\|Cannot process argument transformation on parameter 'EmailAddresses'/,
      );
      assert.deepEqual(emulator.tenant.find("lee.chen@contoso.com")!.addresses, before);
    });
    it("one address as a string is a one-entry list, checked by Exchange's rules (dropping the MOERA is refused)", async () => {
      const answer = await invokeCommand(ctx, "Set-Mailbox", {
        Identity: "lee.chen@contoso.com",
        EmailAddresses: "SMTP:lee.chen@contoso.com",
      });
      assert.equal(answer.status, 400);
      assert.match(answer.body.error.details[0].message, /MOERA/);
    });
    it("a string for a Boolean, a number in the list and an unknown parameter are refused", async () => {
      const flag = await invokeCommand(ctx, "Set-Mailbox", {
        Identity: "george.hall@contoso.com",
        IsExchangeCloudManaged: "true",
      });
      assert.equal(flag.status, 400);
      assert.match(flag.body.error.details[0].message, /Boolean parameters accept only Boolean values and numbers/);
      assert.equal(emulator.tenant.find("george.hall@contoso.com")!.cloudManaged, false);
      const list = await invokeCommand(ctx, "Set-Mailbox", {
        Identity: "lee.chen@contoso.com",
        EmailAddresses: ["SMTP:lee.chen@contoso.com", 42],
      });
      assert.equal(list.status, 400);
      const unknown = await invokeCommand(ctx, "Set-Mailbox", {
        Identity: "lee.chen@contoso.com",
        EmailAdresses: ["SMTP:lee.chen@contoso.com"],
      });
      assert.equal(unknown.status, 400);
      assert.match(
        unknown.body.error.details[0].message,
        /A parameter cannot be found that matches parameter name 'EmailAdresses'\./,
      );
    });
    it("error codes are stable per kind of error", async () => {
      const a = await invokeCommand(ctx, "Set-Mailbox", { Identity: "lee.chen@contoso.com", Bogus: 1 });
      const b = await invokeCommand(ctx, "Get-Mailbox", { Nope: 1 });
      assert.equal(a.body.error.details[0].message.split("|")[0], b.body.error.details[0].message.split("|")[0]);
    });
  });

  describe("Exchange resolves -Identity as Exchange does", () => {
    it("by alias, UPN, primary address, Entra object id, each Exchange GUID and distinguished name", async () => {
      const mark = (await invokeCommand(ctx, "Get-Mailbox", { Identity: "mark.wilson@contoso.com" })).body.value[0];
      for (const identity of [
        mark.Alias,
        mark.UserPrincipalName,
        mark.PrimarySmtpAddress,
        `smtp:${mark.PrimarySmtpAddress}`,
        mark.ExternalDirectoryObjectId,
        mark.Guid,
        mark.ExchangeObjectId,
        mark.ExchangeGuid,
        mark.DistinguishedName,
        "MWILSON@contoso.com",
      ]) {
        const answer = await invokeCommand(ctx, "Get-Mailbox", { Identity: identity });
        assert.equal(answer.status, 200, identity);
        assert.equal(answer.body.value[0].ExternalDirectoryObjectId, mark.ExternalDirectoryObjectId, identity);
      }
    });
    it("honours $select, Prefer: odata.maxpagesize and ResultSize", async () => {
      const selected = await invokeCommand(
        ctx,
        "Get-Mailbox",
        { Identity: "mark.wilson@contoso.com" },
        "?$select=Identity,EmailAddresses",
      );
      assert.deepEqual(Object.keys(selected.body.value[0]), [
        "EmailAddresses@odata.type",
        "EmailAddresses",
        "Identity",
      ]);
      const paged = await invokeCommand(ctx, "Get-Mailbox", { ResultSize: "Unlimited" }, "", {
        Prefer: "odata.maxpagesize=3",
      });
      assert.equal(paged.body.value.length, 3);
      assert.ok(paged.body["@odata.nextLink"]);
      const limited = await invokeCommand(ctx, "Get-Mailbox", { ResultSize: 4 }, "", { Prefer: "odata.maxpagesize=3" });
      assert.equal(limited.body.value.length, 3);
      const rest = await fetch(limited.body["@odata.nextLink"], {
        method: "POST",
        headers: {
          authorization: `Bearer ${ctx.exchangeToken}`,
          "content-type": "application/json",
          Prefer: "odata.maxpagesize=3",
        },
        body: JSON.stringify({ CmdletInput: { CmdletName: "Get-Mailbox", Parameters: { ResultSize: 4 } } }),
      }).then((r) => r.json() as Promise<{ value: unknown[]; "@odata.nextLink"?: string }>);
      assert.equal(rest.value.length, 1, "ResultSize 4 in all");
      assert.equal(rest["@odata.nextLink"], undefined);
    });
  });
});
