// One LDAPS connection to an Active Directory domain controller (ldapts), bound as the account the
// environment names at call time. The server's certificate is always verified, against the CA
// file the stack names; nothing here turns verification off. Failures become DirectoryErrors an
// admin can act on: which server, which account, which setting, what to do. Counts searches and
// pages, so tests and benchmarks can tell one paged search per 1,000 entries from one per mailbox.
import { readFileSync } from "node:fs";
import {
  Attribute,
  Change,
  Client,
  InsufficientAccessError,
  InvalidCredentialsError,
  NoSuchObjectError,
  type Entry,
  type SearchOptions,
} from "ldapts";
import { MailboxAddressesError } from "../../core/errors";

/** Where the directory is, and the bind account when the stack sets it (else the environment's). */
export interface DirectorySettings {
  /** `ldaps://dc1.corp.contoso.com:636` (LDAPS only: plain LDAP would send the password in clear). */
  readonly url: string;
  /** PEM file of the CA that issued the domain controller's certificate. */
  readonly caFile: string;
  /** Where users are searched, e.g. `DC=corp,DC=contoso,DC=com` or an OU. */
  readonly baseDn: string;
  /** The name the certificate carries, when the URL uses another (an IP address, an alias). */
  readonly tlsServerName?: string;
  /** Entries per page of a paged search (AD's MaxPageSize is 1,000 by default). */
  readonly pageSize?: number;
  /** Milliseconds for connecting (default 15 s); each operation may take up to 120 s, or this when longer. */
  readonly timeoutMs?: number;
  /** The bind account (stack setting adBindDn); absent: MAILBOX_ADDRESSES_AD_BIND_DN. */
  readonly bindDn?: string;
  /** Its password (stack setting adBindPassword, a Pulumi secret); absent: MAILBOX_ADDRESSES_AD_BIND_PASSWORD. */
  readonly bindPassword?: string;
}

/** Environment variables holding the bind account, read at each bind, never stored. */
export const BIND_DN_VARIABLE = "MAILBOX_ADDRESSES_AD_BIND_DN";
export const BIND_PASSWORD_VARIABLE = "MAILBOX_ADDRESSES_AD_BIND_PASSWORD";
/** The stack settings named in messages (`pulumi config set mailbox-addresses:<key>`). */
export const SETTING_URL = "mailbox-addresses:adUrl";
export const SETTING_CA_FILE = "mailbox-addresses:adCaFile";
export const SETTING_TLS_SERVER_NAME = "mailbox-addresses:adTlsServerName";
export const SETTING_BIND_DN = "mailbox-addresses:adBindDn";
export const SETTING_BIND_PASSWORD = "mailbox-addresses:adBindPassword";

export type DirectoryErrorCode =
  | "MissingCredentials"
  | "Unreachable"
  | "CertificateUntrusted"
  | "BindFailed"
  | "UserNotFound"
  | "InsufficientRights"
  | "AddressRefused"
  | "AddressTaken"
  | "DirectoryError";

/** Failures of the connection itself, not of one mailbox: every other call of the run would meet them too. */
const RUN_WIDE_CODES: ReadonlySet<DirectoryErrorCode> = new Set([
  "MissingCredentials",
  "Unreachable",
  "CertificateUntrusted",
  "BindFailed",
]);

/** An expected failure, in an admin's words: what, where (mailbox, DN), and what to do. */
export class DirectoryError extends MailboxAddressesError {
  /**
   * The directory cannot be used at all in this run (no bind account, unreachable, an untrusted
   * certificate, a refused bind): told once per run, not once per mailbox
   * (providers/mailbox-addresses/implementation.ts, isRunWideError).
   */
  readonly runWide: boolean;
  constructor(
    readonly code: DirectoryErrorCode,
    message: string,
    readonly details: { readonly mailbox?: string; readonly dn?: string; readonly remedy?: string } = {},
  ) {
    super(details.remedy ? `${message}. ${details.remedy}` : message, {
      ...(details.mailbox === undefined ? {} : { mailbox: details.mailbox }),
      ...(details.remedy === undefined ? {} : { remedy: details.remedy }),
    });
    this.name = "DirectoryError";
    this.runWide = RUN_WIDE_CODES.has(code);
  }
}

/** What an operation was doing, for messages. */
export interface OperationContext {
  /** "reading", "writing proxyAddresses of", ... */
  readonly action: string;
  readonly mailbox?: string;
  /** What a bulk operation covers, already worded ("6 mailboxes from \"ada@contoso.com\""): shown as is, not quoted as one mailbox. */
  readonly scope?: string;
  readonly dn?: string;
}

const TLS_VERIFY_CODES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_SIGNATURE_FAILURE",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
]);

/**
 * The server-side time limit of a search request, in seconds: AD's own MaxQueryDuration (120 s by
 * default). ldapts asks for 10 s unless told, which a loaded DC exceeds on a 1,000-term OR filter.
 */
const SEARCH_TIME_LIMIT_SECONDS = 120;
/** Milliseconds the client waits for each operation's answer (a page of a paged search). */
const OPERATION_TIMEOUT_MS = 120_000;

const where = (context: OperationContext) =>
  [
    context.mailbox !== undefined ? `mailbox "${context.mailbox}"` : undefined,
    context.scope,
    context.dn !== undefined ? `DN "${context.dn}"` : undefined,
  ]
    .filter(Boolean)
    .join(", ");

/** The parent container of a DN: the OU to delegate on. */
export function parentOf(dn: string): string {
  const comma = dn.search(/(?<!\\),/);
  return comma < 0 ? dn : dn.slice(comma + 1);
}

export class DirectoryClient {
  private client: Client | undefined;
  private readonly hostPort: string;
  /** Search requests sent (a paged search counts once) and pages received. */
  readonly stats = { searches: 0, pages: 0, modifies: 0, binds: 0 };

  constructor(readonly settings: DirectorySettings) {
    const url = new URL(settings.url);
    if (url.protocol !== "ldaps:") {
      throw new DirectoryError("Unreachable", `${SETTING_URL} is "${settings.url}": only ldaps:// is supported`, {
        remedy: "Use the domain controller's LDAPS address, e.g. ldaps://dc1.corp.contoso.com:636",
      });
    }
    this.hostPort = `${url.hostname}:${url.port || "636"}`;
  }

  get description(): string {
    return `Active Directory ${this.settings.url} (${this.settings.baseDn})`;
  }

  /** Turns an ldapts or socket failure into a DirectoryError naming what was being done. */
  explain(error: unknown, context: OperationContext): DirectoryError {
    if (error instanceof DirectoryError) return error;
    const explained = this.describeFailure(error, context);
    explained.cause = error; // kept for callers that retry on a specific LDAP result
    return explained;
  }

  private describeFailure(error: unknown, context: OperationContext): DirectoryError {
    const err = error as NodeJS.ErrnoException & { code?: string | number };
    const code = typeof err?.code === "string" ? err.code : undefined;
    const cause = err instanceof Error ? err.message : String(error);
    const subject = `${context.action}${where(context) ? ` (${where(context)})` : ""}`;
    if (code === "ERR_TLS_CERT_ALTNAME_INVALID") {
      const name = this.settings.tlsServerName ?? new URL(this.settings.url).hostname;
      return new DirectoryError(
        "CertificateUntrusted",
        `${subject}: the certificate of ${this.hostPort} does not name "${name}" (${cause})`,
        {
          ...context,
          remedy: `Set ${SETTING_TLS_SERVER_NAME} to a name the certificate carries (pulumi config set ${SETTING_TLS_SERVER_NAME} dc1.corp.contoso.com), or use that name in ${SETTING_URL}`,
        },
      );
    }
    if (code !== undefined && TLS_VERIFY_CODES.has(code)) {
      return new DirectoryError(
        "CertificateUntrusted",
        `${subject}: the certificate of ${this.hostPort} does not verify against the CA file "${this.settings.caFile}" (${code}: ${cause})`,
        {
          ...context,
          remedy: `Set ${SETTING_CA_FILE} to the PEM file of the CA that issued the domain controller's LDAPS certificate`,
        },
      );
    }
    if (
      (code !== undefined && NETWORK_CODES.has(code)) ||
      /Connection timeout|Socket error|Connection closed/.test(cause)
    ) {
      return new DirectoryError(
        "Unreachable",
        `${subject}: Active Directory at ${this.hostPort} is unreachable (${cause})`,
        {
          ...context,
          remedy: `Check ${SETTING_URL} and that LDAPS (TCP ${this.hostPort.split(":").pop()}) is open from this machine`,
        },
      );
    }
    if (error instanceof InvalidCredentialsError) {
      return new DirectoryError(
        "BindFailed",
        `${subject}: ${this.hostPort} refused the bind account "${this.bindName()}" (wrong name or password, or the account is locked or disabled)`,
        {
          ...context,
          remedy: `Check ${this.bindSource()}`,
        },
      );
    }
    if (error instanceof InsufficientAccessError) {
      const dn = context.dn ?? "";
      return new DirectoryError(
        "InsufficientRights",
        `${subject}: the bind account "${this.bindName()}" may not write proxyAddresses or mail of "${dn}" (${cause})`,
        {
          ...context,
          remedy: this.grantRemedy(dn),
        },
      );
    }
    if (error instanceof NoSuchObjectError) {
      return new DirectoryError("UserNotFound", `${subject}: no such object in ${this.hostPort} (${cause})`, {
        ...context,
        remedy: "Check the base DN and that the user was not moved or deleted",
      });
    }
    return new DirectoryError(
      "DirectoryError",
      `${subject}: ${this.hostPort} answered ${err?.constructor?.name ?? "an error"}: ${cause}`,
      context,
    );
  }

  /** What to grant the bind account on a user's OU, as dsacls takes it. */
  grantRemedy(dn: string): string {
    // dsacls names a trustee as user@domain or DOMAIN\user, not as a DN.
    const bindName = this.bindName();
    const trustee = bindName.includes("@") ? bindName : "DOMAIN\\account";
    return `Grant it "Write proxyAddresses" and "Write mail" on the user objects or their OU, e.g. dsacls "${parentOf(dn)}" /I:S /G "${trustee}:WP;proxyAddresses;user" "${trustee}:WP;mail;user"`;
  }

  /** The message for rights found missing before a write (allowedAttributesEffective). */
  missingRights(mailbox: string, dn: string, missing: readonly string[]): string {
    return (
      `mailbox "${mailbox}": the bind account "${this.bindName()}" may not write ${missing.join(" or ")} of "${dn}" ` +
      `(its effective rights there, allowedAttributesEffective, lack ${missing.map((a) => `"Write ${a}"`).join(" and ")}); nothing is written in this run. ${this.grantRemedy(dn)}`
    );
  }

  /** The bind account's name: the stack's setting, else the environment's (read now). */
  private bindName(): string {
    return this.settings.bindDn ?? process.env[BIND_DN_VARIABLE] ?? "";
  }

  /** Where the bind account came from, for a remedy: the settings or the variables. */
  private bindSource(): string {
    const dn = this.settings.bindDn !== undefined ? SETTING_BIND_DN : BIND_DN_VARIABLE;
    const password = this.settings.bindPassword !== undefined ? SETTING_BIND_PASSWORD : BIND_PASSWORD_VARIABLE;
    return `${dn} and ${password}`;
  }

  /**
   * The bind the directory refused, with the credentials it was tried with: the same account and
   * password are not tried again by this client, so a run of many mailboxes costs one failed bind,
   * not one per mailbox (AD locks an account out after a few bad passwords).
   */
  private refusedBind: { readonly dn: string; readonly password: string; readonly error: DirectoryError } | undefined;

  /** A bound connection; connects and binds (credentials read now) when there is none. */
  private async bound(context: OperationContext): Promise<Client> {
    if (this.client?.isConnected && this.client.isBound) return this.client;
    await this.client?.unbind().catch(() => undefined);
    this.client = undefined;
    const dn = this.bindName();
    const password = this.settings.bindPassword ?? process.env[BIND_PASSWORD_VARIABLE];
    if (this.refusedBind !== undefined && this.refusedBind.dn === dn && this.refusedBind.password === password)
      throw this.refusedBind.error;
    if (!dn || !password) {
      throw new DirectoryError(
        "MissingCredentials",
        `${context.action}${where(context) ? ` (${where(context)})` : ""}: no bind account for ${this.hostPort}`,
        {
          ...context,
          remedy: `Set ${SETTING_BIND_DN} (a DN or user@REALM) and ${SETTING_BIND_PASSWORD} (pulumi config set --secret), or ${BIND_DN_VARIABLE} and ${BIND_PASSWORD_VARIABLE} in the environment`,
        },
      );
    }
    let ca: Buffer;
    try {
      ca = readFileSync(this.settings.caFile);
    } catch (error) {
      throw new DirectoryError(
        "CertificateUntrusted",
        `cannot read the CA file "${this.settings.caFile}" (${(error as Error).message})`,
        {
          ...context,
          remedy: `Set ${SETTING_CA_FILE} to a readable PEM file`,
        },
      );
    }
    const client = new Client({
      url: this.settings.url,
      connectTimeout: this.settings.timeoutMs ?? 15_000,
      timeout: Math.max(this.settings.timeoutMs ?? 0, OPERATION_TIMEOUT_MS),
      // rejectUnauthorized given, not defaulted: NODE_TLS_REJECT_UNAUTHORIZED=0 changes only the
      // default (node:tls), so no environment variable turns verification off here.
      tlsOptions: {
        ca,
        rejectUnauthorized: true,
        minVersion: "TLSv1.2",
        ...(this.settings.tlsServerName ? { servername: this.settings.tlsServerName } : {}),
      },
    });
    try {
      this.stats.binds++;
      await client.bind(dn, password);
    } catch (error) {
      await client.unbind().catch(() => undefined);
      const explained = this.explain(error, context);
      if (explained.code === "BindFailed") this.refusedBind = { dn, password, error: explained };
      throw explained;
    }
    this.client = client;
    return client;
  }

  /** One paged search (one request, as many pages as it takes): every entry. */
  async search(options: SearchOptions & { base?: string }, context: OperationContext): Promise<Entry[]> {
    const client = await this.bound(context);
    const { base, ...search } = options;
    const entries: Entry[] = [];
    try {
      this.stats.searches++;
      const pages = client.searchPaginated(base ?? this.settings.baseDn, {
        scope: "sub",
        timeLimit: SEARCH_TIME_LIMIT_SECONDS,
        ...search,
        paged: { pageSize: this.settings.pageSize ?? 1000 },
      });
      for await (const page of pages) {
        this.stats.pages++;
        entries.push(...page.searchEntries);
      }
    } catch (error) {
      throw this.explain(error, context);
    }
    return entries;
  }

  /** Pages of one paged search, for scans that hand out a page at a time. */
  async *searchPages(options: SearchOptions, context: OperationContext): AsyncGenerator<Entry[]> {
    const client = await this.bound(context);
    this.stats.searches++;
    try {
      for await (const page of client.searchPaginated(this.settings.baseDn, {
        scope: "sub",
        timeLimit: SEARCH_TIME_LIMIT_SECONDS,
        ...options,
        paged: { pageSize: this.settings.pageSize ?? 1000 },
      })) {
        this.stats.pages++;
        yield page.searchEntries;
      }
    } catch (error) {
      throw this.explain(error, context);
    }
  }

  /** One LDAP modify: value deletes, value adds and attribute replaces, applied atomically. */
  async modify(dn: string, changes: readonly ModifyStep[], context: OperationContext): Promise<void> {
    const client = await this.bound(context);
    try {
      this.stats.modifies++;
      await client.modify(
        dn,
        changes.map(
          (step) =>
            new Change({
              operation: step.operation,
              modification: new Attribute({ type: step.attribute, values: [...step.values] }),
            }),
        ),
      );
    } catch (error) {
      throw this.explain(error, { ...context, dn });
    }
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.unbind().catch(() => undefined);
  }
}

export interface ModifyStep {
  readonly operation: "add" | "delete" | "replace";
  readonly attribute: string;
  readonly values: readonly string[];
}
