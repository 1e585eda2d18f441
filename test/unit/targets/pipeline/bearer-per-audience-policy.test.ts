// The bearer token policy (targets/exchange-online/pipeline/bearer-per-audience-policy.ts): a token
// that cannot be had is named by the API it was for.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { TokenCredential } from "@azure/identity";
import { MicrosoftHttp } from "../../../../targets/exchange-online/pipeline/microsoft-http";
import { fastOptions } from "../fast-retry";
import { FakeClient, read, SCOPE } from "./fake-http-client";

describe("bearer token per audience", () => {
  it("names the API when a token cannot be had", async () => {
    const failing: TokenCredential = {
      getToken: async () => {
        throw new Error("AADSTS7000215: Invalid client secret provided.\nTrace ID: x");
      },
    };
    const http = new MicrosoftHttp({
      credential: failing,
      apiNames: new Map([[SCOPE, "Microsoft Graph"]]),
      maxConcurrency: 1,
      retry: fastOptions(),
      httpClient: new FakeClient([{ status: 200 }]),
    });
    await assert.rejects(
      read(http),
      (err: unknown) =>
        err instanceof Error &&
        err.name === "AccessError" &&
        /could not get a token for Microsoft Graph: AADSTS7000215: Invalid client secret provided\.$/.test(err.message),
    );
  });
});
