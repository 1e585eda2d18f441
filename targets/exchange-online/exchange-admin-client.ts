// Calls the Exchange Online admin API (`InvokeCommand`, the REST API under the
// ExchangeOnlineManagement module) through the HTTP pipeline (./pipeline/: app-only token,
// retries, concurrency, and for writes the write gate and verify-before-retry), and turns its
// error bodies into ExchangeErrors with Exchange's own code and text.
import type { PipelineResponse } from "@azure/core-rest-pipeline";
import { ExchangeError } from "../../exchange/exchange-error";
import { EXCEPTION_TYPES, type ExchangeErrorCode } from "../../exchange/exchange-rules";
import { HttpError, responseJson } from "./http-error";
import type { MicrosoftHttp } from "./pipeline/microsoft-http";
import { isVerifiedWrite } from "./pipeline/verify-before-retry-policy";
import { accessDenied } from "./permissions";

export const EXCHANGE_SCOPE = "https://outlook.office365.com/.default";

/** Get-Mailbox / Get-Recipient fields this project reads. */
export interface ExchangeRecipient {
  readonly ExternalDirectoryObjectId: string;
  readonly DisplayName: string;
  readonly UserPrincipalName: string | null;
  readonly EmailAddresses: readonly string[];
  /** Exchange's name of the kind: read with parseRecipientKind (exchange-rules). */
  readonly RecipientTypeDetails: string;
  readonly IsDirSynced: boolean;
  readonly IsExchangeCloudManaged: boolean;
}

/** The class name of a .NET exception type, without its namespace. */
const className = (type: string) => type.slice(type.lastIndexOf(".") + 1);

/**
 * Maps the .NET exception type and text in an error body to our code. Captured answers name one
 * exception in different namespaces (ProxyAddressExistsException under Microsoft.Exchange.Data,
 * .Data.Directory and .Configuration.ObjectModel: test/unit/targets/captured-exchange-errors.test.ts),
 * so types are compared by class name, and the texts Exchange is known to send come first.
 */
export function classifyCmdletError(exceptionType: string, text: string): ExchangeErrorCode | undefined {
  if (
    /out of the current user's write scope|because the object is being synchronized from your on-premises organization/i.test(
      text,
    )
  )
    return "WriteScope";
  // Exchange's own refusal, and Entra's when it finds the conflict first (ObjectConflict).
  if (/is already being used by the proxy addresses or LegacyExchangeDN|Reason: ObjectConflict/i.test(text))
    return "ProxyAddressExists";
  if (/Email Routing Address|MOERA/i.test(text)) return "MoeraRemoval";
  if (/primary SMTP address/i.test(text)) return "PrimaryAddressCount";
  if (/at most \d+/i.test(text)) return "TooManyAddresses";
  if (/couldn't be found on '/i.test(text)) return "NotFound";
  const match = (Object.entries(EXCEPTION_TYPES) as [ExchangeErrorCode, string][]).find(
    ([, type]) => exceptionType !== "" && className(type) === className(exceptionType),
  );
  return match?.[0];
}

/** A GUID, as Exchange names a holder by its object id in some answers. */
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The exception type and text of an error detail, in either captured form: "ExXXXX|Type|text"
 * (the module's error bodies) or `{"Message": text, "TypeName": type, …}` (a public admin API
 * client's captured 400 and 404 bodies). Nothing else in the body is relied on: not the detail's
 * `code` ("Client" on some captures, "Context" on others), not the Ex… code.
 */
export function detailParts(detail: string): { exceptionType: string; text: string } {
  if (detail.trimStart().startsWith("{")) {
    try {
      const parsed = JSON.parse(detail) as { Message?: unknown; TypeName?: unknown };
      if (typeof parsed.Message === "string")
        return { exceptionType: typeof parsed.TypeName === "string" ? parsed.TypeName : "", text: parsed.Message };
    } catch {
      // not JSON after all: read as text
    }
  }
  const [, exceptionType, ...rest] = detail.split("|");
  return rest.length > 0
    ? { exceptionType: exceptionType!, text: rest.join("|") }
    : { exceptionType: "", text: detail };
}

/**
 * Reads `{"error":{"details":[{"message":"ExXXXX|Type|text"}]}}` into an ExchangeError; an error
 * Exchange's rules do not name stays the typed HTTP error, with its status and request ids.
 */
export function cmdletFailure(cmdlet: string, identity: string, response: PipelineResponse): Error {
  const body = responseJson(response);
  const status = response.status;
  const error = (
    body as {
      error?: {
        message?: string;
        details?: { message?: string }[];
        innererror?: { internalException?: { message?: string } };
      };
    }
  )?.error;
  const detail =
    error?.details?.[0]?.message ?? error?.innererror?.internalException?.message ?? error?.message ?? `HTTP ${status}`;
  const { exceptionType, text } = detailParts(detail);
  const code = classifyCmdletError(exceptionType, text) ?? (status === 404 ? "NotFound" : undefined);
  if (code === undefined)
    return new HttpError(`Exchange ${cmdlet} "${identity.slice(0, 100)}"`, response, { detail: text });
  // The holder, when the text names it (`… LegacyExchangeDN of "<name or object id>".`); some
  // answers name none.
  const ownerName = code === "ProxyAddressExists" ? /LegacyExchangeDN of "([^"]+)"/.exec(text)?.[1] : undefined;
  const address = /"(?:smtp|SMTP):([^"]+)"/.exec(text)?.[1];
  return new ExchangeError(identity, [
    {
      code,
      message: text,
      ...(address ? { address } : {}),
      ...(ownerName
        ? {
            owner: {
              id: GUID.test(ownerName) ? ownerName.toLowerCase() : "",
              displayName: ownerName,
            },
          }
        : {}),
    },
  ]);
}

/** A row of Get-AcceptedDomain. */
export interface ExchangeAcceptedDomain {
  readonly DomainName: string;
}

export class ExchangeAdminClient {
  readonly #url: string;
  readonly #tenantId: string;
  readonly #clientId: string;
  readonly #http: MicrosoftHttp;

  constructor(baseUrl: string, tenantId: string, clientId: string, http: MicrosoftHttp) {
    this.#url = `${baseUrl.replace(/\/$/, "")}/adminapi/beta/${tenantId}/InvokeCommand`;
    this.#tenantId = tenantId;
    this.#clientId = clientId;
    this.#http = http;
  }

  #headers(cmdlet: string): Record<string, string> {
    return {
      prefer: "odata.maxpagesize=1000",
      // The anchor mailbox app-only callers use (CIPP, the ExchangeOnlineManagement module).
      "x-anchormailbox": `APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@${this.#tenantId}`,
      "x-cmdletname": cmdlet,
      "x-clientapplication": "mailbox-addresses",
    };
  }

  #invoke(
    url: string,
    cmdlet: string,
    parameters: Record<string, unknown>,
    write?: { landed: () => Promise<boolean> },
  ): Promise<PipelineResponse> {
    return this.#http.send(url, {
      what: `Exchange ${cmdlet}`,
      scope: EXCHANGE_SCOPE,
      method: "POST",
      headers: this.#headers(cmdlet),
      body: { CmdletInput: { CmdletName: cmdlet, Parameters: parameters } },
      ...(write ? { write } : {}),
    });
  }

  /**
   * Runs a read cmdlet and returns its `value` rows (following @odata.nextLink). A cmdlet error
   * becomes an ExchangeError; 401/403 an AccessError saying what to grant.
   */
  async read<Row = ExchangeRecipient>(
    cmdlet: string,
    parameters: Record<string, unknown>,
    identity = String(parameters.Identity ?? ""),
  ): Promise<Row[]> {
    const rows: Row[] = [];
    for (let url: string | undefined = this.#url; url !== undefined;) {
      const response = await this.#invoke(url, cmdlet, parameters);
      this.#check(cmdlet, identity, response);
      const page = responseJson(response) as { value?: Row[]; "@odata.nextLink"?: string };
      rows.push(...(page.value ?? []));
      url = page["@odata.nextLink"] || undefined;
    }
    return rows;
  }

  /**
   * Runs a write cmdlet once: the pipeline's write gate paces it, and before any resend of an
   * attempt that may have landed it asks `landed` (a read of the mailbox), so nothing is written
   * twice. Refusals as in {@link read}. True when a retry found it already applied (`landed` read it).
   */
  async write(
    cmdlet: string,
    parameters: Record<string, unknown>,
    identity: string,
    landed: () => Promise<boolean>,
  ): Promise<boolean> {
    const response = await this.#invoke(this.#url, cmdlet, parameters, { landed });
    if (isVerifiedWrite(response)) return true;
    this.#check(cmdlet, identity, response);
    return false;
  }

  /** Throws the right error for a failed answer; returns for a 2xx one. */
  #check(cmdlet: string, identity: string, response: PipelineResponse): void {
    if (response.status >= 200 && response.status < 300) return;
    if (response.status === 401 || response.status === 403) throw accessDenied("exchange", response, this.#clientId);
    throw cmdletFailure(cmdlet, identity, response);
  }
}
