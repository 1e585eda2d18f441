// The tool's reading of Exchange's error answers, checked against texts captured from the real
// service (public issues, scripts and Microsoft's pages, each named), not against the emulator's
// own wording. Where no capture of an InvokeCommand body exists, the sample says so and uses the
// captured cmdlet text inside the captured module error shape (docs/reference/exchange-online-addresses.md §2).
import { createHttpHeaders, createPipelineRequest, type PipelineResponse } from "@azure/core-rest-pipeline";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ExchangeError } from "../../../exchange/exchange-error";
import { classifyCmdletError, cmdletFailure } from "../../../targets/exchange-online/exchange-admin-client";
import { HttpError } from "../../../targets/exchange-online/http-error";

interface CapturedError {
  readonly name: string;
  /** Where the text was captured. */
  readonly source: string;
  /** True when the whole InvokeCommand body is captured; false when only the cmdlet's text is. */
  readonly wholeBody: boolean;
  readonly status: number;
  readonly exceptionType: string;
  readonly text: string;
  readonly expected: {
    readonly code: string | undefined;
    readonly address?: string;
    readonly owner?: string;
    readonly ownerId?: string;
  };
  /** The whole captured body, where it is captured in another form than the module's. */
  readonly body?: string;
}

const CAPTURED: readonly CapturedError[] = [
  {
    name: "not found (the module's captured error body)",
    source: "captured module error body, docs/reference/exchange-online-addresses.md §2 'Error shape'",
    wholeBody: true,
    status: 404,
    exceptionType: "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
    text: "The operation couldn't be performed because object 'nobody@contoso.com' couldn't be found on 'AM0PR01A001DC01.EURPR01A001.PROD.OUTLOOK.COM'.",
    expected: { code: "NotFound" },
  },
  {
    name: "not found, the detail as JSON with TypeName (another client's captured body)",
    source:
      "captured: a public admin API client's test fixture ('A real 400 body' and its not-found twin): details[].message as {Message, TypeName}",
    wholeBody: true,
    status: 404,
    exceptionType: "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
    text: "The operation couldn't be performed because object 'rg' couldn't be found.",
    expected: { code: "NotFound" },
    body: JSON.stringify({
      error: {
        code: "NotFound",
        message: "Error executing cmdlet",
        details: [
          {
            code: "Client",
            message: JSON.stringify({
              Message: "The operation couldn't be performed because object 'rg' couldn't be found.",
              TypeName: "Microsoft.Exchange.Configuration.Tasks.ManagementObjectNotFoundException",
              InnerError: null,
            }),
          },
        ],
      },
    }),
  },
  {
    name: "a 400 refusal with details[].code Context, the detail as JSON: not an address rule, so the typed HTTP error",
    source:
      "captured: the same client's fixture ('A real 400 body': ADObjectAlreadyExistsException, details[].code \"Context\")",
    wholeBody: true,
    status: 400,
    exceptionType: "Microsoft.Exchange.Data.Directory.ADObjectAlreadyExistsException",
    text: "The object 'CN=rg,OU=x' already exists.",
    expected: { code: undefined },
    body: JSON.stringify({
      error: {
        code: "BadRequest",
        message: "Error executing cmdlet",
        details: [
          {
            code: "Context",
            target: "",
            message: JSON.stringify({
              Message: "The object 'CN=rg,OU=x' already exists.",
              TypeName: "Microsoft.Exchange.Data.Directory.ADObjectAlreadyExistsException",
              StackTrace: null,
              InnerError: null,
            }),
          },
        ],
        innererror: { message: "Error executing cmdlet", type: "ODataServiceException" },
      },
    }),
  },
  {
    name: "proxy address in use, the holder named (Microsoft's shared-mailbox page)",
    source:
      "https://learn.microsoft.com/exchange/troubleshoot/add-users/proxy-address-being-used; text only, no InvokeCommand body captured",
    wholeBody: false,
    status: 400,
    exceptionType: "Microsoft.Exchange.Data.Directory.ProxyAddressExistsException",
    text: 'The proxy address "SMTP:info@contoso.com" is already being used by the proxy addresses or LegacyExchangeDN of "Info Desk". Please choose another proxy address.',
    expected: { code: "ProxyAddressExists", address: "info@contoso.com", owner: "Info Desk" },
  },
  {
    name: "proxy address in use, no holder named",
    source: "captured: MicrosoftDocs/OfficeDocs-Exchange#1036 and MicrosoftDocs/OfficeDocs-Support#22 (text only)",
    wholeBody: false,
    status: 400,
    exceptionType: "Microsoft.Exchange.Data.ProxyAddressExistsException",
    text: 'The proxy address "SMTP:support@domain.com.au" is already being used by the proxy addresses or LegacyExchangeDN. Please choose another proxy address.',
    expected: { code: "ProxyAddressExists", address: "support@domain.com.au" },
  },
  {
    name: "proxy address in use, the holder named by object id, the exception in another namespace",
    source:
      "a public InvokeCommand client's classifier (reads ProxyAddressExistsException and `LegacyExchangeDN of \"<object>\"` from the REST answer); the exception's namespace as in decompiled Exchange code (Microsoft.Exchange.Configuration.ObjectModel)",
    wholeBody: false,
    status: 400,
    exceptionType: "Microsoft.Exchange.Configuration.ObjectModel.ProxyAddressExistsException",
    text: 'The proxy address "SMTP:sales@contoso.com" is already being used by the proxy addresses or LegacyExchangeDN of "5f1c3e2a-9b7d-4c1e-8a2b-3c4d5e6f7a8b". Please choose another proxy address.',
    expected: {
      code: "ProxyAddressExists",
      address: "sales@contoso.com",
      owner: "5f1c3e2a-9b7d-4c1e-8a2b-3c4d5e6f7a8b",
      ownerId: "5f1c3e2a-9b7d-4c1e-8a2b-3c4d5e6f7a8b",
    },
  },
  {
    name: "the conflict found by Entra (ObjectConflict)",
    source: "captured: vilega/O365Troubleshooters#215 (text only)",
    wholeBody: false,
    status: 400,
    exceptionType: "Microsoft.Exchange.Data.DataValidationException",
    text: "The value specified for property EmailAddresses is incorrect. Reason: ObjectConflict",
    expected: { code: "ProxyAddressExists" },
  },
  {
    name: "a directory-synced mailbox (write scope)",
    source:
      "https://learn.microsoft.com/exchange/hybrid-deployment/enable-exchange-attributes-cloud-management (text only)",
    wholeBody: false,
    status: 400,
    exceptionType: "Microsoft.Exchange.Configuration.Tasks.TaskInvalidOperationException",
    text:
      "The operation on mailbox \"George Hall\" failed because it's out of the current user's write scope. The action 'Set-Mailbox', 'EmailAddresses', can't be performed on the object 'George Hall' " +
      "because the object is being synchronized from your on-premises organization. This action should be performed on the object in your on-premises organization.",
    expected: { code: "WriteScope" },
  },
  {
    name: "a directory-synced group (write scope, without the mailbox preamble)",
    source: "the hybrid page's refusal as reported for Set-DistributionGroup (text only; docs/RECIPIENT-KINDS.md)",
    wholeBody: false,
    status: 400,
    exceptionType: "Microsoft.Exchange.Configuration.Tasks.TaskInvalidOperationException",
    text: "The action 'Set-DistributionGroup', 'EmailAddresses', can't be performed on the object 'Sales' because the object is being synchronized from your on-premises organization. This action should be performed on the object in your on-premises organization.",
    expected: { code: "WriteScope" },
  },
  {
    name: "throttled: no InvokeCommand body captured; the status alone decides (the pipeline retries it), never an Exchange rule",
    source: "no capture found: docs/reference/exchange-online-addresses.md §4 (clients key on 429 and Retry-After)",
    wholeBody: false,
    status: 429,
    exceptionType: "",
    text: "Too many requests.",
    expected: { code: undefined },
  },
];

/** The captured module error shape around a cmdlet's text (details[].code as captured: "Client" on a 404, "Context" on a 400). */
function moduleErrorBody(c: CapturedError): string {
  if (c.body !== undefined) return c.body;
  const message = c.exceptionType === "" ? c.text : `Ex6F9304|${c.exceptionType}|${c.text}`;
  return JSON.stringify({
    error: {
      code: c.status === 404 ? "NotFound" : "BadRequest",
      message: "Error executing cmdlet",
      details: [{ code: c.status === 404 ? "Client" : "Context", target: "", message }],
      innererror: {
        message: "Error executing cmdlet",
        type: "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
      },
    },
  });
}

function responseOf(c: CapturedError): PipelineResponse {
  const request = createPipelineRequest({
    url: "https://outlook.office365.com/adminapi/beta/contoso.onmicrosoft.com/InvokeCommand",
    method: "POST",
  });
  return {
    request,
    status: c.status,
    headers: createHttpHeaders({ "request-id": "0b9c2f4e-1d2a-4b3c-9e8f-7a6b5c4d3e2f" }),
    bodyAsText: moduleErrorBody(c),
  };
}

describe("Exchange's error answers, as captured, read by the tool", () => {
  for (const c of CAPTURED) {
    it(`${c.name} [${c.source}${c.wholeBody ? "" : "; inside the captured module error shape"}]`, () => {
      assert.equal(classifyCmdletError(c.exceptionType, c.text), c.expected.code);
      const failure = cmdletFailure("Set-Mailbox", "someone@contoso.com", responseOf(c));
      if (c.expected.code === undefined) {
        // Not an Exchange rule: the typed HTTP error, with Microsoft's request id, for the pipeline to handle.
        assert.ok(failure instanceof HttpError, String(failure));
        assert.match(failure.message, /0b9c2f4e-1d2a-4b3c-9e8f-7a6b5c4d3e2f/);
        // Exchange's own words, not the JSON around them.
        if (c.body !== undefined)
          assert.ok(failure.message.includes(c.text) && !failure.message.includes("TypeName"), failure.message);
        return;
      }
      assert.ok(failure instanceof ExchangeError, String(failure));
      const violation = failure.violations[0]!;
      assert.equal(violation.code, c.expected.code);
      assert.equal(violation.message, c.text, "Exchange's own words are kept for the admin");
      assert.equal(violation.address, c.expected.address);
      assert.equal(violation.owner?.displayName, c.expected.owner);
      if (c.expected.ownerId !== undefined) assert.equal(violation.owner?.id, c.expected.ownerId);
    });
  }
});
