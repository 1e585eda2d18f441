// The one list of targets, and what everything else asks of it: which target a stack names, its
// settings, its description, its backend. A new target is one folder (`targets/<name>/target.ts`
// exporting a TargetDefinition, beside its backend) and one line in TARGETS; the settings union,
// the declared stack settings (reconcile/settings.ts), the CLI's --target choices and override flags
// and every message follow from it.
//
// Composition (a hybrid stack naming Exchange Online and Active Directory, each mailbox written
// where it is mastered) plugs in as one more entry, not a change here: ./hybrid/target.ts
// (`target: hybrid`), a definition whose settings are `{ target: "hybrid", members:
// [ExchangeOnlineTargetSettings, ActiveDirectoryTargetSettings] }`, each member's read with
// `readTargetSettings(member, config.source)` (keys are unique across targets, which the registry's
// unit test checks, so members never collide); whose `describe` joins its members'; whose
// capabilities are the union of theirs (cloudManaged from Exchange Online); and whose `create`
// builds each member with its definition's `create` (the members' clients load only then, as the
// other targets') and returns a routing TenantBackend: reads from every member, each write to the one
// that masters the mailbox (`synced` ones to AD; cloud-only and `cloudManaged` ones to Exchange
// Online). Nothing below assumes that a backend talks to one tenant or that settings name one.
import { findProjectRoot } from "../runtime/project-root";
import { activeDirectoryTarget } from "./active-directory/target";
import { exchangeOnlineTarget } from "./exchange-online/target";
import { hybridTarget } from "./hybrid/target";
import { localTarget } from "./local/target";
import { readTargetSettings, type BackendContext, type ConfigReader, type TargetDefinition } from "./target-definition";
import type { TenantBackend } from "./tenant-backend";

/** Every target, in the order messages list them. */
export const TARGETS = [localTarget, exchangeOnlineTarget, activeDirectoryTarget, hybridTarget] as const;

/** The settings of one target: the union over TARGETS, told apart by `target`. */
export type TargetSettings = (typeof TARGETS)[number] extends infer D
  ? D extends TargetDefinition<infer S>
    ? S
    : never
  : never;

/** A target's name, the value of the `target` setting. */
export type TargetName = TargetSettings["target"];

/** The names, in registry order: `local`, `exchange-online`, `active-directory`, `hybrid`. */
export const TARGET_NAMES: readonly TargetName[] = TARGETS.map((t) => t.name);

/** The target of a stack that does not set `target`. */
export const DEFAULT_TARGET: TargetName = localTarget.name;

/** The definition of the target called `name`; undefined when there is none. */
export function findTarget(name: string): TargetDefinition<TargetSettings> | undefined {
  // Each definition reads only settings whose `target` is its name (see readSettingsOf), so the
  // definition found by name always receives its own kind of settings.
  return TARGETS.find((t) => t.name === name) as TargetDefinition<TargetSettings> | undefined;
}

/** The definition that `settings` belong to. */
export function targetOf(settings: TargetSettings): TargetDefinition<TargetSettings> {
  const definition = findTarget(settings.target);
  if (definition === undefined) throw new Error(`no target "${String(settings.target)}" in the registry`);
  return definition;
}

/** `definition`'s typed settings from `config`, checked against what it declares. */
export function readSettingsOf(definition: TargetDefinition<TargetSettings>, config: ConfigReader): TargetSettings {
  const settings = readTargetSettings(definition, config);
  if (settings.target !== definition.name)
    throw new Error(`target "${definition.name}" read settings of target "${settings.target}"`);
  return settings;
}

/** The tenant `settings` name, for messages: "local tenant .tenant/local.sqlite". */
export function describeTarget(settings: TargetSettings): string {
  return targetOf(settings).describe(settings);
}

/**
 * A new backend; the local target's relative paths resolve against the project directory.
 * `onRetryWait` hears of every retry wait of a network client (the CLI's progress line).
 */
export function createBackend(
  settings: TargetSettings,
  baseDir = findProjectRoot(),
  options: Omit<BackendContext, "baseDir"> = {},
): TenantBackend {
  const definition = targetOf(settings);
  const backend = definition.create(settings, { ...options, baseDir });
  // What the definition declares is what callers may rely on before a backend exists.
  const offered = Object.keys(backend.capabilities).sort().join(", ");
  const declared = [...definition.capabilities].sort().join(", ");
  if (offered !== declared)
    throw new Error(
      `target "${definition.name}" declares capabilities [${declared}] but its backend offers [${offered}]`,
    );
  return backend;
}
