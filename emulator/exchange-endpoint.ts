// The Exchange Online admin API's InvokeCommand, for the cmdlets this project uses: Get- and Set-
// for each kind of recipient that has addresses (Get-/Set-Mailbox, -DistributionGroup,
// -UnifiedGroup, -DynamicDistributionGroup, -MailUser, -MailContact: EmailAddresses as a full list
// or an @{Add=...; Remove=...} hashtable, -PrimarySmtpAddress, -WindowsEmailAddress,
// -ExternalEmailAddress, -IsExchangeCloudManaged), Get-Recipient (every kind, with its
// RecipientTypeDetails) and Get-AcceptedDomain. Which cmdlet serves which kind, and each kind's
// rules, come from ../exchange/exchange-rules.ts through the tenant model; parameters are bound as
// PowerShell binds them (./cmdlet-parameters.ts). Answers follow a captured real exchange: the
// OData envelope (@odata.context, @adminapi.warnings), type annotations, Identity as the alias,
// paging by Prefer: odata.maxpagesize and ResultSize, and error bodies whose Ex… code is stable per
// kind of error (docs/reference/exchange-online-addresses.md §2; the captured Get-Mailbox of
// May 2024; docs/RECIPIENT-KINDS.md for the other kinds).
import { createHash } from "node:crypto";
import { parseProxyAddress } from "../core/address";
import { ExchangeError } from "../exchange/exchange-error";
import {
  applyAddRemove,
  applyPrimarySmtpAddress,
  EXCEPTION_TYPES,
  EXCHANGE_RECIPIENT_TYPE_DETAILS,
  notFoundMessage,
  RECIPIENT_KINDS,
  ALL_RECIPIENT_KINDS,
  parseRecipientKind,
  type RecipientKind,
} from "../exchange/exchange-rules";
import { aliasOf, type DirectoryHolder, type Recipient, type Tenant } from "../tenant/tenant";
import { bindParameters } from "./cmdlet-parameters";
import type { Counters } from "./faults";

/** The kinds each Get-/Set- cmdlet reads and writes (each cmdlet's page; docs/RECIPIENT-KINDS.md). */
export const CMDLET_KINDS: Readonly<Record<string, readonly RecipientKind[]>> = (() => {
  const out: Record<string, RecipientKind[]> = {};
  for (const row of Object.values(RECIPIENT_KINDS)) {
    (out[row.getCmdlet] ??= []).push(row.kind);
    (out[row.setCmdlet] ??= []).push(row.kind);
  }
  return out;
})();

/** Every kind but Microsoft 365 groups: what Get-Recipient returns unless asked for GroupMailbox (Get-Recipient docs). */
const KINDS_BUT_GROUP_MAILBOXES: readonly RecipientKind[] = ALL_RECIPIENT_KINDS.filter((t) => t !== "GroupMailbox");

/** Every RecipientTypeDetails value Get-Recipient's page lists: valid, even where the tenant holds none. */
const KNOWN_RECIPIENT_TYPE_DETAILS = new Set(EXCHANGE_RECIPIENT_TYPE_DETAILS.map((t) => t.toLowerCase()));

/** Exception types of a cmdlet's own refusals (not rule violations); not documented: see docs/RECIPIENT-KINDS.md. */
const TASK_ARGUMENT = "Microsoft.Exchange.Configuration.Tasks.TaskArgumentException";
const TASK_OPERATION = "Microsoft.Exchange.Configuration.Tasks.TaskException";

/** True for a cmdlet that writes (every Set- cmdlet served): fault injection and counters use it. */
export function isWriteCmdlet(name: string): boolean {
  return /^set-/i.test(name.trim()) && CMDLET_KINDS[canonicalCmdlet(name) ?? ""] !== undefined;
}

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
const warningsOf = (warnings: readonly string[]) => ({
  "adminapi.warnings@odata.type": "#Collection(String)",
  "@adminapi.warnings": warnings,
});

/**
 * The error detail's `code`: "Client" on the captured not-found answers (the module's error body,
 * docs/reference/exchange-online-addresses.md §2, and a Remove-Mailbox proxy error quoting one),
 * "Context" on the captured 400 refusal (a public admin API client's fixture of an
 * ADObjectAlreadyExistsException). Which code other refusals carry is not captured: 400s follow
 * the 400 capture.
 */
export const detailCodeOf = (status: number) => (status === 404 ? "Client" : "Context");

/** The error body the admin API returns when a cmdlet fails. */
export function cmdletError(status: number, exceptionType: string, text: string): InvokeResult {
  return {
    status,
    body: {
      error: {
        code:
          status === 404
            ? "NotFound"
            : status === 400
              ? "BadRequest"
              : status === 401
                ? "Unauthorized"
                : "InternalServerError",
        message: "Error executing cmdlet",
        details: [
          {
            code: detailCodeOf(status),
            target: "",
            message: `${exchangeErrorCode(exceptionType)}|${exceptionType}|${text}`,
          },
        ],
        innererror: {
          message: "Error executing cmdlet",
          type: "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
        },
      },
      ...warningsOf([]),
    },
  };
}

/** Canonical names of the cmdlets served; Exchange matches cmdlet names case-insensitively. */
const CMDLETS = new Map(
  [
    "Get-Recipient",
    "Get-AcceptedDomain",
    ...Object.values(RECIPIENT_KINDS).flatMap((k) => [k.getCmdlet, k.setCmdlet]),
  ].map((c) => [c.toLowerCase(), c]),
);

/** A cmdlet name as served (its canonical spelling), or undefined. */
export function canonicalCmdlet(name: string): string | undefined {
  return CMDLETS.get(name.trim().toLowerCase());
}

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

/** The Exchange alias (tenant/tenant.ts). */
export { aliasOf };

/** A GUID derived from a name, so it is stable across starts. */
function derivedGuid(name: string): string {
  const h = createHash("sha1").update(name).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const NO_GUID = "00000000-0000-0000-0000-000000000000";

/**
 * A recipient's three Exchange GUIDs, each its own as on the captured Get-Mailbox (May 2024):
 * `Guid` (the directory object), `ExchangeObjectId`, and for a mailbox `ExchangeGuid` (the
 * mailbox itself, also in MailboxLocations); none is the Entra object id. Recipients without a
 * mailbox carry the empty GUID as ExchangeGuid (inferred: a mail user's or group's ExchangeGuid
 * is not in the capture).
 */
export function exchangeGuidsOf(
  id: string,
  hasMailbox: boolean,
): { guid: string; exchangeObjectId: string; exchangeGuid: string } {
  return {
    guid: derivedGuid(`exchange:${id}`),
    exchangeObjectId: derivedGuid(`exchange-object:${id}`),
    exchangeGuid: hasMailbox ? derivedGuid(`exchange-mailbox:${id}`) : NO_GUID,
  };
}

/** Kinds that have a mailbox of their own (an ExchangeGuid): Get-Mailbox's kinds and Microsoft 365 groups. */
const MAILBOX_KINDS: ReadonlySet<RecipientKind> = new Set([
  "UserMailbox",
  "SharedMailbox",
  "RoomMailbox",
  "EquipmentMailbox",
  "GroupMailbox",
]);

/** The GUIDs -Identity may name a recipient by: Guid, ExchangeObjectId and (a mailbox's) ExchangeGuid. */
function guidsOf(r: Recipient): string[] {
  const ids = exchangeGuidsOf(r.id, MAILBOX_KINDS.has(r.kind));
  return [ids.guid, ids.exchangeObjectId, ...(ids.exchangeGuid === NO_GUID ? [] : [ids.exchangeGuid])];
}

/**
 * EmailAddresses as Exchange lists them: the captured Get-Mailbox shows the primary (SMTP:) last,
 * after the other entries ("smtp:…", "SPO:…", "SIP:…", then "SMTP:…"). The others keep the
 * order they were written in (their order in the capture follows no rule we can see).
 */
export function listedOrder(addresses: readonly string[]): string[] {
  const primary = addresses.filter((e) => parseProxyAddress(e).primary);
  return [...addresses.filter((e) => !parseProxyAddress(e).primary), ...primary];
}

/**
 * A whole EmailAddresses list as Set-<kind> takes it (Set-Mailbox docs, -EmailAddresses): an
 * entry without a type is an SMTP address ("If you don't include a Type value for an email
 * address, the address is assumed to be an SMTP email address"), and without an SMTP: entry
 * "the first email address when you don't use any Type values, or when you use multiple
 * lowercase smtp Type values" is the primary.
 */
export function typedAddressList(entries: readonly string[]): string[] {
  const typed = entries.map((e) => {
    const parsed = parseProxyAddress(e);
    return parsed.kind === "smtp" && !e.toLowerCase().startsWith("smtp:") ? `smtp:${e}` : e;
  });
  if (typed.some((e) => parseProxyAddress(e).primary)) return typed;
  const first = typed.findIndex((e) => parseProxyAddress(e).kind === "smtp");
  if (first >= 0) typed[first] = `SMTP:${parseProxyAddress(typed[first]!).value}`;
  return typed;
}

function distinguishedNameOf(r: Recipient, organization: string): string {
  return `CN=${aliasOf(r)},OU=${organization},OU=Microsoft Exchange Hosted Organizations,DC=EMULATOR01A001,DC=PROD,DC=OUTLOOK,DC=COM`;
}

/** A recipient as the Get- cmdlets and Get-Recipient show it, with the captured type annotations. */
function recipientView(r: Recipient, organization: string): Record<string, unknown> {
  const alias = aliasOf(r);
  const kind = RECIPIENT_KINDS[r.kind];
  const guids = exchangeGuidsOf(r.id, MAILBOX_KINDS.has(r.kind));
  return {
    "EmailAddresses@odata.type": "#Collection(String)",
    EmailAddresses: listedOrder(r.addresses),
    DisplayName: r.displayName,
    Alias: alias,
    ExternalDirectoryObjectId: r.id,
    UserPrincipalName: r.upn ?? null,
    PrimarySmtpAddress: primaryOf(r),
    WindowsEmailAddress: primaryOf(r),
    RecipientType: kind?.recipientType ?? r.kind,
    RecipientTypeDetails: r.kind,
    // Distribution and mail-enabled security groups (Get-DistributionGroup's GroupType).
    ...(r.kind === "MailUniversalDistributionGroup" || r.kind === "MailUniversalSecurityGroup"
      ? { GroupType: r.kind === "MailUniversalSecurityGroup" ? "Universal, SecurityEnabled" : "Universal" }
      : {}),
    // Mail users and mail contacts: where mail goes, as a ProxyAddress ("SMTP:…"); not an EmailAddresses entry of its own.
    ...(kind?.external
      ? { ExternalEmailAddress: r.externalEmailAddress ? `SMTP:${r.externalEmailAddress}` : null }
      : {}),
    IsDirSynced: r.synced,
    IsExchangeCloudManaged: r.cloudManaged,
    Identity: alias,
    Id: alias,
    Name: alias,
    DistinguishedName: distinguishedNameOf(r, organization),
    ...guidProperties(guids),
    OrganizationalUnitRoot: organization,
  };
}

/** The GUID properties with the captured type annotations. */
function guidProperties(guids: {
  guid: string;
  exchangeObjectId: string;
  exchangeGuid: string;
}): Record<string, unknown> {
  return {
    "ExchangeGuid@data.type": "System.Guid",
    "ExchangeGuid@odata.type": "#Guid",
    ExchangeGuid: guids.exchangeGuid,
    "ExchangeObjectId@data.type": "System.Guid",
    "ExchangeObjectId@odata.type": "#Guid",
    ExchangeObjectId: guids.exchangeObjectId,
    "Guid@data.type": "System.Guid",
    "Guid@odata.type": "#Guid",
    Guid: guids.guid,
  };
}

/**
 * A mail-enabled public folder as Get-Recipient shows it (RecipientTypeDetails PublicFolder; it
 * has no Entra object, so no ExternalDirectoryObjectId), or a soft-deleted mailbox as Get-Mailbox
 * -SoftDeletedMailbox shows it (WhenSoftDeleted, IsSoftDeletedByRemove).
 */
function holderView(h: DirectoryHolder, organization: string): Record<string, unknown> {
  const alias = (h.upn ?? h.addresses.map(parseProxyAddress).find((p) => p.primary)?.value ?? h.id).split("@")[0]!;
  const primary = h.addresses.map(parseProxyAddress).find((p) => p.primary)?.value ?? "";
  const deleted = h.kind === "SoftDeletedMailbox";
  return {
    "EmailAddresses@odata.type": "#Collection(String)",
    EmailAddresses: listedOrder(h.addresses),
    DisplayName: h.displayName,
    Alias: alias,
    ExternalDirectoryObjectId: deleted ? h.id : null,
    UserPrincipalName: h.upn ?? null,
    PrimarySmtpAddress: primary,
    WindowsEmailAddress: primary,
    RecipientType: deleted ? "UserMailbox" : "PublicFolder",
    RecipientTypeDetails: deleted ? "UserMailbox" : "PublicFolder",
    ...(deleted
      ? { "WhenSoftDeleted@odata.type": "#DateTimeOffset", WhenSoftDeleted: h.deletedAt, IsSoftDeletedByRemove: true }
      : {}),
    IsDirSynced: h.synced,
    Identity: deleted ? `Soft Deleted Objects\\${alias}` : alias,
    Id: alias,
    Name: alias,
    DistinguishedName: `CN=${alias},OU=${deleted ? "Soft Deleted Objects," : ""}OU=${organization},OU=Microsoft Exchange Hosted Organizations,DC=EMULATOR01A001,DC=PROD,DC=OUTLOOK,DC=COM`,
    ...guidProperties(exchangeGuidsOf(h.id, deleted)),
    OrganizationalUnitRoot: organization,
  };
}

/** A row of a listing, with the id it is ordered and paged by. */
interface ListedRow {
  readonly id: string;
  readonly row: Record<string, unknown>;
}

/** Keeps the `$select`ed properties and their annotations. */
function selectProperties(
  row: Record<string, unknown>,
  select: readonly string[] | undefined,
): Record<string, unknown> {
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

const asList = (value: unknown): string[] =>
  Array.isArray(value) ? value.map(String) : value === undefined || value === null ? [] : [String(value)];

/**
 * `-EmailAddresses @{Add=...; Remove=...}` as the admin API carries it: a JSON object marked
 * `"@odata.type": "#Exchange.GenericHashTable"` (without the mark it is not a hashtable), keys
 * Add and Remove in any case (PowerShell hashtables ignore case), each a string or a list of
 * strings. Anything else is refused, as parameter binding refuses it.
 */
export function parseAddRemoveTable(
  table: Record<string, unknown>,
): { add: string[]; remove: string[] } | { error: string } {
  if (table["@odata.type"] !== "#Exchange.GenericHashTable") {
    return {
      error:
        'A hashtable value needs "@odata.type": "#Exchange.GenericHashTable"; for a whole list, send an array of strings.',
    };
  }
  const lists: Record<"add" | "remove", string[]> = { add: [], remove: [] };
  for (const [key, value] of Object.entries(table)) {
    if (key === "@odata.type") continue;
    const name = key.toLowerCase();
    if (name !== "add" && name !== "remove")
      return { error: `The hashtable key '${key.slice(0, 40)}' is not valid; use Add and Remove.` };
    const values = Array.isArray(value) ? value : [value];
    if (!values.every((v) => typeof v === "string"))
      return { error: `The ${key} values must be strings (proxy addresses such as "smtp:name@domain").` };
    lists[name].push(...(values as string[]));
  }
  if (lists.add.length === 0 && lists.remove.length === 0)
    return { error: "The hashtable has neither Add nor Remove values." };
  return lists;
}

export class ExchangeEndpoint {
  readonly #tenant: Tenant;
  readonly #counters: Counters;
  readonly #baseUrl: () => string;
  /** How reads see recipients: fresh, or behind a recent write (a replica; ./propagation.ts). */
  readonly #reads: { asRead(r: Recipient): Recipient } | undefined;

  constructor(tenant: Tenant, counters: Counters, baseUrl: () => string, reads?: { asRead(r: Recipient): Recipient }) {
    this.#tenant = tenant;
    this.#counters = counters;
    this.#baseUrl = baseUrl;
    this.#reads = reads;
  }

  /** A recipient as a Get- cmdlet shows it. */
  #view(r: Recipient): Record<string, unknown> {
    return recipientView(this.#reads ? this.#reads.asRead(r) : r, this.#organization);
  }

  get #organization(): string {
    return `${this.#tenant.info().name}.onmicrosoft.com`;
  }

  #notFound(identity: string): InvokeResult {
    return cmdletError(
      404,
      EXCEPTION_TYPES.NotFound,
      notFoundMessage(identity, `${this.#tenant.info().name}.prod.outlook.com`),
    );
  }

  /**
   * The recipient an -Identity names, resolved as Exchange resolves it: Entra object id, an
   * Exchange GUID (Guid, ExchangeObjectId, a mailbox's ExchangeGuid), user principal name, any
   * SMTP address (with or without its prefix), alias, or distinguished name.
   */
  resolve(identity: string): Recipient | undefined {
    const text = identity.trim();
    const direct = this.#tenant.find(text) ?? this.#tenant.find(text.replace(/^smtp:/i, ""));
    if (direct !== undefined) return direct;
    const cn = /^CN=([^,]+),OU=([^,]+),/i.exec(text);
    if (cn && cn[2]!.toLowerCase() !== this.#organization.toLowerCase()) return undefined;
    const wanted = (cn ? cn[1]! : text).toLowerCase();
    return this.#tenant.list({}).find((r) => aliasOf(r).toLowerCase() === wanted || guidsOf(r).includes(wanted));
  }

  #envelope(
    value: readonly Record<string, unknown>[],
    options: InvokeOptions,
    warnings: readonly string[] = [],
    next?: string,
  ): InvokeResult {
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
  #page(
    all: (after: string | undefined, limit: number) => readonly ListedRow[],
    parameters: Record<string, unknown>,
    options: InvokeOptions,
  ): InvokeResult {
    const resultSize =
      parameters.ResultSize === undefined
        ? DEFAULT_RESULT_SIZE
        : String(parameters.ResultSize).toLowerCase() === "unlimited"
          ? Infinity
          : Number(parameters.ResultSize);
    if (!Number.isFinite(resultSize) && resultSize !== Infinity) {
      return cmdletError(
        400,
        "System.Management.Automation.ParameterBindingException",
        `Cannot process argument transformation on parameter 'ResultSize'. Cannot convert value "${String(parameters.ResultSize)}" to type "Microsoft.Exchange.Data.Unlimited\`1[System.UInt32]".`,
      );
    }
    const state = (() => {
      try {
        return options.skipToken
          ? (JSON.parse(Buffer.from(options.skipToken, "base64url").toString("utf8")) as {
              after: string;
              served: number;
            })
          : { after: undefined, served: 0 };
      } catch {
        return undefined;
      }
    })();
    if (state === undefined)
      return cmdletError(
        400,
        "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
        "The $skiptoken is not valid.",
      );
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
    return this.#envelope(
      page.map((r) => r.row),
      options,
      warnings,
      next,
    );
  }

  /** Recipients as listed rows. */
  #rows(recipients: readonly Recipient[]): ListedRow[] {
    return recipients.map((r) => ({ id: r.id, row: this.#view(r) }));
  }

  /** Recipients and holders (public folders, soft-deleted mailboxes) after `after`, in id order, at most `limit`. */
  #merged(
    recipients: (after: string | undefined, limit: number) => Recipient[],
    holders: readonly DirectoryHolder[],
    after: string | undefined,
    limit: number,
  ): ListedRow[] {
    const extra = holders
      .filter((h) => after === undefined || h.id > after)
      .map((h) => ({ id: h.id, row: holderView(h, this.#organization) }));
    return [...this.#rows(recipients(after, limit)), ...extra]
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(0, limit);
  }

  /** Holders of `kind` that hold one of the addresses of an EmailAddresses filter. */
  #holdersFiltered(filter: unknown, kind: DirectoryHolder["kind"]): DirectoryHolder[] {
    const wanted = new Set((parseEmailAddressFilter(String(filter)) ?? []).map((a) => a.toLowerCase()));
    return this.#tenant.holders([kind]).filter((h) =>
      h.addresses.some((e) => {
        const p = parseProxyAddress(e);
        return p.kind === "smtp" && wanted.has(p.value.toLowerCase());
      }),
    );
  }

  /** Runs one InvokeCommand request body. */
  invoke(body: unknown, options: InvokeOptions): InvokeResult {
    const input = (body as { CmdletInput?: { CmdletName?: unknown; Parameters?: unknown } })?.CmdletInput;
    if (typeof input !== "object" || input === null || typeof input.CmdletName !== "string") {
      return cmdletError(
        400,
        "Microsoft.Exchange.Admin.OData.Core.ODataServiceException",
        'The request body must be {"CmdletInput":{"CmdletName":"…","Parameters":{…}}}.',
      );
    }
    const name = canonicalCmdlet(input.CmdletName);
    this.#counters.add(`exchange.${name ?? (input.CmdletName || "(none)")}`);
    if (name === undefined) {
      return cmdletError(
        400,
        "System.Management.Automation.CommandNotFoundException",
        `The term '${input.CmdletName}' is not recognized as a name of a cmdlet the emulator serves (${[...CMDLETS.values()].join(", ")}).`,
      );
    }
    const bound = bindParameters(name, input.Parameters);
    if (!bound.ok) return cmdletError(400, bound.refusal.exceptionType, bound.refusal.message);
    const parameters = bound.parameters;
    if (name === "Get-Recipient") return this.#getRecipient(parameters, options);
    if (name === "Get-AcceptedDomain") {
      return this.#envelope(
        this.#tenant
          .acceptedDomains()
          .map((d, i) => ({ DomainName: d, Name: d, Identity: d, DomainType: "Authoritative", Default: i === 0 })),
        options,
      );
    }
    const kinds = CMDLET_KINDS[name]!;
    if (name.startsWith("Get-")) return this.#getKinds(kinds, parameters, options);
    const result = this.#setRecipient(name, kinds, parameters);
    return result.status === 200 ? this.#envelope([], options) : result;
  }

  /** -RecipientTypeDetails as a set of kinds (a list, or one comma-separated string); an error for an unknown value. */
  #typesParameter(parameters: Record<string, unknown>): Set<RecipientKind> | undefined | InvokeResult {
    if (parameters.RecipientTypeDetails === undefined) return undefined;
    const names = asList(parameters.RecipientTypeDetails)
      .flatMap((t) => t.split(","))
      .map((t) => t.trim())
      .filter(Boolean);
    const types = new Set<RecipientKind>();
    for (const n of names) {
      const type = parseRecipientKind(n);
      // A valid RecipientTypeDetails this tenant has no recipient of (LinkedMailbox, RoomList…) matches nothing.
      if (type !== undefined && n.toLowerCase() !== "group") types.add(type);
      else if (!KNOWN_RECIPIENT_TYPE_DETAILS.has(n.toLowerCase())) {
        return cmdletError(
          400,
          "System.Management.Automation.ParameterBindingException",
          `Cannot process argument transformation on parameter 'RecipientTypeDetails'. Cannot convert value "${n}" to type "Microsoft.Exchange.Data.Directory.Recipient.RecipientTypeDetails". Error: "Unable to match the identifier name ${n} to a valid enumerator name."`,
        );
      }
    }
    return types;
  }

  /** -Filter on EmailAddresses: the recipients holding those addresses; an error for another filter. */
  #filtered(filter: unknown, keep: (r: Recipient) => boolean): Recipient[] | InvokeResult {
    const addresses = parseEmailAddressFilter(String(filter));
    if (addresses === undefined) {
      return cmdletError(
        400,
        "Microsoft.Exchange.Management.Tasks.InvalidFilterException",
        `The emulator understands only filters of the form "EmailAddresses -eq 'smtp:a@b' -or ...": ${String(filter)}`,
      );
    }
    const found = new Map<string, Recipient>();
    for (const address of addresses) {
      const owner = this.#tenant.ownerOf(address);
      const recipient = owner && this.#tenant.find(owner.id);
      if (recipient && keep(recipient)) found.set(recipient.id, recipient);
    }
    return [...found.values()];
  }

  /** Get-Mailbox, Get-DistributionGroup, Get-UnifiedGroup, …: -Identity, -Filter or a paged listing of the cmdlet's kinds. */
  #getKinds(
    kinds: readonly RecipientKind[],
    parameters: Record<string, unknown>,
    options: InvokeOptions,
  ): InvokeResult {
    const types = this.#typesParameter(parameters);
    if (types !== undefined && !(types instanceof Set)) return types;
    const wanted = (r: Recipient) => kinds.includes(r.kind) && (types === undefined || types.has(r.kind));
    if (
      kinds.includes("UserMailbox") &&
      (parameters.SoftDeletedMailbox === true || parameters.SoftDeletedMailbox === 1)
    )
      return this.#softDeleted(parameters, options);
    if (parameters.Identity !== undefined) {
      const identity = String(parameters.Identity);
      const found = this.resolve(identity);
      if (found === undefined || !kinds.includes(found.kind)) return this.#notFound(identity);
      return this.#envelope([this.#view(found)], options);
    }
    if (parameters.Filter !== undefined) {
      const found = this.#filtered(parameters.Filter, wanted);
      return Array.isArray(found)
        ? this.#envelope(
            found.map((r) => this.#view(r)),
            options,
          )
        : found;
    }
    return this.#page(
      (after, limit) =>
        this.#rows(
          this.#tenant.list({ after, limit, kinds: kinds.filter((k) => types === undefined || types.has(k)) }),
        ),
      parameters,
      options,
    );
  }

  /**
   * Get-Mailbox -SoftDeletedMailbox: the mailboxes deleted less than 30 days ago (Get-Mailbox docs:
   * "Soft-deleted mailboxes are deleted mailboxes that are still recoverable"), by -Identity,
   * -Filter on EmailAddresses, or all, paged.
   */
  #softDeleted(parameters: Record<string, unknown>, options: InvokeOptions): InvokeResult {
    const deleted = this.#tenant.holders(["SoftDeletedMailbox"]);
    if (parameters.Identity !== undefined) {
      const identity = String(parameters.Identity).trim().toLowerCase();
      const found = deleted.find(
        (h) =>
          h.id === identity ||
          h.upn?.toLowerCase() === identity ||
          h.addresses.some((e) => parseProxyAddress(e).value.toLowerCase() === identity.replace(/^smtp:/, "")),
      );
      if (found === undefined) return this.#notFound(String(parameters.Identity));
      return this.#envelope([holderView(found, this.#organization)], options);
    }
    if (parameters.Filter !== undefined) {
      if (parseEmailAddressFilter(String(parameters.Filter)) === undefined)
        return this.#filtered(parameters.Filter, () => false) as InvokeResult;
      return this.#envelope(
        this.#holdersFiltered(parameters.Filter, "SoftDeletedMailbox").map((h) => holderView(h, this.#organization)),
        options,
      );
    }
    return this.#page(
      (after) =>
        deleted
          .filter((h) => after === undefined || h.id > after)
          .map((h) => ({ id: h.id, row: holderView(h, this.#organization) })),
      parameters,
      options,
    );
  }

  /**
   * -Identity (any kind), -Filter on EmailAddresses (terms joined by -or), or every recipient, paged.
   * Microsoft 365 groups only when -RecipientTypeDetails names GroupMailbox: "In cloud environments,
   * to return Microsoft 365 Groups, you need to use the RecipientTypeDetails parameter with the value
   * GroupMailbox" (Get-Recipient docs).
   */
  #getRecipient(parameters: Record<string, unknown>, options: InvokeOptions): InvokeResult {
    const types = this.#typesParameter(parameters);
    if (types !== undefined && !(types instanceof Set)) return types;
    const listed = types === undefined ? KINDS_BUT_GROUP_MAILBOXES : [...types];
    // Mail-enabled public folders: listed by default and when -RecipientTypeDetails names PublicFolder.
    const publicFolders =
      parameters.RecipientTypeDetails === undefined ||
      asList(parameters.RecipientTypeDetails)
        .flatMap((t) => t.split(","))
        .some((t) => t.trim().toLowerCase() === "publicfolder");
    if (parameters.Identity !== undefined) {
      const identity = String(parameters.Identity);
      const found = this.resolve(identity);
      if (found === undefined || (types !== undefined && !types.has(found.kind))) return this.#notFound(identity);
      return this.#envelope([this.#view(found)], options);
    }
    if (parameters.Filter !== undefined) {
      const found = this.#filtered(parameters.Filter, (r) => listed.includes(r.kind));
      return Array.isArray(found)
        ? this.#envelope(
            [
              ...found.map((r) => this.#view(r)),
              ...(publicFolders
                ? this.#holdersFiltered(parameters.Filter, "PublicFolder").map((h) => holderView(h, this.#organization))
                : []),
            ],
            options,
          )
        : found;
    }
    const folders = publicFolders ? this.#tenant.holders(["PublicFolder"]) : [];
    return this.#page(
      (after, limit) =>
        this.#merged((a, l) => this.#tenant.list({ after: a, limit: l, kinds: listed }), folders, after, limit),
      parameters,
      options,
    );
  }

  /**
   * Set-Mailbox, Set-DistributionGroup, Set-UnifiedGroup, Set-DynamicDistributionGroup,
   * Set-MailUser, Set-MailContact: -Identity resolved as the Get- cmdlet resolves it, among the
   * cmdlet's kinds; then -ExternalEmailAddress, -EmailAddresses (list or hashtable),
   * -PrimarySmtpAddress / -WindowsEmailAddress, -IsExchangeCloudManaged, each under the tenant's
   * rules. Parameters that the cmdlet's page says Exchange Online refuses are refused.
   */
  #setRecipient(cmdlet: string, kinds: readonly RecipientKind[], parameters: Record<string, unknown>): InvokeResult {
    const identity = String(parameters.Identity ?? "");
    const found = this.resolve(identity);
    if (found === undefined || !kinds.includes(found.kind)) return this.#notFound(identity);
    // The tenant takes what Exchange resolves directly (id, UPN, address) as given, so refusals name
    // it as the request did; an alias, DN or GUID goes on as the object id.
    let id = this.#tenant.find(identity) !== undefined ? identity : found.id;
    if (parameters.EmailAddresses !== undefined && parameters.PrimarySmtpAddress !== undefined) {
      // Set-DistributionGroup, Set-UnifiedGroup, … docs: "You can't use the EmailAddresses and PrimarySmtpAddress parameters in the same command."
      return cmdletError(
        400,
        TASK_ARGUMENT,
        "You can't use the EmailAddresses and PrimarySmtpAddress parameters in the same command.",
      );
    }
    if (parameters.PrimarySmtpAddress !== undefined && !RECIPIENT_KINDS[found.kind].primarySmtpAddressParameter) {
      // Set-MailUser docs: "This parameter is functional only in on-premises Exchange."
      return cmdletError(
        400,
        TASK_ARGUMENT,
        `The PrimarySmtpAddress parameter is functional only in on-premises Exchange. To change the primary address of the ${RECIPIENT_KINDS[found.kind].noun} "${found.displayName}", use an SMTP: entry in EmailAddresses.`,
      );
    }
    if (
      cmdlet === "Set-DistributionGroup" &&
      parameters.BypassSecurityGroupManagerCheck !== true &&
      parameters.BypassSecurityGroupManagerCheck !== 1
    ) {
      // Set-DistributionGroup docs: without ManagedBy membership "you need to use this switch"; the
      // refusal's text as reported from Exchange Online (Microsoft365DSC#6435). The emulator's app
      // is never a group's manager.
      return cmdletError(
        400,
        TASK_OPERATION,
        "You don't have sufficient permissions. This operation can only be performed by a manager of the group.",
      );
    }
    try {
      if (parameters.ExternalEmailAddress !== undefined) {
        this.#tenant.setExternalEmailAddress(id, String(parameters.ExternalEmailAddress));
        // The identity may have been the old external address, which is gone now.
        id = found.id;
      }
      if (parameters.IsExchangeCloudManaged !== undefined)
        this.#tenant.setCloudManaged(
          id,
          parameters.IsExchangeCloudManaged === true || parameters.IsExchangeCloudManaged === 1,
        );
      // -EmailAddresses and -WindowsEmailAddress (or -PrimarySmtpAddress) are one change: one write.
      const addresses = parameters.EmailAddresses;
      const current = this.#tenant.find(found.id)!.addresses;
      let list: string[] | undefined;
      const used: string[] = [];
      if (Array.isArray(addresses)) {
        list = typedAddressList(addresses.map(String));
        used.push("-EmailAddresses");
      } else if (addresses !== undefined && addresses !== null && typeof addresses === "object") {
        const table = parseAddRemoveTable(addresses as Record<string, unknown>);
        if ("error" in table)
          return cmdletError(
            400,
            "System.Management.Automation.ParameterBindingException",
            `Cannot bind parameter 'EmailAddresses'. ${table.error}`,
          );
        list = applyAddRemove(current, table.add, table.remove);
        used.push("-EmailAddresses @{Add;Remove}");
      }
      // In Exchange Online no email address policy governs these kinds, so -WindowsEmailAddress sets the primary too (Set-DistributionGroup docs).
      for (const parameter of ["PrimarySmtpAddress", "WindowsEmailAddress"] as const) {
        if (parameters[parameter] === undefined) continue;
        list = applyPrimarySmtpAddress(list ?? current, String(parameters[parameter]));
        used.push(`-${parameter}`);
      }
      if (list !== undefined) this.#tenant.setEmailAddresses(id, list, `${cmdlet} ${used.join(" ")}`);
      this.#counters.add(`exchange.${cmdlet}.applied`);
      return { status: 200, body: { value: [] } };
    } catch (err) {
      if (!ExchangeError.isInstance(err)) throw err;
      return cmdletError(
        err.code === "NotFound" ? 404 : 400,
        EXCEPTION_TYPES[err.code],
        err.violations.map((v) => v.message).join(" "),
      );
    }
  }
}
