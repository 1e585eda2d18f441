// The CLI's view of a stack's settings: reads `Pulumi.<stack>.yaml` (no Pulumi needed) and lets
// flags override it, so `export`, `drift` and `plan` talk to the same tenant as the stack.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import { readSettings, type ConfigReader, type ProgramSettings } from "../infra/settings";
import { findProjectRoot } from "../providers/project-root";

/** Flags that override a stack's settings (`--target`, `--database`, `--tenant-id`...). */
export const TARGET_FLAGS = {
  stack: { type: "string" },
  spec: { type: "string" },
  target: { type: "string" },
  database: { type: "string" },
  "tenant-id": { type: "string" },
  "client-id": { type: "string" },
  "authority-host": { type: "string" },
  "graph-url": { type: "string" },
  "exchange-url": { type: "string" },
} as const;

const FLAG_TO_KEY: Record<string, string> = {
  spec: "spec",
  target: "target",
  database: "localDatabase",
  "tenant-id": "tenantId",
  "client-id": "clientId",
  "authority-host": "authorityHost",
  "graph-url": "graphBaseUrl",
  "exchange-url": "exchangeBaseUrl",
};

/** Reads settings from the stack file (default stack: dev) with flags on top. */
export function settingsFromFlags(values: Record<string, unknown>, root = findProjectRoot()): ProgramSettings & { stack: string } {
  const stack = String(values.stack ?? process.env.PULUMI_STACK ?? "dev");
  const file = path.join(root, `Pulumi.${stack}.yaml`);
  const fromFile: Record<string, string> = {};
  if (existsSync(file)) {
    const config = (parse(readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null)?.config ?? {};
    for (const [key, value] of Object.entries(config)) {
      if (key.startsWith("mailbox-addresses:") && value !== null && typeof value !== "object") fromFile[key.slice("mailbox-addresses:".length)] = String(value);
    }
  }
  for (const [flag, key] of Object.entries(FLAG_TO_KEY)) {
    if (typeof values[flag] === "string") fromFile[key] = values[flag] as string;
  }
  const reader: ConfigReader = {
    get: (key) => fromFile[key],
    require: (key) => {
      const value = fromFile[key];
      if (value === undefined) throw new Error(`missing setting "${key}": set it in Pulumi.${stack}.yaml (pulumi config set ${key} ...) or pass --${Object.entries(FLAG_TO_KEY).find(([, k]) => k === key)?.[0] ?? key}`);
      return value;
    },
    getNumber: (key) => (fromFile[key] === undefined ? undefined : Number(fromFile[key])),
  };
  return { ...readSettings(reader), stack };
}
