// The tool's errors as one family (issue 28, item 3): whether an error is expected is a property of
// the error, not a list of class names, and it holds across two copies of the modules.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createHttpHeaders, createPipelineRequest, RestError } from "@azure/core-rest-pipeline";
import { describeExpected, isExpectedError, MailboxAddressesError, type FamilyError } from "../../../core/errors";
import { SpecError } from "../../../core/problems";
import { ExchangeError } from "../../../exchange/exchange-error";
import { TenantStoreError } from "../../../tenant/local-store";
import { UpnError } from "../../../tenant/tenant";
import { EngineGoneError } from "../../../runtime/engine-watchdog";
import { SpecFileError } from "../../../runtime/spec-file";
import { MailboxError } from "../../../providers/mailbox-addresses/implementation";
import { SettingsError } from "../../../targets/target-definition";
import { DirectoryError } from "../../../targets/active-directory/directory-client";
import { CredentialSetupError, TenantNotFoundError } from "../../../targets/exchange-online/credentials";
import { ConnectionError, HttpError, TransportError } from "../../../targets/exchange-online/http-error";
import { AccessError } from "../../../targets/exchange-online/permissions";
import { FaultSettingsError } from "../../../emulator/faults";
import { RequestError } from "../../../emulator/http";
import { UnknownExpressionError } from "../../../harness/workflow-expressions";
import { CliError, describeError } from "../../../cli/cli-error";

const response = () => {
  const request = createPipelineRequest({ url: "https://graph.microsoft.com/v1.0/users", method: "GET" });
  return {
    request,
    status: 404,
    headers: createHttpHeaders({ "request-id": "r-1" }),
    bodyAsText: '{"error":{"code":"Request_ResourceNotFound","message":"gone"}}',
  };
};

/** One of each of the tool's error classes, with whether it is expected. */
function everyError(): { readonly error: FamilyError; readonly expected: boolean }[] {
  const restCause = new RestError("socket hang up", { code: "ECONNRESET" });
  return [
    {
      error: new SpecError([{ file: "m.yaml", position: { line: 1, col: 1 }, path: [], message: "bad" }]),
      expected: true,
    },
    {
      error: new ExchangeError("ada", [{ code: "ProxyAddressExists", message: "taken", address: "a@contoso.com" }]),
      expected: true,
    },
    { error: new TenantStoreError(".tenant/local.sqlite", "it is gone", "restore it"), expected: true },
    { error: new UpnError(400, "Request_BadRequest", "refused"), expected: true },
    { error: new SpecFileError("m.yaml", "not found", "check the spec setting"), expected: true },
    { error: new MailboxError("m.yaml:3:5", "ada", "refused", "fix it"), expected: true },
    { error: new SettingsError("config target is bad"), expected: true },
    {
      error: new DirectoryError("UserNotFound", "no such user", { mailbox: "ada", remedy: "check it" }),
      expected: true,
    },
    { error: new CredentialSetupError("no credential"), expected: true },
    { error: new TenantNotFoundError("https://login.microsoftonline.com", "contoso", "AADSTS90002"), expected: true },
    {
      error: new ConnectionError("https://graph.microsoft.com", { kind: "refused", code: "ECONNREFUSED" }),
      expected: true,
    },
    { error: new HttpError("Microsoft Graph GET /users", response()), expected: true },
    {
      error: new TransportError("Microsoft Graph GET /users", "https://graph.microsoft.com", restCause, 4),
      expected: true,
    },
    { error: new AccessError("forbidden", 403), expected: true },
    { error: new CliError("no such stack"), expected: true },
    { error: new FaultSettingsError(["throttleRate above 1"]), expected: true },
    { error: new RequestError(413, "RequestEntityTooLarge", "too large"), expected: true },
    { error: new EngineGoneError(), expected: false },
    { error: new UnknownExpressionError("${{ nope() }}"), expected: false },
  ];
}

describe("the tool's errors", () => {
  it("each says whether it is expected, and isExpectedError reads that, not a name", () => {
    for (const { error, expected } of everyError()) {
      assert.ok(error instanceof Error, error.name);
      assert.equal(error.expected, expected, error.name);
      assert.equal(isExpectedError(error), expected, error.name);
    }
  });

  it("all but the pipeline's RestErrors extend MailboxAddressesError; those keep RestError", () => {
    for (const { error } of everyError()) {
      const rest = error instanceof RestError;
      assert.equal(error instanceof MailboxAddressesError, !rest, error.name);
      if (rest) assert.ok(["ConnectionError", "HttpError", "TransportError"].includes(error.name), error.name);
    }
  });

  it("keep their own names (messages and the emulator tell them apart by it)", () => {
    const names = everyError().map(({ error }) => error.name);
    assert.equal(new Set(names).size, names.length, names.join());
    assert.ok(!names.includes("MailboxAddressesError") && !names.includes("Error"), names.join());
  });

  it("carry their context: mailbox, address, file, remedy", () => {
    const exchange = new ExchangeError("ada", [
      { code: "ProxyAddressExists", message: "taken", address: "a@contoso.com" },
    ]);
    assert.deepEqual([exchange.mailbox, exchange.address, exchange.identity], ["ada", "a@contoso.com", "ada"]);
    const mailbox = new MailboxError("m.yaml:3:5", "ada", "refused", "fix it");
    assert.deepEqual([mailbox.file, mailbox.mailbox, mailbox.remedy], ["m.yaml:3:5", "ada", "fix it"]);
    assert.equal(mailbox.message, 'm.yaml:3:5: mailbox "ada": refused\n  what to do: fix it');
    const file = new SpecFileError("m.yaml", "not found", "check the spec setting");
    assert.deepEqual([file.file, file.remedy, file.mailbox], ["m.yaml", "check the spec setting", undefined]);
    const store = new TenantStoreError("t.sqlite", "gone", "restore it");
    assert.deepEqual([store.file, store.remedy], ["t.sqlite", "restore it"]);
    const directory = new DirectoryError("UserNotFound", "no such user", {
      mailbox: "bob",
      dn: "CN=bob",
      remedy: "check it",
    });
    assert.deepEqual([directory.mailbox, directory.remedy, directory.details.dn], ["bob", "check it", "CN=bob"]);
    assert.equal(new MailboxAddressesError("x", { cause: exchange }).cause, exchange);
  });

  it("stay expected across two copies of the modules (a provider from an installed package beside this checkout's program)", () => {
    const copy = (file: string): unknown => {
      const resolved = require.resolve(file);
      const saved = require.cache[resolved];
      delete require.cache[resolved];
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- a second copy of the module, as an installed package would load
        return require(resolved) as unknown;
      } finally {
        if (saved !== undefined) require.cache[resolved] = saved;
      }
    };
    const errors = copy("../../../core/errors") as typeof import("../../../core/errors");
    assert.notEqual(errors.MailboxAddressesError, MailboxAddressesError);
    const foreign = new errors.MailboxAddressesError("from the other copy");
    assert.ok(!(foreign instanceof MailboxAddressesError));
    assert.ok(isExpectedError(foreign));
    assert.ok(!isExpectedError(new errors.MailboxAddressesError("a bug", { expected: false })));
    assert.ok(!isExpectedError(new Error("plain")));
    assert.ok(!isExpectedError({ expected: true, message: "not an Error" }));
  });
});

describe("the CLI's message for an error", () => {
  it("is one line for an expected error and asks for --verbose for anything else", () => {
    assert.equal(describeError(new SettingsError("config target is bad"), false), "error: config target is bad\n");
    assert.equal(describeError(new HttpError("Microsoft Graph GET /users", response()), false).split("\n").length, 2);
    assert.match(describeError(new EngineGoneError(), false), /an unexpected error: run again with --verbose/);
    assert.match(describeError(new TypeError("x is undefined"), false), /an unexpected error/);
  });

  it("treats @azure/identity's credential errors as expected, by their names", () => {
    class CredentialUnavailableError extends Error {}
    assert.equal(
      describeError(new CredentialUnavailableError("no credential in the environment"), false),
      "error: no credential in the environment\n",
    );
  });

  it("escapes an expected message and drops a stack trace that crept into it", () => {
    const err = new CliError("bad \u202e value\n    at f (/x/y.js:1:2)");
    assert.equal(describeExpected(err), "bad \\u202e value");
  });
});
