// Reads the stack's settings (`pulumi config set <key> <value>`): where the spec is and which
// tenant to converge. None of them is a secret; credentials come from AZURE_* variables. The
// program (infra/), the provider and the CLI all read them here; each target's own settings are in
// its definition (targets/<name>/target.ts).
import { didYouMean } from "../core/did-you-mean";
import {
  DEFAULT_TARGET,
  findTarget,
  readSettingsOf,
  TARGET_NAMES,
  TARGETS,
  type TargetName,
  type TargetSettings,
} from "../targets/registry";
import { checkSettingValue, SettingsError, type ConfigReader, type TargetSetting } from "../targets/target-definition";

/** The defaults of the settings every target shares. */
export const DEFAULTS = {
  spec: "infra/mailboxes.yaml",
  /**
   * How long a move waits for Exchange to free an address its giver just let go of (the release
   * lag: administrators report about an hour, MicrosoftDocs/OfficeDocs-Support#46), in seconds.
   */
  releaseWaitSeconds: 3600,
} as const;

export interface ProgramSettings {
  /** The spec file, relative to the project directory. */
  readonly spec: string;
  readonly target: TargetSettings;
  /** How long a taker's add waits through Exchange's release lag (seconds); absent: DEFAULTS.releaseWaitSeconds. */
  readonly releaseWaitSeconds?: number;
}

export { SettingsError, type ConfigReader };

/** The spec and the target's settings; the target reads its own (targets/registry.ts). */
export function readSettings(config: ConfigReader): ProgramSettings {
  const spec = config.get("spec") ?? DEFAULTS.spec;
  const name = config.get("target") ?? DEFAULT_TARGET;
  const definition = findTarget(name);
  if (definition === undefined) {
    throw new SettingsError(
      `config "target" is ${JSON.stringify(name.slice(0, 60))}${didYouMean(name, TARGET_NAMES)}; use ${TARGET_NAMES.map((n) => `"${n}"`).join(" or ")} (pulumi config set target ${DEFAULT_TARGET})`,
    );
  }
  const wait = config.get("releaseWaitSeconds");
  const releaseProblem = wait === undefined ? undefined : checkSettingValue(RELEASE_WAIT_SETTING, wait);
  if (releaseProblem !== undefined)
    throw new SettingsError(`${releaseProblem} (pulumi config set releaseWaitSeconds ${DEFAULTS.releaseWaitSeconds})`);
  return {
    spec,
    target: readSettingsOf(definition, config),
    ...(wait === undefined ? {} : { releaseWaitSeconds: Number(wait) }),
  };
}

/** One stack setting the project knows: `pulumi config set <key> <value>`. */
export interface DeclaredSetting extends TargetSetting {
  /** The target it applies to; "any" for every target. */
  readonly target: "any" | TargetName;
}

const RELEASE_WAIT_SETTING: DeclaredSetting = {
  key: "releaseWaitSeconds",
  target: "any",
  meaning:
    "how long a move's taker retries an address Exchange has not yet freed after its giver let go of it (the release lag), before the run stops and reports the move pending",
  default: String(DEFAULTS.releaseWaitSeconds),
  positiveInteger: true,
};

/** The settings of every target: where the spec is, which target, how long a move waits for a release. */
const COMMON_SETTINGS: readonly DeclaredSetting[] = [
  {
    key: "spec",
    target: "any",
    meaning: "the spec file, relative to the project",
    default: DEFAULTS.spec,
    flag: "--spec <file>",
  },
  {
    key: "target",
    target: "any",
    meaning: `which tenant: ${TARGETS.map((t) => `${t.name} (${t.summary})`).join(", ")}`,
    default: DEFAULT_TARGET,
    values: TARGET_NAMES,
  },
  RELEASE_WAIT_SETTING,
];

/**
 * Every stack setting of the project, in one place: keys under the project's namespace that are
 * not here are refused (with a did-you-mean), so a typo such as `targt` cannot go unnoticed. The
 * common ones are here; each target declares its own (targets/<name>/target.ts).
 */
export const DECLARED_SETTINGS: readonly DeclaredSetting[] = [
  ...COMMON_SETTINGS,
  ...TARGETS.flatMap((t) => t.settings.map((s): DeclaredSetting => ({ ...s, target: t.name }))),
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
    } else {
      const problem = checkSettingValue(declared, value);
      if (problem !== undefined) problems.push(problem);
    }
  }
  return problems;
}
