// Default settings, shared by the program, the provider and the CLI.
export const DEFAULTS = {
  spec: "infra/mailboxes.yaml",
  localDatabase: ".tenant/local.sqlite",
  localSeed: "tenant/seeds/contoso.yaml",
  authorityHost: "https://login.microsoftonline.com",
  graphBaseUrl: "https://graph.microsoft.com",
  exchangeBaseUrl: "https://outlook.office365.com",
  // Requests in flight per provider process; the write gate lowers it on 429s (docs/benchmarks.md).
  maxConcurrency: 32,
} as const;
