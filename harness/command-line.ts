// The command line of a benchmark or of the hybrid lab, parsed with node:util parseArgs (strict)
// against its entry in toolchain/command-lines.js (the one table the shell scripts also check
// before any setup): --help/-h prints the usage and exits 0 before anything runs; an unknown
// option or a missing value is one line on stderr, exit 2.
import path from "node:path";
import type * as CommandLines from "../toolchain/command-lines";

// toolchain/ is plain JavaScript outside the build: read from the checkout this dist/ belongs to.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const lines = require(path.resolve(__dirname, "../../toolchain/command-lines.js")) as typeof CommandLines;

export interface CommandLine {
  /** A string option's value, or `fallback` when it is not given. */
  readonly text: (name: string, fallback: string) => string;
  /** Whether a boolean option is given. */
  readonly flag: (name: string) => boolean;
  readonly positionals: readonly string[];
}

/** Parses this process's arguments as `name` (a key of the table, e.g. "bench/scale/targeted-runs"). */
export function commandLine(name: string, argv: readonly string[] = process.argv.slice(2)): CommandLine {
  const { values, positionals } = lines.parseOrExit(name, argv);
  return {
    text: (option, fallback) => {
      const value = values[option];
      return typeof value === "string" ? value : fallback;
    },
    flag: (option) => values[option] === true,
    positionals,
  };
}
