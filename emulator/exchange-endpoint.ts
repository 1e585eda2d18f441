// The Exchange Online admin API's InvokeCommand, for the cmdlets this project uses: Get-Mailbox,
// Set-Mailbox (EmailAddresses as a full list or an @{Add=...; Remove=...} hashtable,
// IsExchangeCloudManaged), Get-Recipient and Get-AcceptedDomain. Exchange's rules come from the
// tenant model; error bodies follow the shape captured from the real API
// (../shared/reference/exchange-online-addresses.md §2).
import { randomBytes } from "node:crypto";
import { parseProxyAddress } from "../core/address";
import { ExchangeError } from "../tenant/exchange-error";
import { EXCEPTION_TYPES, notFoundMessage } from "../tenant/exchange-rules";
import type { Recipient, Tenant } from "../tenant/tenant";
import type { Counters } from "./faults";

const MAILBOX_TYPES = new Set(["UserMailbox", "SharedMailbox", "RoomMailbox", "EquipmentMailbox"]);
const PAGE_SIZE = 1000;

export interface InvokeResult {
  readonly status: number;
  readonly body: unknown;
}

/** The error body the admin API returns when a cmdlet fails. */
export function cmdletError(status: number, exceptionType: string, text: string): InvokeResult {
  const code = `Ex${randomBytes(3).toString("hex").toUpperCase()}`;
  return {
    status,
    body: {
      error: {
        code: status === 404 ? "NotFound" : status === 400 ? "BadRequest" : "InternalServerError",
        message: "Error executing cmdlet",
        details: [{ code: "Client", target: "", message: `${code}|${exceptionType}|${text}` }],
        innererror: { message: "Error executing cmdlet", type: "Microsoft.Exchange.Admin.OData.Core.ODataServiceException" },
      },
    },
  };
}

function primaryOf(r: Recipient): string {
  return r.addresses.map(parseProxyAddress).find((p) => p.primary)?.value ?? "";
}

function mailboxView(r: Recipient): Record<string, unknown> {
  return {
    Identity: r.displayName,
    ExternalDirectoryObjectId: r.id,
    DisplayName: r.displayName,
    UserPrincipalName: r.upn ?? null,
    PrimarySmtpAddress: primaryOf(r),
    EmailAddresses: r.addresses,
    RecipientTypeDetails: r.type,
    IsDirSynced: r.synced,
    IsExchangeCloudManaged: r.cloudManaged,
  };
}

/** The addresses of `EmailAddresses -eq 'smtp:a@b' -or ...`, or undefined for any other filter. */
export function parseEmailAddressFilter(filter: string): string[] | undefined {
  const term = /^\s*\(?\s*EmailAddresses\s+-eq\s+'((?:[^']|'')*)'\s*\)?\s*(?:-or\s+|$)/i;
  const addresses: string[] = [];
  let rest = filter;
  while (rest.trim() !== "") {
    const match = term.exec(rest);
    if (!match) return undefined;
    addresses.push(match[1]!.replace(/''/g, "'").replace(/^smtp:/i, ""));
    rest = rest.slice(match[0].length);
  }
  return addresses.length > 0 ? addresses : undefined;
}

const asList = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : value === undefined || value === null ? [] : [String(value)]);

/**
 * `-EmailAddresses @{Add=...; Remove=...}` as the admin API carries it: a JSON object marked
 * `"@odata.type": "#Exchange.GenericHashTable"` (without the mark it is not a hashtable), keys
 * Add and Remove in any case (PowerShell hashtables ignore case), each a string or a list of
 * strings. Anything else is refused, as parameter binding refuses it.
 */
export function parseAddRemoveTable(table: Record<string, unknown>): { add: string[]; remove: string[] } | { error: string } {
  if (table["@odata.type"] !== "#Exchange.GenericHashTable") {
    return { error: 'A hashtable value needs "@odata.type": "#Exchange.GenericHashTable"; for a whole list, send an array of strings.' };
  }
  const lists: Record<"add" | "remove", string[]> = { add: [], remove: [] };
  for (const [key, value] of Object.entries(table)) {
    if (key === "@odata.type") continue;
    const name = key.toLowerCase();
    if (name !== "add" && name !== "remove") return { error: `The hashtable key '${key.slice(0, 40)}' is not valid; use Add and Remove.` };
    const values = Array.isArray(value) ? value : [value];
    if (!values.every((v) => typeof v === "string")) return { error: `The ${key} values must be strings (proxy addresses such as "smtp:name@domain").` };
    lists[name].push(...(values as string[]));
  }
  if (lists.add.length === 0 && lists.remove.length === 0) return { error: "The hashtable has neither Add nor Remove values." };
  return lists;
}

export class ExchangeEndpoint {
  readonly #tenant: Tenant;
  readonly #counters: Counters;
  readonly #baseUrl: () => string;
  readonly #tenantId: string;

  constructor(tenant: Tenant, counters: Counters, baseUrl: () => string, tenantId: string) {
    this.#tenant = tenant;
    this.#counters = counters;
    this.#baseUrl = baseUrl;
    this.#tenantId = tenantId;
  }

  #notFound(identity: string): InvokeResult {
    return cmdletError(404, EXCEPTION_TYPES.NotFound, notFoundMessage(identity, `${this.#tenant.info().name}.prod.outlook.com`));
  }

  /** Runs one InvokeCommand request body. `query` carries $skiptoken for paging. */
  invoke(body: unknown, query: URLSearchParams): InvokeResult {
    const input = (body as { CmdletInput?: { CmdletName?: unknown; Parameters?: Record<string, unknown> } })?.CmdletInput;
    const name = String(input?.CmdletName ?? "");
    const parameters = input?.Parameters ?? {};
    this.#counters.add(`exchange.${name || "(none)"}`);
    switch (name) {
      case "Get-Mailbox":
        return this.#getMailbox(parameters, query);
      case "Get-Recipient":
        return this.#getRecipient(parameters, query);
      case "Get-AcceptedDomain":
        return {
          status: 200,
          body: { value: this.#tenant.acceptedDomains().map((d, i) => ({ DomainName: d, Name: d, DomainType: "Authoritative", Default: i === 0 })) },
        };
      case "Set-Mailbox":
        return this.#setMailbox(parameters);
      default:
        return cmdletError(400, "System.Management.Automation.CommandNotFoundException", `The term '${name}' is not recognized as a name of a cmdlet the emulator serves (Get-Mailbox, Set-Mailbox, Get-Recipient, Get-AcceptedDomain).`);
    }
  }

  #getMailbox(parameters: Record<string, unknown>, query: URLSearchParams): InvokeResult {
    if (parameters.Identity !== undefined) {
      const identity = String(parameters.Identity);
      const found = this.#tenant.find(identity);
      if (found === undefined || !MAILBOX_TYPES.has(found.type)) return this.#notFound(identity);
      return { status: 200, body: { value: [mailboxView(found)] } };
    }
    // -RecipientTypeDetails narrows the listing (a list, or one comma-separated string).
    const types = parameters.RecipientTypeDetails === undefined ? undefined : new Set(asList(parameters.RecipientTypeDetails).flatMap((t) => t.split(",")).map((t) => t.trim()));
    const page = this.#tenant.list({ after: query.get("$skiptoken") ?? undefined, limit: PAGE_SIZE + 1, usersOnly: true });
    const mailboxes = page.slice(0, PAGE_SIZE);
    const next = page.length > PAGE_SIZE ? `${this.#baseUrl()}/adminapi/beta/${this.#tenantId}/InvokeCommand?$skiptoken=${mailboxes[mailboxes.length - 1]!.id}` : undefined;
    return {
      status: 200,
      body: { value: mailboxes.filter((r) => MAILBOX_TYPES.has(r.type) && (types === undefined || types.has(r.type))).map(mailboxView), ...(next ? { "@odata.nextLink": next } : {}) },
    };
  }

  /** -Identity, -Filter on EmailAddresses (terms joined by -or), or every recipient, paged. */
  #getRecipient(parameters: Record<string, unknown>, query: URLSearchParams): InvokeResult {
    if (parameters.Filter !== undefined) {
      const addresses = parseEmailAddressFilter(String(parameters.Filter));
      if (addresses === undefined) {
        return cmdletError(400, "Microsoft.Exchange.Management.Tasks.InvalidFilterException", `The emulator understands only filters of the form "EmailAddresses -eq 'smtp:a@b' -or ...": ${String(parameters.Filter)}`);
      }
      const found = new Map<string, Recipient>();
      for (const address of addresses) {
        const owner = this.#tenant.ownerOf(address);
        const recipient = owner && this.#tenant.find(owner.id);
        if (recipient) found.set(recipient.id, recipient);
      }
      return { status: 200, body: { value: [...found.values()].map(mailboxView) } };
    }
    if (parameters.Identity === undefined) {
      const page = this.#tenant.list({ after: query.get("$skiptoken") ?? undefined, limit: PAGE_SIZE + 1 });
      const recipients = page.slice(0, PAGE_SIZE);
      const next = page.length > PAGE_SIZE ? `${this.#baseUrl()}/adminapi/beta/${this.#tenantId}/InvokeCommand?$skiptoken=${recipients[recipients.length - 1]!.id}` : undefined;
      return { status: 200, body: { value: recipients.map(mailboxView), ...(next ? { "@odata.nextLink": next } : {}) } };
    }
    const identity = String(parameters.Identity);
    const found = this.#tenant.find(identity);
    if (found === undefined) return this.#notFound(identity);
    return { status: 200, body: { value: [mailboxView(found)] } };
  }

  #setMailbox(parameters: Record<string, unknown>): InvokeResult {
    const identity = String(parameters.Identity ?? "");
    const found = this.#tenant.find(identity);
    if (found === undefined || !MAILBOX_TYPES.has(found.type)) return this.#notFound(identity);
    try {
      if (parameters.IsExchangeCloudManaged !== undefined) this.#tenant.setCloudManaged(identity, parameters.IsExchangeCloudManaged === true);
      const addresses = parameters.EmailAddresses;
      if (Array.isArray(addresses)) {
        this.#tenant.setEmailAddresses(identity, addresses.map(String));
      } else if (addresses !== undefined && addresses !== null && typeof addresses === "object") {
        const table = parseAddRemoveTable(addresses as Record<string, unknown>);
        if ("error" in table) return cmdletError(400, "System.Management.Automation.ParameterBindingException", `Cannot bind parameter 'EmailAddresses'. ${table.error}`);
        this.#tenant.addRemoveEmailAddresses(identity, table.add, table.remove);
      }
      this.#counters.add("exchange.Set-Mailbox.applied");
      return { status: 200, body: { value: [] } };
    } catch (err) {
      if (!ExchangeError.isInstance(err)) throw err;
      return cmdletError(err.code === "NotFound" ? 404 : 400, EXCEPTION_TYPES[err.code], err.violations.map((v) => v.message).join(" "));
    }
  }
}
