// Calls the Exchange Online admin API (`InvokeCommand`, the REST API under the
// ExchangeOnlineManagement module) with an app-only token, and turns its error bodies into
// ExchangeErrors with Exchange's own code and text.
import { randomUUID } from "node:crypto";
import type { TokenCredential } from "@azure/identity";
import { ExchangeError } from "../../exchange/exchange-error";
import { EXCEPTION_TYPES, type ExchangeErrorCode, type RecipientType } from "../../exchange/exchange-rules";
import type { ConcurrencyLimit } from "./concurrency-limit";
import { accessDenied, tokenFailure } from "./permissions";
import { sendWithRetries, type RetryOptions } from "./retry-policy";

export const EXCHANGE_SCOPE = "https://outlook.office365.com/.default";

/** Get-Mailbox / Get-Recipient fields this project reads. */
export interface ExchangeRecipient {
  readonly ExternalDirectoryObjectId: string;
  readonly DisplayName: string;
  readonly UserPrincipalName: string | null;
  readonly EmailAddresses: readonly string[];
  readonly RecipientTypeDetails: RecipientType;
  readonly IsDirSynced: boolean;
  readonly IsExchangeCloudManaged: boolean;
}

/** Maps the .NET exception type and text in an error body to our code. */
export function classifyCmdletError(exceptionType: string, text: string): ExchangeErrorCode | undefined {
  if (/out of the current user's write scope/i.test(text)) return "WriteScope";
  if (/Email Routing Address|MOERA/i.test(text)) return "MoeraRemoval";
  if (/primary SMTP address/i.test(text)) return "PrimaryAddressCount";
  if (/at most \d+/i.test(text)) return "TooManyAddresses";
  const match = (Object.entries(EXCEPTION_TYPES) as [ExchangeErrorCode, string][]).find(([, type]) => type === exceptionType);
  return match?.[0];
}

/** Reads `{"error":{"details":[{"message":"ExXXXX|Type|text"}]}}` into an ExchangeError. */
export function cmdletFailure(identity: string, body: unknown, status: number): Error {
  const error = (body as { error?: { message?: string; details?: { message?: string }[]; innererror?: { internalException?: { message?: string } } } })?.error;
  const detail = error?.details?.[0]?.message ?? error?.innererror?.internalException?.message ?? error?.message ?? `HTTP ${status}`;
  const [, exceptionType = "", text = detail] = detail.split("|");
  const code = classifyCmdletError(exceptionType, text) ?? (status === 404 ? "NotFound" : undefined);
  if (code === undefined) return new Error(`Exchange refused the request for "${identity}": ${text}`);
  const ownerName = code === "ProxyAddressExists" ? /of "([^"]+)"/.exec(text)?.[1] : undefined;
  const address = /"(?:smtp|SMTP):([^"]+)"/.exec(text)?.[1];
  return new ExchangeError(identity, [
    {
      code,
      message: text,
      ...(address ? { address } : {}),
      ...(ownerName ? { owner: { id: "", displayName: ownerName, type: "UserMailbox" as RecipientType } } : {}),
    },
  ]);
}

export class ExchangeAdminClient {
  readonly #url: string;
  readonly #tenantId: string;
  readonly #clientId: string;
  readonly #credential: TokenCredential;
  readonly #limit: ConcurrencyLimit;
  readonly #options: RetryOptions;

  constructor(baseUrl: string, tenantId: string, clientId: string, credential: TokenCredential, limit: ConcurrencyLimit, options: RetryOptions) {
    this.#url = `${baseUrl.replace(/\/$/, "")}/adminapi/beta/${tenantId}/InvokeCommand`;
    this.#tenantId = tenantId;
    this.#clientId = clientId;
    this.#credential = credential;
    this.#limit = limit;
    this.#options = options;
  }

  /** The InvokeCommand endpoint, for messages. */
  get url(): string {
    return this.#url;
  }

  async #headers(cmdlet: string): Promise<Record<string, string>> {
    let token: string;
    try {
      const result = await this.#credential.getToken(EXCHANGE_SCOPE);
      if (!result) throw new Error("no token returned");
      token = result.token;
    } catch (err) {
      throw tokenFailure("the Exchange Online admin API", err);
    }
    return {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      prefer: "odata.maxpagesize=1000",
      // The anchor mailbox app-only callers use (CIPP, the ExchangeOnlineManagement module).
      "x-anchormailbox": `APP:SystemMailbox{bb558c35-97f1-4cb9-8ff7-d53741dc928c}@${this.#tenantId}`,
      "x-cmdletname": cmdlet,
      "x-clientapplication": "mailbox-addresses",
      "client-request-id": randomUUID(),
    };
  }

  /** One attempt, no retry: for writes, whose retries must read first. */
  async invokeOnce(cmdlet: string, parameters: Record<string, unknown>, signal?: AbortSignal): Promise<Response> {
    const headers = await this.#headers(cmdlet);
    return this.#limit.run(() =>
      fetch(this.#url, { method: "POST", headers, body: JSON.stringify({ CmdletInput: { CmdletName: cmdlet, Parameters: parameters } }), signal: signal ?? AbortSignal.timeout(this.#options.timeoutMs) }),
    );
  }

  /**
   * Runs a read cmdlet with retries and returns its `value` rows (following @odata.nextLink).
   * A cmdlet error becomes an ExchangeError; 401/403 an AccessError saying what to grant.
   */
  async read(cmdlet: string, parameters: Record<string, unknown>, identity = String(parameters.Identity ?? "")): Promise<ExchangeRecipient[]> {
    const rows: ExchangeRecipient[] = [];
    let url = this.#url;
    for (;;) {
      const headers = await this.#headers(cmdlet);
      const target = url;
      const response = await sendWithRetries(
        `Exchange ${cmdlet}`,
        (signal) => this.#limit.run(() => fetch(target, { method: "POST", headers, body: JSON.stringify({ CmdletInput: { CmdletName: cmdlet, Parameters: parameters } }), signal })),
        this.#options,
        undefined,
        target,
      );
      const body = await this.json(response);
      this.check(identity, response.status, body);
      rows.push(...((body as { value?: ExchangeRecipient[] }).value ?? []));
      const next = (body as { "@odata.nextLink"?: string })["@odata.nextLink"];
      if (!next) return rows;
      url = next;
    }
  }

  async json(response: Response): Promise<unknown> {
    const text = await response.text();
    try {
      return text ? JSON.parse(text) : {};
    } catch {
      return text;
    }
  }

  /** Throws the right error for a failed answer; returns for a 2xx one. */
  check(identity: string, status: number, body: unknown): void {
    if (status >= 200 && status < 300) return;
    if (status === 401 || status === 403) throw accessDenied("exchange", status, body, this.#clientId);
    throw cmdletFailure(identity, body, status);
  }
}
