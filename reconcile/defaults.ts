// Default settings shared by the program, the provider and the CLI. Each target's own defaults
// are in its definition (targets/<name>/target.ts).
export const DEFAULTS = {
  spec: "infra/mailboxes.yaml",
} as const;
