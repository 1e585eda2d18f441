// Reads the stack's settings (`pulumi config set <key> <value>`): where the spec is and which
// tenant to converge. None of them is a secret; credentials come from AZURE_* variables.
import type { TargetSettings } from "../providers/backend";
import { DEFAULTS } from "../providers/defaults";

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
