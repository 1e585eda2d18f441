// The local target's settings as a type, its defaults and its description: what its backend reads,
// apart from the target's definition (./target.ts), which loads the backend; so neither imports the other.

/** Settings of the local target. */
export interface LocalTargetSettings {
  readonly target: "local";
  /** The SQLite file, relative to the project directory. */
  readonly database: string;
  /** Seed file used when the database is empty, relative to the project directory. */
  readonly seed: string;
}

/** Where the local tenant lives when the stack does not say. */
export const LOCAL_DEFAULTS = {
  localDatabase: ".tenant/local.sqlite",
  localSeed: "tenant/seeds/contoso.yaml",
} as const;

/** How messages name a local tenant. */
export function describeLocalTarget(settings: LocalTargetSettings): string {
  return `local tenant ${settings.database}`;
}
