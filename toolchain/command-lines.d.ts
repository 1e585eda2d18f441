// Types of toolchain/command-lines.js, for the TypeScript entry points (harness/command-line.ts).
export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly short?: string;
  readonly value?: string;
  readonly multiple?: boolean;
  readonly help: string;
}
export interface CommandSpec {
  readonly command: string;
  readonly summary: string;
  readonly usage: readonly string[];
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly positionals?: string;
  readonly writes: string;
  readonly examples: readonly string[];
  readonly notes?: readonly string[];
}
export type ParsedValues = Record<string, string | boolean | string[] | boolean[] | undefined>;
export interface Parsed {
  readonly help: false;
  readonly values: ParsedValues;
  readonly positionals: string[];
}
export declare const COMMANDS: Readonly<Record<string, CommandSpec>>;
export declare const SCALE_SCRIPTS: readonly string[];
export declare class UsageError extends Error {}
export declare function formatUsage(spec: CommandSpec): string;
export declare function parseCommandLine(
  name: string,
  argv: readonly string[],
): Parsed | { readonly help: true; readonly usage: string };
export declare function benchCommandLine(argv: readonly string[]): { name: string; args: string[] };
export declare function parseOrExit(name: string, argv: readonly string[]): Parsed;
