// The emulator command's defaults, apart from the command (./emulator-command.ts) so that the
// command line's declarations (./program.ts) name them without loading the emulator.

/**
 * The emulator's port unless --port says otherwise: fixed, as Azurite's are, so a stack's
 * settings printed once keep working after a restart. --port 0 picks a free one (tests).
 */
export const EMULATOR_DEFAULT_PORT = 10443;

/** The stack the printed settings are for: its own, so the dev stack keeps the local target. */
export const EMULATOR_DEFAULT_STACK = "emulator";
