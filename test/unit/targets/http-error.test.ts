// The HTTP pipeline's typed errors (targets/exchange-online/http-error.ts, permissions.ts): the
// host, status, service code and request ids in an HttpError, a bounded body excerpt, the
// permission an AccessError names, and a port that does not speak TLS as a ConnectionError.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createHttpHeaders, createPipelineRequest, RestError, type PipelineResponse } from "@azure/core-rest-pipeline";
import { ConnectionError, connectionProblem, HttpError } from "../../../targets/exchange-online/http-error";
import { accessDenied, AccessError } from "../../../targets/exchange-online/permissions";

describe("typed errors", () => {
  const answer = (status: number, body: string, headers: Record<string, string> = {}): PipelineResponse => {
    const request = createPipelineRequest({
      url: "https://outlook.test/adminapi/beta/t/InvokeCommand",
      headers: createHttpHeaders({ "client-request-id": "c1" }),
    });
    return { request, status, headers: createHttpHeaders(headers), bodyAsText: body };
  };

  it("an HttpError says the host, status, code, the service's words and both request ids", () => {
    const err = new HttpError(
      'Exchange Set-Mailbox "lee"',
      answer(400, '{"error":{"code":"BadRequest","message":"Error executing cmdlet"}}', { "request-id": "r1" }),
      {
        detail: "The proxy address is invalid.",
      },
    );
    assert.equal(
      err.message,
      'Exchange Set-Mailbox "lee": outlook.test answered HTTP 400 BadRequest: The proxy address is invalid. (request-id r1, client-request-id c1)',
    );
    assert.equal(err.serviceCode, "BadRequest");
    assert.equal(err.requestId, "r1");
    assert.equal(err.clientRequestId, "c1");
  });

  it("keeps only the start of a long body", () => {
    const err = new HttpError("x", answer(502, "<html>" + "y".repeat(10_000)));
    assert.ok(err.bodyExcerpt.length < 600);
    assert.ok(err.message.length < 500, `${err.message.length} characters`);
  });

  it("an AccessError names the permission and carries the request id", () => {
    const err = accessDenied(
      "graph",
      answer(403, '{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges"}}', {
        "request-id": "r2",
      }),
      "app-1",
    );
    assert.ok(err instanceof AccessError);
    assert.equal(err.requestId, "r2");
    assert.match(
      err.message,
      /^Microsoft Graph refused the app \(HTTP 403 Authorization_RequestDenied: Insufficient privileges; request-id r2, client-request-id c1\)\. App app-1: .*User\.Read\.All/,
    );
  });
});

describe("a port that answers, but not in TLS", () => {
  it("is a ConnectionError naming the host and the URL setting, not a raw EPROTO", () => {
    const eproto = new RestError("write EPROTO …:wrong version number", { code: "EPROTO" });
    const problem = connectionProblem(eproto);
    assert.deepEqual(problem, { kind: "notTls", code: "EPROTO" });
    const error = new ConnectionError("https://127.0.0.1:43783/v1.0/$batch", problem!);
    assert.match(
      error.message,
      /^cannot connect to 127\.0\.0\.1:43783: what answers there does not speak TLS \(EPROTO\)/,
    );
    assert.match(error.message, /graphBaseUrl/);
    assert.equal(error.expected, true);
  });
});
