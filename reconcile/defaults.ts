// Default settings shared by the program, the provider and the CLI. Each target's own defaults
// are in its definition (targets/<name>/target.ts).
export const DEFAULTS = {
  spec: "infra/mailboxes.yaml",
  /**
   * How long a move waits for Exchange to free an address its giver just let go of (the release
   * lag: administrators report about an hour, MicrosoftDocs/OfficeDocs-Support#46), in seconds.
   */
  releaseWaitSeconds: 3600,
} as const;
