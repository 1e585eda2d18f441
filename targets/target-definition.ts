// What a target is to the rest of the project: its name, its stack settings (keys, allowed values,
// defaults, meaning) and how it reads them into its typed settings, how it names a tenant in
// messages, how it builds a backend, and which optional operations its backends offer. Each target
// exports one TargetDefinition from its folder (./local/target.ts, ./exchange-online/target.ts);
// ./registry.ts lists them. Light to import: a definition loads its backend's clients only when
// `create` runs.
import { didYouMean } from "../core/did-you-mean";
import type { CapabilityName, TenantBackend } from "./tenant-backend";

/** A stack setting with a value the program cannot use: which one, and the values it takes. */
export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SettingsError";
  }
}

/** What settings are read from: a `pulumi.Config`, the provider's configure, or the CLI's stack reader. */
export interface ConfigReader {
  get(key: string): string | undefined;
  /** The value, or an error naming the key and how to set it (each reader words it for its user). */
  require(key: string): string;
}

/** One stack setting: `pulumi config set <key> <value>`. */
export interface TargetSetting {
  readonly key: string;
  /** What it means, in an admin's words (messages, the README's settings table). */
  readonly meaning: string;
  /** The value when the stack does not set it; without one, a target that needs it says so. */
  readonly default?: string;
  /** The allowed values, when they are a fixed list. */
  readonly values?: readonly string[];
  /** A whole number of at least 1. */
  readonly positiveInteger?: boolean;
  /** The CLI flag that overrides it for one run: `--tenant-id <id>`. */
  readonly flag?: string;
}

/** Options of a backend that are not stack settings. */
export interface BackendContext {
  /** The project directory: relative paths in the settings resolve against it. */
  readonly baseDir: string;
  /** Hears of every retry wait (milliseconds) of a network client; the CLI counts them on its progress line. */
  readonly onRetryWait?: (ms: number) => void;
  /** Hears of every wait a service's throttling imposes: the engine's output and the CLI's progress show it. */
  readonly onThrottle?: (wait: ThrottleWait) => void;
}

/** A wait a service imposed (429, Retry-After): which service, how long, how many calls wait. */
export interface ThrottleWait {
  /** "Microsoft Graph", "the Exchange Online admin API". */
  readonly service: string;
  readonly waitMs: number;
  /** Calls of that kind (`writes` or `reads`) waiting now, this one included. */
  readonly waiting: number;
  readonly kind: "writes" | "reads";
}

/** "the Exchange Online admin API is throttling: waiting 3 s, 14 writes waiting". */
export function describeThrottle(wait: ThrottleWait): string {
  const seconds = wait.waitMs >= 10_000 ? Math.round(wait.waitMs / 1000) : Math.round(wait.waitMs / 100) / 10;
  return `${wait.service} is throttling: waiting ${seconds} s, ${wait.waiting.toLocaleString("en-US")} ${wait.kind === "writes" ? (wait.waiting === 1 ? "write" : "writes") : wait.waiting === 1 ? "read" : "reads"} waiting`;
}

/** A target. `S` is its typed settings, told apart from other targets' by `target` (its name). */
export interface TargetDefinition<S extends { readonly target: string } = { readonly target: string }> {
  /** The value of the `target` setting that selects it. */
  readonly name: S["target"];
  /** One line for `--help` and the README: "Exchange Online (Graph reads, admin API writes; also the emulator)". */
  readonly summary: string;
  /** Its own settings, keys unique across all targets (a composed stack reads several targets' at once). */
  readonly settings: readonly TargetSetting[];
  /** Its typed settings, from the stack's values (defaults applied, values checked: see readTargetSettings). */
  readSettings(config: TargetConfig): S;
  /** The tenant, for messages: "Exchange Online tenant 1234…"; equal to its backend's `description`. */
  describe(settings: S): string;
  /**
   * A composed target (../hybrid/target.ts): the targets whose settings it reads (each with its
   * own definition, from TargetConfig.source) and whose backends it routes to.
   */
  readonly members?: readonly TargetDefinition<{ readonly target: string }>[];
  /** The optional operations its backends offer (TenantBackend.capabilities has exactly these). */
  readonly capabilities: readonly CapabilityName[];
  /** A backend; heavy clients are required here, not at the top of the module. */
  create(settings: S, context: BackendContext): TenantBackend;
}

/** The stack's values as a target reads them: only its declared keys, defaults applied, each value checked. */
export interface TargetConfig {
  /** The value set, else the declared default, else undefined. */
  optional(key: string): string | undefined;
  /** The value set, else the declared default, else the reader's missing-setting error. */
  value(key: string): string;
  /** A setting with a fixed list of values, typed as that list. */
  choice<T extends string>(key: string, values: readonly T[]): T;
  /** A positiveInteger setting as a number. */
  positiveInteger(key: string): number;
  /**
   * The stack's values as given, unchecked: for a composed target, which reads each member's
   * settings with readTargetSettings(member, config.source) (../registry.ts, composition).
   */
  readonly source: ConfigReader;
}

const shown = (value: string) => JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);

/** Why `value` is refused for `setting`, in an admin's words; undefined when it is accepted. */
export function checkSettingValue(setting: TargetSetting, value: string): string | undefined {
  if (setting.values && !setting.values.includes(value)) {
    return `setting "${setting.key}" is ${shown(value)}${didYouMean(value, setting.values)}; use one of ${setting.values.join(", ")}`;
  }
  if (setting.positiveInteger && !/^[1-9]\d*$/.test(value.trim())) {
    return `setting "${setting.key}" is ${shown(value)}; use a whole number of at least 1`;
  }
  return undefined;
}

/** Reads `definition`'s settings from `config`: defaults from its declarations, every value checked (SettingsError). */
export function readTargetSettings<S extends { readonly target: string }>(definition: TargetDefinition<S>, config: ConfigReader): S {
  const declared = (key: string): TargetSetting => {
    const setting = definition.settings.find((s) => s.key === key);
    // A programming error: the registry's unit test reads every target's settings.
    if (setting === undefined) throw new Error(`target "${definition.name}" reads setting "${key}", which it does not declare`);
    return setting;
  };
  const checked = (setting: TargetSetting, value: string): string => {
    const problem = checkSettingValue(setting, value);
    if (problem !== undefined) throw new SettingsError(`${problem} (target "${definition.name}")`);
    return value;
  };
  const optional = (key: string): string | undefined => {
    const setting = declared(key);
    const value = config.get(key) ?? setting.default;
    return value === undefined ? undefined : checked(setting, value);
  };
  const value = (key: string): string => optional(key) ?? checked(declared(key), config.require(key));
  return definition.readSettings({
    source: config,
    optional,
    value,
    choice: <T extends string>(key: string, values: readonly T[]): T => {
      const chosen = value(key);
      if (!(values as readonly string[]).includes(chosen)) throw new Error(`target "${definition.name}": setting "${key}" declares values other than ${values.join(", ")}`);
      return chosen as T;
    },
    positiveInteger: (key: string): number => {
      const setting = declared(key);
      if (!setting.positiveInteger) throw new Error(`target "${definition.name}": setting "${key}" is not declared positiveInteger`);
      return Number(value(key).trim());
    },
  });
}
