// Errors about access, in words that say which permission or role is missing and how to grant it.
import type { PipelineResponse } from "@azure/core-rest-pipeline";
import { MailboxAddressesError } from "../../core/errors";
import { clientRequestIdOf, requestIdOf, responseJson } from "./http-error";

export class AccessError extends MailboxAddressesError {
  readonly status: number;
  /** Microsoft's request-id of the refused request, when there was one. */
  readonly requestId: string | undefined;

  constructor(message: string, status: number, requestId?: string) {
    super(message);
    this.name = "AccessError";
    this.status = status;
    this.requestId = requestId;
  }
}

const GRAPH_FIX =
  "The app registration needs the Microsoft Graph application permission User.Read.All, with admin consent (Entra admin center > App registrations > API permissions).";
const EXCHANGE_FIX =
  "The app registration needs the Office 365 Exchange Online application permission Exchange.ManageAsApp, with admin consent, and its service principal needs the Exchange Administrator role (or a scoped Exchange RBAC role assignment made with New-ServicePrincipal and New-ManagementRoleAssignment).";

function describe(body: unknown): string {
  const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
  return error
    ? `${error.code ?? ""}${error.message ? `: ${error.message}` : ""}`
    : typeof body === "string"
      ? body
      : "";
}

/** 401/403 from Graph or the Exchange admin API. */
export function accessDenied(api: "graph" | "exchange", response: PipelineResponse, clientId: string): AccessError {
  const { status } = response;
  const body = responseJson(response);
  const requestId = requestIdOf(response);
  const name = api === "graph" ? "Microsoft Graph" : "The Exchange Online admin API";
  // Exchange refuses an app whose service principal has no Exchange role with this text.
  const noRole =
    api === "exchange" &&
    /isn't supported in this scenario|isn't assigned to any management roles/i.test(describe(body));
  const what = noRole
    ? "refused the app: its service principal has no Exchange role"
    : status === 401
      ? "did not accept the app's token"
      : "refused the app";
  const ids = `request-id ${requestId ?? "none"}, client-request-id ${clientRequestIdOf(response) ?? "none"}`;
  return new AccessError(
    `${name} ${what} (HTTP ${status} ${describe(body)}; ${ids}). App ${clientId}: ${api === "graph" ? GRAPH_FIX : EXCHANGE_FIX}`,
    status,
    requestId,
  );
}

/** A failure to get a token: keeps the identity platform's AADSTS text, never a secret. */
export function tokenFailure(api: string, err: unknown): Error {
  // The authority's own trouble (unreachable, untrusted, unknown tenant) is already in words.
  if (err instanceof Error && ["ConnectionError", "TenantNotFoundError", "CredentialSetupError"].includes(err.name))
    return err;
  const text = err instanceof Error ? err.message : String(err);
  const aadsts = /AADSTS\d+:[^\r\n]*/.exec(text)?.[0];
  return new AccessError(`could not get a token for ${api}: ${aadsts ?? text.split("\n")[0]}`, 401);
}
