// The Exchange Online admin API's InvokeCommand, for the cmdlets this project uses: Get-Mailbox,
// Set-Mailbox (EmailAddresses as a full list or an @{Add=...; Remove=...} hashtable,
// IsExchangeCloudManaged), Get-Recipient and Get-AcceptedDomain. Exchange's rules come from the
// tenant model; parameters are bound as PowerShell binds them (./cmdlet-parameters.ts). Answers
// follow a captured real exchange: the OData envelope (@odata.context, @adminapi.warnings),
// type annotations, Identity as the alias, paging by Prefer: odata.maxpagesize and ResultSize,
// and error bodies whose Ex… code is stable per kind of error
// (../shared/reference/exchange-online-addresses.md §2; the captured Get-Mailbox of May 2024).
import { createHash } from "node:crypto";
import { parseProxyAddress } from "../core/address";
import { ExchangeError } from "../exchange/exchange-error";
import { EXCEPTION_TYPES, notFoundMessage } from "../exchange/exchange-rules";
import type { Recipient, Tenant } from "../tenant/tenant";
import { bindParameters } from "./cmdlet-parameters";
import type { Counters } from "./faults";

const MAILBOX_TYPES = new Set(["UserMailbox", "SharedMailbox", "RoomMailbox", "EquipmentMailbox"]);
const PAGE_SIZE = 1000;

export interface InvokeResult {
  readonly status: number;
  readonly body: unknown;
}

/** The Ex… code of an exception type: fixed per kind, as the real service's are (NotFound: captured). */
export function exchangeErrorCode(exceptionType: string): string {
  if (exceptionType === EXCEPTION_TYPES.NotFound) return "Ex6F9304";
  return `Ex${createHash("sha1").update(exceptionType).digest("hex").slice(0, 6).toUpperCase()}`;
}

/** The warnings annotation every admin API answer carries. */
const warningsOf = (warnings: readonly string[]) => ({ "adminapi.warnings@odata.type": "#Collection(String)", "@adminapi.warnings": warnings });

/** The error body the admin API returns when a cmdlet fails. */
export function cmdletError(status: number, exceptionType: string, text: string): InvokeResult {
  return {
    status,
    body: {
      error: {
        code: status === 404 ? "NotFound" : status === 400 ? "BadRequest" : status === 401 ? "Unauthorized" : "InternalServerError",
        message: "Error executing cmdlet",
        details: [{ code: "Client", target: "", message: `${exchangeErrorCode(exceptionType)}|${exceptionType}|${text}` }],
        innererror: { message: "Error executing cmdlet", type: "Microsoft.Exchange.Admin.OData.Core.ODataServiceException" },
      },
      ...warningsOf([]),
    },
  };
}

/** Canonical names of the cmdlets served; Exchange matches cmdlet names case-insensitively. */
const CMDLETS = new Map(["Get-Mailbox", "Set-Mailbox", "Get-Recipient", "Get-AcceptedDomain"].map((c) => [c.toLowerCase(), c]));

/** What the request says besides its body: $select, the page size asked for, where a page starts. */
export interface InvokeOptions {
  readonly select?: readonly string[];
  readonly maxPageSize?: number;
  readonly skipToken?: string;
  /** The tenant as the request's URL names it (its id or domain), for @odata.context and nextLink. */
  readonly tenantInUrl: string;
}

/** Get-Mailbox's default ResultSize, and its warning when more results exist (Get-Mailbox docs). */
const DEFAULT_RESULT_SIZE = 1000;
const RESULT_SIZE_WARNING =
  'By default only the first 1000 items are returned. Use the ResultSize parameter to specify the number of items returned. To return all items specify "-ResultSize Unlimited".';

function primaryOf(r: Recipient): string {
  return r.addresses.map(parseProxyAddress).find((p) => p.primary)?.value ?? "";
}

/** The Exchange alias: the MOERA's local part, else the UPN's, else the primary's. */
export function aliasOf(r: Recipient): string {
  const smtp = r.addresses.map(parseProxyAddress).filter((p) => p.kind === "smtp");
  const moera = smtp.find((p) => /\.onmicrosoft\.com$/i.test(p.value) && !/\.mail\.onmicrosoft\.com$/i.test(p.value));
  const from = moera?.value ?? r.upn ?? primaryOf(r);
  return from.split("@")[0] || r.id;
}

/** Exchange's own object GUID (not the Entra object id): derived, so it is stable. */
export function exchangeGuidOf(r: Recipient): string {
  const h = createHash("sha1").update(`exchange:${r.id}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function distinguishedNameOf(r: Recipient, organization: string): string {
  return `CN=${aliasOf(r)},OU=${organization},OU=Microsoft Exchange Hosted Organizations,DC=EMULATOR01A001,DC=PROD,DC=OUTLOOK,DC=COM`;
}

const RECIPIENT_TYPE: Record<string, string> = {
  UserMailbox: "UserMailbox",
  SharedMailbox: "UserMailbox",
  RoomMailbox: "UserMailbox",
  EquipmentMailbox: "UserMailbox",
  Group: "MailUniversalDistributionGroup",
  MailContact: "MailContact",
  MailUser: "MailUser",
};

/** A recipient as Get-Mailbox/Get-Recipient show it, with the captured type annotations. */
function mailboxView(r: Recipient, organization: string): Record<string, unknown> {
  const alias = aliasOf(r);
  return {
    "EmailAddresses@odata.type": "#Collection(String)",
    EmailAddresses: r.addresses,
    DisplayName: r.displayName,
    Alias: alias,
    ExternalDirectoryObjectId: r.id,
    UserPrincipalName: r.upn ?? null,
    PrimarySmtpAddress: primaryOf(r),
    WindowsEmailAddress: primaryOf(r),
    RecipientType: RECIPIENT_TYPE[r.type] ?? r.type,
    RecipientTypeDetails: r.type,
    IsDirSynced: r.synced,
    IsExchangeCloudManaged: r.cloudManaged,
    Identity: alias,
    Id: alias,
    Name: alias,
    DistinguishedName: distinguishedNameOf(r, organization),
    "ExchangeObjectId@data.type": "System.Guid",
    "ExchangeObjectId@odata.type": "#Guid",
    ExchangeObjectId: exchangeGuidOf(r),
    "Guid@data.type": "System.Guid",
    "Guid@odata.type": "#Guid",
    Guid: exchangeGuidOf(r),
    OrganizationalUnitRoot: organization,
  };
}

/** Keeps the `$select`ed properties and their annotations. */
function selectProperties(row: Record<string, unknown>, select: readonly string[] | undefined): Record<string, unknown> {
  if (select === undefined || select.length === 0) return row;
  const wanted = new Set(select.map((s) => s.toLowerCase()));
  return Object.fromEntries(Object.entries(row).filter(([k]) => wanted.has(k.split("@")[0]!.toLowerCase())));
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

  get #organization(): string {
    return `${this.#tenant.info().name}.onmicrosoft.com`;
  }

  #notFound(identity: string): InvokeResult {
    return cmdletError(404, EXCEPTION_TYPES.NotFound, notFoundMessage(identity, `${this.#tenant.info().name}.prod.outlook.com`));
  }

  /**
   * The recipient an -Identity names, resolved as Exchange resolves it: Entra object id, Exchange
   * GUID, user principal name, any SMTP address (with or without its prefix), alias, or
   * distinguished name.
   */
  resolve(identity: string): Recipient | undefined {
    const text = identity.trim();
    const direct = this.#tenant.find(text) ?? this.#tenant.find(text.replace(/^smtp:/i, ""));
    if (direct !== undefined) return direct;
    const cn = /^CN=([^,]+),OU=([^,]+),/i.exec(text);
    if (cn && cn[2]!.toLowerCase() !== this.#organization.toLowerCase()) return undefined;
    const wanted = (cn ? cn[1]! : text).toLowerCase();
    return this.#tenant.list({}).find((r) => aliasOf(r).toLowerCase() === wanted || exchangeGuidOf(r) === wanted);
  }

  #envelope(value: readonly Record<string, unknown>[], options: InvokeOptions, warnings: readonly string[] = [], next?: string): InvokeResult {
    return {
      status: 200,
      body: {
        "@odata.context": `${this.#baseUrl()}/adminapi/beta/${options.tenantInUrl}/$metadata#Collection(Exchange.GenericHashTable)`,
        ...warningsOf(warnings),
        value: value.map((row) => selectProperties(row, options.select)),
        ...(next ? { "@odata.nextLink": next } : {}),
      },
    };
  }

  /**
   * One page of a listing: at most the page size asked for (Prefer: odata.maxpagesize, 1,000 at
   * most) and no more than ResultSize in all (1,000 by default, with Exchange's warning when
   * more exist). The nextLink carries where the page ended and how many were returned.
   */
  #page(all: (after: string | undefined, limit: number) => Recipient[], parameters: Record<string, unknown>, options: InvokeOptions): InvokeResult {
    const resultSize = parameters.ResultSize === undefined ? DEFAULT_RESULT_SIZE : String(parameters.ResultSize).toLowerCase() === "unlimited" ? Infinity : Number(parameters.ResultSize);
    if (!Number.isFinite(resultSize) && resultSize !== Infinity) {
      return cmdletError(400, "System.Management.Automation.ParameterBindingException", `Cannot process argument transformation on parameter 'ResultSize'. Cannot convert value "${String(parameters.ResultSize)}" to type "Microsoft.Exchange.Data.Unlimited\`1[System.UInt32]".`);
    }
    const state = (() => {
      try {
        return options.skipToken ? (JSON.parse(Buffer.from(options.skipToken, "base64url").toString("utf8")) as { after: string; served: number }) : { after: undefined, served: 0 };
      } catch {
        return undefined;
      }
    })();
    if (state === undefined) return cmdletError(400, "Microsoft.Exchange.Admin.OData.Core.ODataServiceException", "The $skiptoken is not valid.");
    const pageSize = Math.min(1000, Math.max(1, options.maxPageSize ?? 1000));
    const room = Math.min(pageSize, resultSize - state.served);
    const rows = room > 0 ? all(state.after, room + 1) : [];
    const page = rows.slice(0, room);
    const served = state.served + page.length;
    const more = rows.length > room;
    const warnings = more && served >= resultSize && parameters.ResultSize === undefined ? [RESULT_SIZE_WARNING] : [];
    const next =
      more && served < resultSize
        ? `${this.#baseUrl()}/adminapi/beta/${options.tenantInUrl}/InvokeCommand?$skiptoken=${Buffer.from(JSON.stringify({ after: page[page.length - 1]!.id, served })).toString("base64url")}`
        : undefined;
    return this.#envelope(page.map((r) => mailboxView(r, this.#organization)), options, warnings, next);
  }

  /** Runs one InvokeCommand request body. */
  invoke(body: unknown, options: InvokeOptions): InvokeResult {
    const input = (body as { CmdletInput?: { CmdletName?: unknown; Parameters?: unknown } })?.CmdletInput;
    if (typeof input !== "object" || input === null || typeof input.CmdletName !== "string") {
      return cmdletError(400, "Microsoft.Exchange.Admin.OData.Core.ODataServiceException", 'The request body must be {"CmdletInput":{"CmdletName":"…","Parameters":{…}}}.');
    }
    const name = CMDLETS.get(input.CmdletName.toLowerCase());
    this.#counters.add(`exchange.${name ?? (input.CmdletName || "(none)")}`);
    if (name === undefined) {
      return cmdletError(400, "System.Management.Automation.CommandNotFoundException", `The term '${input.CmdletName}' is not recognized as a name of a cmdlet the emulator serves (Get-Mailbox, Set-Mailbox, Get-Recipient, Get-AcceptedDomain).`);
    }
    const bound = bindParameters(name, input.Parameters);
    if (!bound.ok) return cmdletError(400, bound.refusal.exceptionType, bound.refusal.message);
    const parameters = bound.parameters;
    switch (name) {
      case "Get-Mailbox":
        return this.#getMailbox(parameters, options);
      case "Get-Recipient":
        return this.#getRecipient(parameters, options);
      case "Get-AcceptedDomain":
        return this.#envelope(
          this.#tenant.acceptedDomains().map((d, i) => ({ DomainName: d, Name: d, Identity: d, DomainType: "Authoritative", Default: i === 0 })),
          options,
        );
      default: {
        // Set-Mailbox resolves -Identity like Get-Mailbox (alias, DN, GUID too): pass the object id on.
        const identity = parameters.Identity;
        const resolved = typeof identity === "string" && this.#tenant.find(identity) === undefined ? this.resolve(identity) : undefined;
        const result = this.#setMailbox(resolved ? { ...parameters, Identity: resolved.id } : parameters);
        return result.status === 200 ? this.#envelope([], options) : result;
      }
    }
  }

  #getMailbox(parameters: Record<string, unknown>, options: InvokeOptions): InvokeResult {
    if (parameters.Identity !== undefined) {
      const identity = String(parameters.Identity);
      const found = this.resolve(identity);
      if (found === undefined || !MAILBOX_TYPES.has(found.type)) return this.#notFound(identity);
      return this.#envelope([mailboxView(found, this.#organization)], options);
    }
    // -RecipientTypeDetails narrows the listing (a list, or one comma-separated string).
    const types = parameters.RecipientTypeDetails === undefined ? undefined : new Set(asList(parameters.RecipientTypeDetails).flatMap((t) => t.split(",")).map((t) => t.trim().toLowerCase()));
    const wanted = (r: Recipient) => MAILBOX_TYPES.has(r.type) && (types === undefined || types.has(r.type.toLowerCase()));
    return this.#page((after, limit) => this.#filtered(wanted, after, limit), parameters, options);
  }

  /** Up to `limit` recipients after `after` that pass `keep`, in id order. */
  #filtered(keep: (r: Recipient) => boolean, after: string | undefined, limit: number): Recipient[] {
    const out: Recipient[] = [];
    let cursor = after;
    for (;;) {
      const chunk = this.#tenant.list({ after: cursor, limit: 1000 });
      for (const r of chunk) {
        if (keep(r)) out.push(r);
        if (out.length >= limit) return out;
      }
      if (chunk.length < 1000) return out;
      cursor = chunk[chunk.length - 1]!.id;
    }
  }

  /** -Identity, -Filter on EmailAddresses (terms joined by -or), or every recipient, paged. */
  #getRecipient(parameters: Record<string, unknown>, options: InvokeOptions): InvokeResult {
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
      return this.#envelope([...found.values()].map((r) => mailboxView(r, this.#organization)), options);
    }
    if (parameters.Identity === undefined) return this.#page((after, limit) => this.#tenant.list({ after, limit }), parameters, options);
    const identity = String(parameters.Identity);
    const found = this.resolve(identity);
    if (found === undefined) return this.#notFound(identity);
    return this.#envelope([mailboxView(found, this.#organization)], options);
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
