// What a target is to the rest of the project: its name, its stack settings (keys, allowed values,
// defaults, meaning) and how it reads them into its typed settings, how it names a tenant in
// messages, how it builds a backend, and which optional operations its backends offer. Each target
// exports one TargetDefinition from its folder (./local/target.ts, ./exchange-online/target.ts);
// ./registry.ts lists them. Light to import: a definition loads its backend's clients only when
// `create` runs.
import { didYouMean } from "../core/did-you-mean";
import { MailboxAddressesError } from "../core/errors";
import { quote } from "../core/text";
import type { CapabilityName, TenantBackend } from "./tenant-backend";

/** A stack setting with a value the program cannot use: which one, and the values it takes. */
export class SettingsError extends MailboxAddressesError {
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
  /** A shape the value must have, checked when settings are read (see {@link SETTING_FORMATS}). */
  readonly format?: SettingFormat;
}

/**
 * Shapes of setting values, checked when settings are read, so a bad endpoint is named by its key
 * and rule rather than by a client library's own error at the first request ("Invalid URL",
 * "Bearer token authentication is not permitted for non-TLS…"), or a stack trace in `up`.
 */
export type SettingFormat = "https-url" | "tenant-id";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/i;

/** Each format's check: the rule, in an admin's words, when the value breaks it. */
export const SETTING_FORMATS: Record<SettingFormat, (value: string) => string | undefined> = {
  "https-url": (value) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return "it must be an https:// URL (like https://graph.microsoft.com)";
    }
    // Tokens are sent to it: never in clear text (Azure SDK refuses bearer tokens over http).
    if (url.protocol !== "https:")
      return `it must be an https:// URL, not ${url.protocol.replace(/:$/, "")}:// (tokens are never sent in clear text)`;
    if (url.username !== "" || url.password !== "")
      return "it must not carry a user name or password (credentials come from the environment)";
    if (url.search !== "" || url.hash !== "") return "it must be a base URL, without ?query or #fragment";
    return undefined;
  },
  "tenant-id": (value) =>
    GUID.test(value) || DOMAIN.test(value)
      ? undefined
      : "it must be the directory (tenant) id, a GUID, or a domain name like contoso.onmicrosoft.com",
};

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

const shown = (value: string) => quote(value, 60);

/** Why `value` is refused for `setting`, in an admin's words; undefined when it is accepted. */
export function checkSettingValue(setting: TargetSetting, value: string): string | undefined {
  if (setting.values && !setting.values.includes(value)) {
    return `setting "${setting.key}" is ${shown(value)}${didYouMean(value, setting.values)}; use one of ${setting.values.join(", ")}`;
  }
  if (setting.positiveInteger && !/^[1-9]\d*$/.test(value.trim())) {
    return `setting "${setting.key}" is ${shown(value)}; use a whole number of at least 1`;
  }
  const broken = setting.format === undefined ? undefined : SETTING_FORMATS[setting.format](value);
  if (broken !== undefined) return `setting "${setting.key}" is ${shown(value)}; ${broken}`;
  return undefined;
}

/** Reads `definition`'s settings from `config`: defaults from its declarations, every value checked (SettingsError). */
export function readTargetSettings<S extends { readonly target: string }>(
  definition: TargetDefinition<S>,
  config: ConfigReader,
): S {
  const declared = (key: string): TargetSetting => {
    const setting = definition.settings.find((s) => s.key === key);
    // A programming error: the registry's unit test reads every target's settings.
    if (setting === undefined)
      throw new Error(`target "${definition.name}" reads setting "${key}", which it does not declare`);
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
      if (!(values as readonly string[]).includes(chosen))
        throw new Error(
          `target "${definition.name}": setting "${key}" declares values other than ${values.join(", ")}`,
        );
      return chosen as T;
    },
    positiveInteger: (key: string): number => {
      const setting = declared(key);
      if (!setting.positiveInteger)
        throw new Error(`target "${definition.name}": setting "${key}" is not declared positiveInteger`);
      return Number(value(key).trim());
    },
  });
}
