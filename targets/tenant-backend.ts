// What the provider, the program and the CLI need from a tenant, whichever it is: the embedded
// local tenant (SQLite) or Exchange Online (Graph reads, Exchange admin API writes; also the
// emulator). Settings here are never secret: credentials come from the environment at call time.
import type { AddressOwner, RecipientType } from "../exchange/exchange-rules";

/** A mailbox as read from the tenant. */
export interface LiveMailbox {
  readonly id: string;
  readonly upn: string | undefined;
  readonly displayName: string;
  readonly type: RecipientType;
  readonly synced: boolean;
  readonly cloudManaged: boolean;
  /** EmailAddresses, with prefixes, in the tenant's order. */
  readonly addresses: readonly string[];
}

/** Settings of the local target. */
export interface LocalTargetSettings {
  readonly target: "local";
  /** The SQLite file, relative to the project directory. */
  readonly database: string;
  /** Seed file used when the database is empty, relative to the project directory. */
  readonly seed: string;
}

/** Settings of the exchange-online target (also used against the emulator). No secrets. */
export interface ExchangeOnlineTargetSettings {
  readonly target: "exchange-online";
  /** Directory (tenant) id or its onmicrosoft.com domain. */
  readonly tenantId: string;
  /** Application (client) id of the app registration. */
  readonly clientId: string;
  readonly authorityHost: string;
  readonly graphBaseUrl: string;
  readonly exchangeBaseUrl: string;
  /** How to authenticate: "environment" picks from AZURE_* variables. */
  readonly credential: "environment" | "client-secret" | "client-certificate" | "workload-identity" | "managed-identity";
  /** Requests in flight at once, shared by all resources in one process. */
  readonly maxConcurrency: number;
}

export type TargetSettings = LocalTargetSettings | ExchangeOnlineTargetSettings;

/** A full scan's page of mailboxes, for export and drift. */
export interface MailboxPage {
  readonly mailboxes: readonly LiveMailbox[];
  readonly next: string | undefined;
}

/** The operations every target offers. */
export interface TenantBackend {
  /** A short description for messages: "local tenant .tenant/local.sqlite". */
  readonly description: string;
  /** Reads mailboxes by identity (UPN or object id); a missing one maps to undefined. */
  readMailboxes(identities: readonly string[]): Promise<Map<string, LiveMailbox | undefined>>;
  /**
   * Reads mailboxes again from the source of truth, where `readMailboxes` reads a replica that can
   * lag behind writes (Exchange Online: Graph lags behind Exchange). Absent when reads are exact.
   * A mailbox the source cannot find keeps the replica's answer (absent from the map).
   */
  confirmMailboxes?(identities: readonly string[]): Promise<Map<string, LiveMailbox>>;
  /** Who holds each address (case-insensitive keys); addresses nobody holds are absent. */
  ownersOf(addresses: readonly string[]): Promise<Map<string, AddressOwner>>;
  /** Accepted domains, lower-case. */
  acceptedDomains(): Promise<string[]>;
  /**
   * Makes a mailbox's EmailAddresses `addresses` (Set-Mailbox) and returns the mailbox read back.
   * Sent as `@{Add=...; Remove=...}`: the difference between `before` (default: the list this
   * backend last read for the identity, or a fresh read) and `addresses`, so an entry someone
   * else added or removed meanwhile stays as they left it (core/plan/address-delta.ts).
   */
  setEmailAddresses(identity: string, addresses: readonly string[], before?: readonly string[]): Promise<LiveMailbox>;
  /** Set-Mailbox -IsExchangeCloudManaged $true. */
  setCloudManaged(identity: string): Promise<void>;
  /** Pages through every mailbox (recipients with a UPN). */
  listMailboxes(next?: string): Promise<MailboxPage>;
  close(): Promise<void>;
}
