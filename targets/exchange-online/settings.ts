// The exchange-online target's settings as a type: what its backend and credentials read, apart
// from the target's definition (./target.ts), which loads the backend; so neither imports the other.

/** How to authenticate: "environment" picks from AZURE_* variables. */
export const CREDENTIAL_KINDS = [
  "environment",
  "client-secret",
  "client-certificate",
  "workload-identity",
  "managed-identity",
] as const;

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
  readonly credential: (typeof CREDENTIAL_KINDS)[number];
  /** Requests in flight at once, shared by all resources in one process. */
  readonly maxConcurrency: number;
}
