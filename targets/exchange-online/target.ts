// The exchange-online target: Microsoft Graph reads and Exchange Online admin API writes
// (./exchange-online-backend.ts), against Microsoft or the emulator. Everything the rest of the
// project knows about it is here; ../registry.ts lists it. No setting is a secret: credentials
// come from the environment at call time.
import type { TargetDefinition } from "../target-definition";
import { CREDENTIAL_KINDS, type ExchangeOnlineTargetSettings } from "./settings";

export { CREDENTIAL_KINDS, type ExchangeOnlineTargetSettings };

/** Microsoft's public cloud, and the requests in flight per provider process. */
export const EXCHANGE_ONLINE_DEFAULTS = {
  credential: "environment",
  authorityHost: "https://login.microsoftonline.com",
  graphBaseUrl: "https://graph.microsoft.com",
  exchangeBaseUrl: "https://outlook.office365.com",
  // The write gate lowers it on 429s (docs/benchmarks.md).
  maxConcurrency: 32,
} as const;

export const exchangeOnlineTarget: TargetDefinition<ExchangeOnlineTargetSettings> = {
  name: "exchange-online",
  summary: "Exchange Online (Graph reads, Exchange admin API writes), or the emulator",
  settings: [
    {
      key: "tenantId",
      meaning: "the directory (tenant) id or its onmicrosoft.com domain",
      flag: "--tenant-id <id>",
      format: "tenant-id",
    },
    {
      key: "clientId",
      meaning: "the app registration's application (client) id; AZURE_CLIENT_ID in the environment wins",
      flag: "--client-id <id>",
    },
    {
      key: "credential",
      meaning: "how to authenticate; environment picks from the AZURE_* variables",
      default: EXCHANGE_ONLINE_DEFAULTS.credential,
      values: CREDENTIAL_KINDS,
    },
    {
      key: "authorityHost",
      meaning: "the identity platform (other clouds, or the emulator)",
      default: EXCHANGE_ONLINE_DEFAULTS.authorityHost,
      flag: "--authority-host <url>",
      format: "https-url",
    },
    {
      key: "graphBaseUrl",
      meaning: "Microsoft Graph (other clouds, or the emulator)",
      default: EXCHANGE_ONLINE_DEFAULTS.graphBaseUrl,
      flag: "--graph-url <url>",
      format: "https-url",
    },
    {
      key: "exchangeBaseUrl",
      meaning: "the Exchange Online admin API (other clouds, or the emulator)",
      default: EXCHANGE_ONLINE_DEFAULTS.exchangeBaseUrl,
      flag: "--exchange-url <url>",
      format: "https-url",
    },
    {
      key: "maxConcurrency",
      meaning: "requests in flight at once, shared by all mailboxes",
      default: String(EXCHANGE_ONLINE_DEFAULTS.maxConcurrency),
      positiveInteger: true,
    },
  ],
  readSettings: (config) => ({
    target: "exchange-online",
    tenantId: config.value("tenantId"),
    // In CI each workflow names its own app (a reader for plans, a writer for applies) in
    // AZURE_CLIENT_ID, as workload identity federation does; it wins over the stack's clientId.
    clientId: process.env.AZURE_CLIENT_ID || config.value("clientId"),
    authorityHost: config.value("authorityHost"),
    graphBaseUrl: config.value("graphBaseUrl"),
    exchangeBaseUrl: config.value("exchangeBaseUrl"),
    credential: config.choice("credential", CREDENTIAL_KINDS),
    maxConcurrency: config.positiveInteger("maxConcurrency"),
  }),
  describe: (settings) => `Exchange Online tenant ${settings.tenantId}`,
  capabilities: ["cloudManaged", "acceptedDomains", "policyAttributes", "userPrincipalName"],
  create: (settings, context) => {
    // Required here, not at the top: the local target never loads the Microsoft clients.
    const { ExchangeOnlineBackend } =
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a target loads its clients only when a backend is created
      require("./exchange-online-backend") as typeof import("./exchange-online-backend");
    const { onRetryWait: onWait, onThrottle } = context;
    if (onWait === undefined && onThrottle === undefined) return new ExchangeOnlineBackend(settings);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a target loads its clients only when a backend is created
    const { DEFAULT_RETRY_OPTIONS } = require("./pipeline/retry-options") as typeof import("./pipeline/retry-options");
    return new ExchangeOnlineBackend(settings, {
      ...DEFAULT_RETRY_OPTIONS,
      ...(onWait ? { onRetry: onWait } : {}),
      ...(onThrottle ? { onThrottle } : {}),
    });
  },
};

/** Where a client reaches the Microsoft endpoints: what the emulator tells (emulator/server.ts, EmulatorEndpoints). */
export interface MicrosoftEndpoints {
  readonly tenantId: string;
  readonly clientId: string;
  readonly authorityHost: string;
  readonly graphBaseUrl: string;
  readonly exchangeBaseUrl: string;
}

/** The target's settings for `endpoints` (the emulator's, in tests and benchmarks). */
export function settingsForEndpoints(
  endpoints: MicrosoftEndpoints,
  credential: ExchangeOnlineTargetSettings["credential"] = "client-secret",
): ExchangeOnlineTargetSettings {
  const { tenantId, clientId, authorityHost, graphBaseUrl, exchangeBaseUrl } = endpoints;
  return {
    target: "exchange-online",
    tenantId,
    clientId,
    authorityHost,
    graphBaseUrl,
    exchangeBaseUrl,
    credential,
    maxConcurrency: EXCHANGE_ONLINE_DEFAULTS.maxConcurrency,
  };
}

/** `pulumi config set` values for a stack that targets `endpoints`. */
export function stackConfigForEndpoints(endpoints: MicrosoftEndpoints): Record<string, string> {
  const { tenantId, clientId, authorityHost, graphBaseUrl, exchangeBaseUrl } = endpoints;
  return { target: "exchange-online", tenantId, clientId, authorityHost, graphBaseUrl, exchangeBaseUrl };
}
