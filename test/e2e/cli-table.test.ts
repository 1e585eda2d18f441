// The command-line contract, as a table: every command and subcommand × --help, an unknown
// option, a typo'd command, a stack that does not exist and a misspelt stack setting gives the
// exit code and the message the README documents (Errors and exit codes), and never a stack
// trace. Runs the real tool on a real stack (the real pulumi binary, a file backend).
import assert from "node:assert/strict";
import { appendFileSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { PROJECT_ROOT, TestStack, type CommandResult } from "../../harness/pulumi-stack";

/** A Node stack trace line: "    at fn (file.js:1:2)". */
const STACK_TRACE = /^\s+at .+:\d+:\d+\)?$/m;

interface Row {
  /** The command as typed, e.g. ["tenant", "show"]. */
  readonly command: readonly string[];
  /** Arguments that make it runnable apart from the column's own (an identity, a file). */
  readonly args: readonly string[];
  /** An unknown option close to a real one, and the real one. */
  readonly typoOption: readonly [string, string];
  /** The command with its last word misspelt. */
  readonly typoCommand: string;
  /** Whether it reads a stack's settings (export, drift, plan, accept). */
  readonly readsStack: boolean;
}

const ROWS: readonly Row[] = [
  {
    command: ["validate"],
    args: ["mailboxes.yaml"],
    typoOption: ["--hepl", "--help"],
    typoCommand: "valdate",
    readsStack: false,
  },
  { command: ["export"], args: [], typoOption: ["--outptu", "--output"], typoCommand: "exprot", readsStack: true },
  { command: ["drift"], args: [], typoOption: ["--jsn", "--json"], typoCommand: "drfit", readsStack: true },
  { command: ["plan"], args: [], typoOption: ["--refrsh", "--refresh"], typoCommand: "plna", readsStack: true },
  {
    command: ["accept"],
    args: ["support@contoso.com"],
    typoOption: ["--al", "--all"],
    typoCommand: "acept",
    readsStack: true,
  },
  {
    command: ["tenant", "show"],
    args: ["mark.wilson@contoso.com"],
    typoOption: ["--databse", "--database"],
    typoCommand: "shwo",
    readsStack: false,
  },
  {
    command: ["tenant", "set"],
    args: ["lee.chen@contoso.com", "SMTP:lee.chen@contoso.com", "smtp:lee.chen@contoso.onmicrosoft.com"],
    typoOption: ["--databse", "--database"],
    typoCommand: "sett",
    readsStack: false,
  },
  {
    command: ["tenant", "add"],
    args: ["lee.chen@contoso.com", "smtp:lee@contoso.com"],
    typoOption: ["--databse", "--database"],
    typoCommand: "ad",
    readsStack: false,
  },
  {
    command: ["tenant", "remove"],
    args: ["lee.chen@contoso.com", "smtp:lee@contoso.com"],
    typoOption: ["--databse", "--database"],
    typoCommand: "remvoe",
    readsStack: false,
  },
  {
    command: ["tenant", "seed"],
    args: [],
    typoOption: ["--databse", "--database"],
    typoCommand: "sede",
    readsStack: false,
  },
  {
    command: ["tenant", "reset"],
    args: [],
    typoOption: ["--databse", "--database"],
    typoCommand: "rest",
    readsStack: false,
  },
  { command: ["emulator"], args: [], typoOption: ["--prot", "--port"], typoCommand: "emulatr", readsStack: false },
];

function noStackTrace(result: CommandResult): void {
  assert.doesNotMatch(result.output, STACK_TRACE, `a stack trace:\n${result.output}`);
}

describe("the command-line table", () => {
  let stack: TestStack;
  before(() => {
    stack = new TestStack("cli-table");
    stack.seedTenant();
    stack.writeSpec(readFileSync(path.join(PROJECT_ROOT, "infra/mailboxes.yaml"), "utf8"));
  });
  after(() => stack?.dispose());
  /** The row's command with the stack's tenant database, where it has one. */
  const tenantArgs = (row: Row) => (row.command[0] === "tenant" ? ["--database", stack.database] : []);

  it("--version prints the package's version; no command prints the help and exits 1", () => {
    const version = stack.cli(["--version"]);
    assert.equal(version.code, 0);
    assert.equal(
      version.stdout.trim(),
      JSON.parse(readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")).version,
    );
    const bare = stack.cli([]);
    assert.equal(bare.code, 1);
    assert.match(bare.stderr, /Usage: mailbox-addresses \[options\] \[command\]/);
  });

  for (const row of ROWS) {
    const name = row.command.join(" ");
    describe(name, () => {
      it("--help and -h: usage with examples on stdout, exit 0", () => {
        for (const flag of ["--help", "-h"]) {
          const result = stack.cli([...row.command, flag]);
          assert.equal(result.code, 0, result.output);
          assert.match(result.stdout, new RegExp(`^Usage: mailbox-addresses ${name} `));
          // The tool as it runs where the user stands: npx mailbox-addresses in a stack's folder.
          assert.match(result.stdout, new RegExp(`Examples:\\n(  npx mailbox-addresses ${row.command[0]}\\b.*\\n)+`));
          noStackTrace(result);
        }
        // `help <command>` (`tenant help <subcommand>`) says the same.
        assert.equal(
          stack.cli([...row.command.slice(0, -1), "help", row.command.at(-1)!]).stdout,
          stack.cli([...row.command, "--help"]).stdout,
        );
      });

      it(`an unknown option (${row.typoOption[0]}): refused with ${row.typoOption[1]} suggested, exit 1`, () => {
        const result = stack.cli([...row.command, ...row.args, row.typoOption[0], "x"]);
        assert.equal(result.code, 1, result.output);
        assert.match(
          result.stderr,
          new RegExp(`^error: unknown option '${row.typoOption[0]}'\\n\\(Did you mean ${row.typoOption[1]}\\?\\)`),
        );
        noStackTrace(result);
      });

      it(`a typo'd command (${row.typoCommand}): refused with ${row.command.at(-1)} suggested, exit 1`, () => {
        const result = stack.cli([...row.command.slice(0, -1), row.typoCommand, ...row.args]);
        assert.equal(result.code, 1, result.output);
        assert.match(
          result.stderr,
          new RegExp(`^error: unknown command '${row.typoCommand}'\\n\\(Did you mean ${row.command.at(-1)}\\?\\)`),
        );
        noStackTrace(result);
      });

      it(
        row.readsStack
          ? "a stack that does not exist: refused with the closest stack, exit 1"
          : "--stack: not an option of this command, exit 1",
        () => {
          if (row.readsStack) {
            const typo = stack.stack.slice(0, -1);
            const result = stack.cli([...row.command, "--stack", typo]);
            assert.equal(result.code, 1, result.output);
            assert.match(
              result.stderr,
              new RegExp(
                `^error: stack "${typo}" does not exist \\(did you mean "${stack.stack}"\\?\\); the stacks are: ${stack.stack}\\. Create it with: pulumi stack init ${typo}\\n$`,
              ),
            );
            assert.equal(result.stdout, "");
            noStackTrace(result);
          } else if (row.command[0] === "emulator") {
            // The emulator has --stack: the stack its printed settings are for (test/e2e/emulator-command.test.ts).
            const help = stack.cli(["emulator", "--help"]);
            assert.match(
              help.stdout.replace(/\s+/g, " "),
              /--stack <name> the stack the printed settings are for \(default: "emulator"\)/,
            );
          } else {
            const result = stack.cli([...row.command, ...row.args, "--stack", "nosuch", ...tenantArgs(row)]);
            assert.equal(result.code, 1, result.output);
            assert.match(result.stderr, /^error: unknown option '--stack'/);
            noStackTrace(result);
          }
        },
      );
    });
  }

  describe("a misspelt setting in the stack (targt, maxConcurrancy)", () => {
    before(() =>
      appendFileSync(stack.configFile, '  mailbox-addresses:targt: local\n  mailbox-addresses:maxConcurrancy: "8"\n'),
    );
    for (const row of ROWS.filter((r) => r.readsStack)) {
      it(`${row.command.join(" ")}: refused, each key with the declared one it is closest to, exit 1`, () => {
        const result = stack.cli([...row.command]);
        assert.equal(result.code, 1, result.output);
        assert.match(
          result.stderr,
          new RegExp(`^error: stack "${stack.stack}" has settings this tool does not accept:\\n`),
        );
        assert.match(result.stderr, /unknown setting "mailbox-addresses:targt" \(did you mean "target"\?\)/);
        assert.match(
          result.stderr,
          /unknown setting "mailbox-addresses:maxConcurrancy" \(did you mean "maxConcurrency"\?\)/,
        );
        assert.equal(result.stdout, "");
        noStackTrace(result);
      });
    }
    it("validate and tenant read no stack: they run as usual", () => {
      assert.equal(stack.cli(["validate", stack.specFile]).code, 0);
      const show = stack.cli(["tenant", "show", "mark.wilson@contoso.com", "--database", stack.database]);
      assert.equal(show.code, 0, show.output);
      assert.match(show.stdout, /EmailAddresses:/);
    });
  });

  it("an unexpected failure is one message; --verbose adds the stack trace", () => {
    // A seed file that is a folder: a failure no command checks for.
    const plain = stack.cli(["tenant", "seed", stack.dir, "--database", path.join(stack.dir, "other.sqlite")]);
    assert.equal(plain.code, 1, plain.output);
    assert.match(
      plain.stderr,
      /^error: .+\n\(an unexpected error: run again with --verbose to see where it came from\)\n$/,
    );
    noStackTrace(plain);
    const verbose = stack.cli([
      "tenant",
      "seed",
      stack.dir,
      "--database",
      path.join(stack.dir, "other.sqlite"),
      "--verbose",
    ]);
    assert.equal(verbose.code, 1);
    assert.match(verbose.stderr, STACK_TRACE);
  });
});
