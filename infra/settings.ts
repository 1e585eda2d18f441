// Reads the stack's settings (`pulumi config set <key> <value>`): where the spec is and which
// tenant to converge. None of them is a secret; credentials come from AZURE_* variables.
import type { TargetSettings } from "../targets/tenant-backend";
import { DEFAULTS } from "../reconcile/defaults";
import { didYouMean } from "../core/did-you-mean";

export interface ProgramSettings {
  /** The spec file, relative to the project directory. */
  readonly spec: string;
  readonly target: TargetSettings;
}

export { DEFAULTS };

/** A stack setting with a value the program cannot use: which one, and the values it takes. */
export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SettingsError";
  }
}

/** What the settings are read from: a `pulumi.Config`, or a stack file read by the CLI. */
export interface ConfigReader {
  get(key: string): string | undefined;
  require(key: string): string;
  getNumber(key: string): number | undefined;
}

export function readSettings(config: ConfigReader): ProgramSettings {
  const spec = config.get("spec") ?? DEFAULTS.spec;
  const target = config.get("target") ?? "local";
  if (target === "local") {
    return {
      spec,
      target: {
        target: "local",
        database: config.get("localDatabase") ?? DEFAULTS.localDatabase,
        seed: config.get("localSeed") ?? DEFAULTS.localSeed,
      },
    };
  }
  if (target === "exchange-online") {
    const credential = config.get("credential") ?? "environment";
    const credentials = ["environment", "client-secret", "client-certificate", "workload-identity", "managed-identity"] as const;
    if (!(credentials as readonly string[]).includes(credential)) {
      throw new SettingsError(`config "credential" is ${JSON.stringify(credential.slice(0, 60))}; use one of ${credentials.join(", ")}`);
    }
    return {
      spec,
      target: {
        target: "exchange-online",
        tenantId: config.require("tenantId"),
        // In CI each workflow names its own app (a reader for plans, a writer for applies) in
        // AZURE_CLIENT_ID, as workload identity federation does; it wins over the stack's clientId.
        clientId: process.env.AZURE_CLIENT_ID || config.require("clientId"),
        authorityHost: config.get("authorityHost") ?? DEFAULTS.authorityHost,
        graphBaseUrl: config.get("graphBaseUrl") ?? DEFAULTS.graphBaseUrl,
        exchangeBaseUrl: config.get("exchangeBaseUrl") ?? DEFAULTS.exchangeBaseUrl,
        credential: credential as (typeof credentials)[number],
        maxConcurrency: config.getNumber("maxConcurrency") ?? DEFAULTS.maxConcurrency,
      },
    };
  }
  throw new SettingsError(`config "target" is ${JSON.stringify(target.slice(0, 60))}; use "local" or "exchange-online" (pulumi config set target local)`);
}

/** One stack setting the project knows: `pulumi config set <key> <value>`. */
export interface DeclaredSetting {
  readonly key: string;
  /** The target it applies to; "any" for every target. */
  readonly target: "any" | "local" | "exchange-online";
  /** The allowed values, when they are a fixed list. */
  readonly values?: readonly string[];
  /** A whole number of at least 1. */
  readonly positiveInteger?: boolean;
}

/**
 * Every stack setting of the project, in one place: keys under the project's namespace that are
 * not here are refused (with a did-you-mean), so a typo such as `targt` cannot go unnoticed.
 */
export const DECLARED_SETTINGS: readonly DeclaredSetting[] = [
  { key: "spec", target: "any" },
  { key: "target", target: "any", values: ["local", "exchange-online"] },
  { key: "localDatabase", target: "local" },
  { key: "localSeed", target: "local" },
  { key: "tenantId", target: "exchange-online" },
  { key: "clientId", target: "exchange-online" },
  { key: "credential", target: "exchange-online", values: ["environment", "client-secret", "client-certificate", "workload-identity", "managed-identity"] },
  { key: "authorityHost", target: "exchange-online" },
  { key: "graphBaseUrl", target: "exchange-online" },
  { key: "exchangeBaseUrl", target: "exchange-online" },
  { key: "maxConcurrency", target: "exchange-online", positiveInteger: true },
];

/** The project's config namespace (`mailbox-addresses:spec`), its name in Pulumi.yaml. */
export const SETTINGS_NAMESPACE = "mailbox-addresses";

/**
 * Checks a stack's settings against DECLARED_SETTINGS: unknown keys (with the closest declared
 * key), values outside a fixed list, numbers that are not. `settings` is keyed without the
 * namespace; returns one message per problem, empty when all is well.
 */
export function checkDeclaredSettings(settings: Readonly<Record<string, string>>): string[] {
  const keys = DECLARED_SETTINGS.map((s) => s.key);
  const problems: string[] = [];
  for (const [key, value] of Object.entries(settings)) {
    const declared = DECLARED_SETTINGS.find((s) => s.key === key);
    if (declared === undefined) {
      problems.push(`unknown setting "${SETTINGS_NAMESPACE}:${key}"${didYouMean(key, keys)}`);
    } else if (declared.values && !declared.values.includes(value)) {
      problems.push(`setting "${key}" is "${value}"${didYouMean(value, declared.values)}; use one of ${declared.values.join(", ")}`);
    } else if (declared.positiveInteger && !/^[1-9]\d*$/.test(value.trim())) {
      problems.push(`setting "${key}" is "${value}"; use a whole number of at least 1`);
    }
  }
  return problems;
}
