// The errors of the HTTP pipeline (./pipeline/), both @azure/core-rest-pipeline RestErrors:
//  - HttpError: an answer that is a failure (or the last of too many retried ones), with its
//    status, the service's error code, Microsoft's request id, our client-request-id and a
//    bounded excerpt of the body: what a support case with Microsoft needs;
//  - ConnectionError: no answer because no connection could be made, naming the host, the cause
//    (refused, not resolved, unreachable, untrusted certificate) and the remedy.
// Both, and TransportError, are of the tool's error family (core/errors.ts) and expected.
import { RestError, type PipelineResponse } from "@azure/core-rest-pipeline";
import type { FamilyError } from "../../core/errors";
import { cut } from "../../core/text";

/** At most this much of an error body is kept, and shown. */
export const BODY_EXCERPT_CHARS = 500;

/** Why a connection could not be made, from an error and its causes. */
export type ConnectionProblemKind = "refused" | "unresolved" | "unreachable" | "untrusted" | "notTls";

const CERTIFICATE_CODES = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "CERT_UNTRUSTED",
  "CERT_SIGNATURE_FAILURE",
]);

interface ErrorLike {
  readonly code?: unknown;
  readonly cause?: unknown;
  readonly errors?: unknown;
}

/** The codes along an error's cause chain (a RestError carries the socket's code; other errors may nest it in `cause`). */
function codesOf(err: unknown): string[] {
  const codes: string[] = [];
  let e: ErrorLike | undefined = typeof err === "object" && err !== null ? err : undefined;
  for (let depth = 0; e !== undefined && depth < 5; depth++) {
    if (typeof e.code === "string") codes.push(e.code);
    // AggregateError (happy eyeballs) holds one error per address tried.
    if (Array.isArray(e.errors))
      for (const inner of e.errors as ErrorLike[]) if (typeof inner?.code === "string") codes.push(inner.code);
    e = typeof e.cause === "object" && e.cause !== null ? e.cause : undefined;
  }
  return codes;
}

/** Whether `err` says the connection could not be made at all, and why; undefined otherwise. */
export function connectionProblem(err: unknown): { kind: ConnectionProblemKind; code: string } | undefined {
  const codes = codesOf(err);
  const cert = codes.find((c) => CERTIFICATE_CODES.has(c) || c.startsWith("ERR_TLS_") || c.startsWith("CERT_"));
  if (cert) return { kind: "untrusted", code: cert };
  // Something answers at that port but not in TLS (a plain HTTP server, another service).
  const notTls = codes.find((c) => c === "EPROTO" || c === "ERR_SSL_WRONG_VERSION_NUMBER");
  if (notTls) return { kind: "notTls", code: notTls };
  const refused = codes.find((c) => c === "ECONNREFUSED");
  if (refused) return { kind: "refused", code: refused };
  const unresolved = codes.find((c) => c === "ENOTFOUND" || c === "EAI_AGAIN");
  if (unresolved) return { kind: "unresolved", code: unresolved };
  const unreachable = codes.find((c) => ["EHOSTUNREACH", "ENETUNREACH", "ETIMEDOUT"].includes(c));
  if (unreachable) return { kind: "unreachable", code: unreachable };
  return undefined;
}

/** The host of a URL, for messages (the text itself when it is not a URL). */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** A host that could not be connected to: which host, why, what to do. */
export class ConnectionError extends RestError implements FamilyError {
  readonly expected = true;
  readonly host: string;
  readonly kind: ConnectionProblemKind;

  constructor(url: string, problem: { kind: ConnectionProblemKind; code: string }, triedForMs?: number) {
    const host = hostOf(url);
    const tried = triedForMs === undefined || triedForMs === 0 ? "" : ` (tried for ${Math.round(triedForMs / 1000)} s)`;
    const texts: Record<ConnectionProblemKind, string> = {
      refused: `cannot connect to ${host}: the connection was refused (${problem.code})${tried}. Check the URL setting for this endpoint (authorityHost, graphBaseUrl, exchangeBaseUrl) and that the service, or the emulator, is running`,
      unresolved: `cannot connect to ${host}: the host name does not resolve (${problem.code})${tried}. Check the URL setting for this endpoint (authorityHost, graphBaseUrl, exchangeBaseUrl) and the machine's DNS`,
      unreachable: `cannot connect to ${host}: no route or no answer (${problem.code})${tried}. Check the network, proxy and firewall between this machine and ${host}`,
      notTls: `cannot connect to ${host}: what answers there does not speak TLS (${problem.code}). Check the URL setting for this endpoint (authorityHost, graphBaseUrl, exchangeBaseUrl): https:// and the service's own port`,
      untrusted: `cannot connect to ${host}: its TLS certificate is not trusted (${problem.code}). For the emulator, set NODE_EXTRA_CA_CERTS to its certificate (printed by mailbox-addresses emulator); behind a TLS-inspecting proxy, add the proxy's CA the same way`,
    };
    super(texts[problem.kind], { code: problem.code });
    // RestError's constructor resets the prototype to its own: restore the subclass's.
    Object.setPrototypeOf(this, new.target.prototype);
    this.name = "ConnectionError";
    this.host = host;
    this.kind = problem.kind;
  }
}

/** `{"error":{"code","message"}}`, the shape of Graph's and the admin API's error bodies. */
export function serviceError(body: unknown): { code?: string; message?: string } {
  const error = typeof body === "object" && body !== null ? (body as { error?: unknown }).error : undefined;
  if (typeof error !== "object" || error === null) return {};
  const { code, message } = error as { code?: unknown; message?: unknown };
  return { ...(typeof code === "string" ? { code } : {}), ...(typeof message === "string" ? { message } : {}) };
}

/** A response's body as JSON (a string when it is not JSON, `{}` when empty). */
export function responseJson(response: PipelineResponse): unknown {
  const text = response.bodyAsText ?? "";
  if (text === "") return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Microsoft's id of a request (`request-id`, Graph and Exchange) from a response's headers. */
export function requestIdOf(response: PipelineResponse | undefined): string | undefined {
  return response?.headers.get("request-id") ?? response?.headers.get("x-ms-request-id") ?? undefined;
}

/** Our id of a request, as the service echoed it, or as we sent it. */
export function clientRequestIdOf(response: PipelineResponse | undefined): string | undefined {
  return response?.headers.get("client-request-id") ?? response?.request.headers.get("client-request-id") ?? undefined;
}

/**
 * A failed answer from Graph or the Exchange admin API: status, the service's error code, both
 * request ids and the start of the body, in the error and in its message.
 */
export class HttpError extends RestError implements FamilyError {
  readonly expected = true;
  /** The HTTP status. */
  readonly status: number;
  /** The service's error code (`error.code` in the body), when it gave one. */
  readonly serviceCode: string | undefined;
  /** Microsoft's `request-id`: what to quote to Microsoft support. */
  readonly requestId: string | undefined;
  /** The `client-request-id` this client sent. */
  readonly clientRequestId: string | undefined;
  /** At most {@link BODY_EXCERPT_CHARS} characters of the body. */
  readonly bodyExcerpt: string;
  /** Attempts made (more than one when the answer was retried until giving up). */
  readonly attempts: number;

  /**
   * `what` names the call ("Microsoft Graph GET /users", "Exchange Set-Mailbox"); `attempts` > 1
   * says the pipeline gave up after retrying; `detail` replaces the body's `error.message` when
   * the caller knows better (Exchange's cmdlet text inside `error.details`).
   */
  constructor(
    what: string,
    response: PipelineResponse,
    options: { readonly attempts?: number; readonly detail?: string } = {},
  ) {
    const attempts = options.attempts ?? 1;
    const body = responseJson(response);
    const { code, message: serviceMessage } = serviceError(body);
    const message = options.detail ?? serviceMessage;
    const excerpt = cut(response.bodyAsText ?? "", BODY_EXCERPT_CHARS);
    const ids = [
      `request-id ${requestIdOf(response) ?? "none"}`,
      `client-request-id ${clientRequestIdOf(response) ?? "none"}`,
    ].join(", ");
    const answer = `HTTP ${response.status}${code ? ` ${code}` : ""}`;
    const said =
      message !== undefined ? cut(message, 300) : typeof body === "string" && body !== "" ? cut(body, 200) : undefined;
    const text =
      attempts > 1
        ? `${what}: gave up after ${attempts} attempts (last: ${answer}) from ${hostOf(response.request.url)}${said ? `: ${said}` : ""} (${ids})`
        : `${what}: ${hostOf(response.request.url)} answered ${answer}${said ? `: ${said}` : ""} (${ids})`;
    super(text, { statusCode: response.status, ...(code ? { code } : {}), request: response.request, response });
    Object.setPrototypeOf(this, new.target.prototype);
    this.name = "HttpError";
    this.status = response.status;
    this.serviceCode = code;
    this.requestId = requestIdOf(response);
    this.clientRequestId = clientRequestIdOf(response);
    this.bodyExcerpt = excerpt;
    this.attempts = attempts;
  }
}

/** A transport failure retried until giving up (dropped connections, timeouts). */
export class TransportError extends RestError implements FamilyError {
  readonly expected = true;
  readonly attempts: number;

  constructor(what: string, url: string, cause: RestError, attempts: number) {
    super(
      `${what}: gave up after ${attempts} attempts (last: ${cause.message || cause.code || "no answer"}) on ${hostOf(url)}; check the network between this machine and ${hostOf(url)}`,
      {
        ...(cause.code ? { code: cause.code } : {}),
        ...(cause.request ? { request: cause.request } : {}),
      },
    );
    Object.setPrototypeOf(this, new.target.prototype);
    this.name = "TransportError";
    this.attempts = attempts;
  }
}
