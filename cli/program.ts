// The command line, declared with commander: every command and subcommand, its options, its
// help with examples, and what the process exits with. Each command's code lives in its own
// file and is loaded only when that command runs (validate and tenant need no Pulumi).
import { existsSync } from "node:fs";
import path from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { FAULT_SETTING_HELP } from "../emulator/faults";
import { DECLARED_SETTINGS } from "../reconcile/settings";
import { TARGET_NAMES } from "../targets/registry";
import { toolCommands } from "../runtime/commands-here";
import { findProjectRoot } from "../runtime/project-root";
import { EMULATOR_DEFAULT_PORT, EMULATOR_DEFAULT_STACK } from "./emulator-defaults";

/** What every run resolves to: the exit code (0 nothing to do, 2 changes or drift, 1 problems). */
export interface Outcome {
  code: number;
}

const EXIT_CODES = `
Exit codes: 0 nothing to do, 2 changes or drift, 1 problems (and any usage error).
`;

const STACK_HELP = `the stack whose settings (spec, target, tenant) to use; it must exist (default: $PULUMI_STACK, else dev)`;

/** --stack's value: a name, never empty (an empty one would read no stack, or the wrong one). */
function stackName(value: string): string {
  if (value.trim() === "")
    throw new InvalidArgumentError("a stack name is needed, not an empty one (pulumi stack ls lists them)");
  return value;
}

/** The --stack option, with `help` as its help text. */
function stackOption(help: string, fallback?: string): Option {
  const option = new Option("--stack <name>", help).argParser(stackName);
  return fallback === undefined ? option : option.default(fallback);
}

/**
 * The spec the examples name, as it is where the user stands: this checkout keeps it in infra/,
 * a repository made by `init` at its top.
 */
function specExample(): string {
  return existsSync(path.join(findProjectRoot(), "infra", "mailboxes.yaml"))
    ? "infra/mailboxes.yaml"
    : "mailboxes.yaml";
}

/**
 * A policy the examples can name, as it is where the user stands: this checkout has one in
 * examples/policies/ (the stack's own spec has none); elsewhere, the user's own.
 */
function policyExample(): string {
  const example = "examples/policies/stage-3-upn.yaml";
  return existsSync(path.join(findProjectRoot(), example))
    ? `--spec ${example} --policy typo-domain`
    : "--policy <name>";
}

/**
 * The examples, each naming the tool as it runs where the user stands: scripts/mailbox-addresses
 * in this checkout (it sets the toolchain up), npx mailbox-addresses elsewhere.
 */
function examples(...lines: string[]): string {
  const tool = toolCommands().tool;
  const here = (line: string) => line.replace(/(^|&& )(?:npx )?mailbox-addresses /g, `$1${tool} `);
  return `\nExamples:\n${lines.map((l) => `  ${here(l)}`).join("\n")}\n`;
}

/** The emulator's fault settings, one a line, from the list its parser checks against. */
function faultSettingsHelp(): string {
  const width = Math.max(...Object.keys(FAULT_SETTING_HELP).map((k) => k.length));
  return `\nFault settings (--faults, or at run time PUT /_emulator/faults):\n${Object.entries(FAULT_SETTING_HELP)
    .map(([key, text]) => `  ${key.padEnd(width)}  ${text}`)
    .join("\n")}\n`;
}

function lazy<T>(load: () => T): () => T {
  return load;
}

// Each command loads what it uses when it runs, so `--help` and `validate` stay fast.
/* eslint-disable @typescript-eslint/no-require-imports */
const commands = {
  init: lazy(() => require("./init-command") as typeof import("./init-command")),
  validate: lazy(() => require("./validate-command") as typeof import("./validate-command")),
  export: lazy(() => require("./export-command") as typeof import("./export-command")),
  drift: lazy(() => require("./drift-command") as typeof import("./drift-command")),
  expand: lazy(() => require("./expand-command") as typeof import("./expand-command")),
  plan: lazy(() => require("./plan-command") as typeof import("./plan-command")),
  apply: lazy(() => require("./apply-command") as typeof import("./apply-command")),
  accept: lazy(() => require("./accept-command") as typeof import("./accept-command")),
  tenant: lazy(() => require("./tenant-command") as typeof import("./tenant-command")),
  emulator: lazy(() => require("./emulator-command") as typeof import("./emulator-command")),
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** --stack and the flags that override one of its settings for one run (each setting declares its flag). */
function stackOptions(command: Command): Command {
  command
    .addOption(stackOption(STACK_HELP))
    .addOption(new Option("--target <target>", "override the stack's target").choices(TARGET_NAMES));
  for (const setting of DECLARED_SETTINGS) {
    if (setting.flag)
      command.option(
        setting.flag,
        `override the stack's ${setting.key}${setting.target === "any" ? "" : ` (${setting.target} target)`}`,
      );
  }
  return command;
}

function outputOptions(command: Command): Command {
  return command
    .addOption(new Option("--json", "the report as JSON (schemas/report.schema.json)").conflicts("markdown"))
    .option("--markdown", "the report as Markdown for a pull-request comment")
    .option("--all", "list every mailbox in the table, not only those with something to say");
}

/** Builds the program; `outcome.code` is set by the command that runs. */
export function buildProgram(version: string, outcome: Outcome): Command {
  const program = new Command("mailbox-addresses");
  const run = (code: number | Promise<number>) => Promise.resolve(code).then((c) => void (outcome.code = c));
  program
    .description(
      "GitOps for Exchange Online mailbox addresses: check a spec, adopt a tenant, report drift, preview a change.",
    )
    .version(version, "-V, --version", "print the version")
    .helpOption("-h, --help", "show help for a command")
    .helpCommand("help [command]", "show help for a command")
    .option("-q, --quiet", "no progress and no notes on stderr; errors and results only")
    .option("--verbose", "more detail: the engine's output for plan, stack traces for unexpected errors")
    // Set before the commands are added: they inherit these.
    .exitOverride()
    .showSuggestionAfterError(true)
    .showHelpAfterError("(add --help for usage and examples)")
    .configureHelp({ showGlobalOptions: true })
    .addHelpText(
      "after",
      `${EXIT_CODES}${examples(
        `mailbox-addresses validate ${specExample()}`,
        "mailbox-addresses drift --stack prod --markdown",
        `mailbox-addresses expand ${policyExample()}`,
        "mailbox-addresses plan --json",
        "mailbox-addresses export --domain fabrikam.com -o adopted.yaml",
        "mailbox-addresses tenant show mark.wilson@contoso.com",
        "mailbox-addresses help drift",
      )}`,
    );
  const globals = (command: Command) => command.optsWithGlobals() as { quiet?: boolean; verbose?: boolean };

  stackOptions(
    program
      .command("init")
      .summary("scaffold a GitOps repository of your own that depends on this package")
      .description(
        "Writes, in DIR (default: here), a Pulumi project that declares the spec with this package's MailboxAddressSpec component: package.json pinning the package and @pulumi/pulumi, Pulumi.yaml (options.refresh: always, so a plain pulumi preview sees drift), index.js, the spec (empty, or the stack's tenant exported with --export), the stack's settings (Pulumi.<stack>.yaml) and the CI workflows for GitHub Actions and Azure DevOps. Files already there are kept, so init also adds a stack's settings to a repository it made. Then: npm install, pulumi stack init <stack>.",
      )
      .argument("[dir]", "the repository's folder (created if missing)")
      .option("--export", "the spec is the tenant as it is (export), not an empty one")
      .option(
        "--package <spec>",
        "what package.json depends on for mailbox-addresses (default: this version; e.g. file:../mailbox-addresses-0.2.0.tgz)",
      )
      .option("--no-ci", "leave out the CI workflows"),
  )
    .addHelpText(
      "after",
      `\nExit codes: 0 written, 1 problems (and any usage error).\n${examples(
        "npx mailbox-addresses init mailboxes-gitops",
        "npx mailbox-addresses init --stack prod --target exchange-online --tenant-id <id> --client-id <id> --export",
      )}`,
    )
    .action((dir: string | undefined, _options: unknown, command: Command) =>
      run(commands.init().runInit(dir, { ...command.opts(), ...globals(command) })),
    );

  program
    .command("validate")
    .summary("check spec files; exit 0 when valid, 1 with every problem")
    .description(
      "Checks spec files without Pulumi or a tenant: the schema, the rules, and, for several files (shards of one tenant, one stack each), that a mailbox and an address belong to one file only. Every problem is reported at once with file:line:col.",
    )
    .argument("<spec...>", "spec files (YAML)")
    .option(
      "--explain",
      "also print the one normalization table (what the tool does to an address: the domain compared in lower case; an opted-in international domain written as its A-label) and, with file:line:col, each address or domain of the spec a step applies to",
    )
    .addHelpText(
      "after",
      `\nExit codes: 0 valid, 1 problems (and any usage error).\n${examples(`mailbox-addresses validate ${specExample()}`, `mailbox-addresses validate ${existsSync(path.join(findProjectRoot(), "examples", "shards")) ? "examples/shards" : "shards"}/*.yaml`, `mailbox-addresses validate --explain ${specExample()}`)}`,
    )
    .action((files: string[], options: { explain?: boolean }) =>
      run(commands.validate().runValidate(files, { explain: options.explain === true })),
    );

  stackOptions(
    program
      .command("export")
      .summary("write a spec for the tenant as it is (adopt it into git)")
      .description(
        "Reads every mailbox of the stack's tenant and writes a spec that previews with zero changes, to stdout or a file. The file names the spec's JSON Schema for editors (yaml-language-server).",
      ),
  )
    .option("--domain <domain>", "only mailboxes with an SMTP address on this domain")
    .option("--upn <pattern>", "only mailboxes whose UPN matches (* matches anything)")
    .option(
      "--type <type>",
      "only recipients of this kind (RecipientTypeDetails): UserMailbox, SharedMailbox, RoomMailbox, EquipmentMailbox, MailUniversalDistributionGroup, MailUniversalSecurityGroup, GroupMailbox, DynamicDistributionGroup, MailUser, MailContact",
    )
    .option("-o, --output <file>", "write to this file instead of stdout")
    .option(
      "--policies",
      "where most mailboxes of a primary domain follow one pattern (%m@domain), write it as a policy and only the exceptions as entries; previews with zero changes",
    )
    .addHelpText(
      "after",
      examples(
        "mailbox-addresses export -o adopted.yaml",
        "mailbox-addresses export --policies -o adopted.yaml",
        "mailbox-addresses export --domain fabrikam.com --type SharedMailbox",
        "mailbox-addresses export --stack prod --upn 'sales*'",
      ),
    )
    .action((_options: unknown, command: Command) =>
      run(commands.export().runExport({ ...command.opts(), ...globals(command) })),
    );

  outputOptions(
    stackOptions(
      program
        .command("drift")
        .summary("compare the spec with the live tenant, without Pulumi; exit 0 in sync, 2 drift, 1 problems")
        .description(
          "Reads the mailboxes the stack's spec names and compares them with the spec, with the planner pulumi preview uses: it agrees with pulumi preview --refresh, without the engine.",
        ),
    ).option(
      "--type <type>",
      "only recipients of this kind (RecipientTypeDetails): UserMailbox, SharedMailbox, RoomMailbox, EquipmentMailbox, MailUniversalDistributionGroup, MailUniversalSecurityGroup, GroupMailbox, DynamicDistributionGroup, MailUser, MailContact",
    ),
  )
    .addHelpText(
      "after",
      `${EXIT_CODES}${examples("mailbox-addresses drift", "mailbox-addresses drift --type GroupMailbox", "mailbox-addresses drift --stack prod --markdown > drift.md", "mailbox-addresses drift --json --all")}`,
    )
    .action((_options: unknown, command: Command) =>
      run(commands.drift().runDrift({ ...command.opts(), ...globals(command) })),
    );

  stackOptions(
    program
      .command("expand")
      .summary("print the spec with its policies expanded: what each mailbox gets, and from which policy")
      .description(
        "Reads the attributes the stack's spec's policies match and template on (given name, surname, alias, department…) for every mailbox of the stack's tenant, in one pass, and prints the expanded spec: explicit entries, then each mailbox a policy manages (keyed by object id), each address commented with the policy that gave it. Put it in a pull request to show what a policy change does. The output is itself a valid spec. Templates, collisions and unaccepted domains are errors at the policy's file:line:col.",
      ),
  )
    .option("--policy <name>", "only the mailboxes this policy gives addresses to")
    .option("-o, --output <file>", "write to this file instead of stdout")
    .addHelpText(
      "after",
      `\nExit codes: 0 expanded, 1 problems (and any usage error).\n${examples("mailbox-addresses expand", `mailbox-addresses expand ${policyExample()}`, "mailbox-addresses expand --stack prod -o expanded.yaml && git diff --no-index old.yaml expanded.yaml")}`,
    )
    .action((_options: unknown, command: Command) =>
      run(commands.expand().runExpand({ ...command.opts(), ...globals(command) })),
    );

  outputOptions(
    program
      .command("plan")
      .summary("run pulumi preview and show it per mailbox; exit 0/2/1")
      .description(
        "Runs pulumi preview of the stack and shows, per mailbox, the primary from → to, the aliases added and removed, and the problems found. With --changed-since, only the mailboxes the change touches are read, declared and passed as --target.",
      )
      .addOption(stackOption(STACK_HELP))
      .option("--refresh", "read the live tenant first (pulumi preview --refresh)")
      .option("--save <file>", "also write the JSON report to this file: the reviewed plan an apply can hold to")
      .option(
        "--type <type>",
        "only recipients of this kind (RecipientTypeDetails): UserMailbox, SharedMailbox, RoomMailbox, EquipmentMailbox, MailUniversalDistributionGroup, MailUniversalSecurityGroup, GroupMailbox, DynamicDistributionGroup, MailUser, MailContact",
      )
      .option(
        "--changed-since <ref>",
        "targeted: plan only the mailboxes the spec's change since this git ref touches (widened to every mailbox, saying why, when a stack-wide setting changed)",
      ),
  )
    .addHelpText(
      "after",
      `${EXIT_CODES}${examples("mailbox-addresses plan", "mailbox-addresses plan --refresh --markdown > plan.md", "mailbox-addresses plan --stack prod --json", "mailbox-addresses plan --markdown --save plan.json > plan.md", "mailbox-addresses plan --changed-since origin/main --markdown --save plan.json > plan.md")}`,
    )
    .action((_options: unknown, command: Command) =>
      run(commands.plan().runPlan({ ...command.opts(), ...globals(command) })),
    );

  program
    .command("apply")
    .summary("run pulumi up held to a saved plan (targeted when the plan is); exit 0 applied, 1 refused or failed")
    .description(
      "Runs pulumi up of the plan's stack, refusing anything the saved plan (plan --save) did not show. A targeted plan (plan --changed-since) is applied to the same change set: the same mailboxes declared and passed as --target, without refresh; the others are neither read by the engine nor written, and their state entries stay as they are.",
    )
    .requiredOption("--plan <file>", "the plan saved by mailbox-addresses plan --save")
    .addOption(stackOption("the stack; it must be the one the plan was made for (default: the plan's)"))
    .addHelpText(
      "after",
      `\nExit codes: 0 applied (or nothing to apply), 1 refused or failed (and any usage error).\n${examples("mailbox-addresses plan --changed-since origin/main --save plan.json && mailbox-addresses apply --plan plan.json", "mailbox-addresses apply --plan plan.json --stack prod")}`,
    )
    .action((_options: unknown, command: Command) =>
      run(commands.apply().runApply({ ...(command.opts() as { plan: string; stack?: string }), ...globals(command) })),
    );

  stackOptions(
    program
      .command("accept")
      .summary("accept drift: rewrite mailboxes' entries in the spec to what the tenant has")
      .description(
        "For each named mailbox (as drift lists them), reads it from the stack's tenant and rewrites its entry in the stack's spec in place, comments and order kept, so the spec says what the tenant has; commit it for review. The other remedy, reverting the tenant, is pulumi up.",
      )
      .argument("[identity...]", "mailboxes the spec declares")
      .option("--all", "every mailbox of the spec"),
  )
    .addHelpText(
      "after",
      `\nExit codes: 0 accepted (or nothing to accept), 1 problems (and any usage error).\n${examples("mailbox-addresses accept support@contoso.com", "mailbox-addresses accept --stack prod --all")}`,
    )
    .action((identities: string[], _options: unknown, command: Command) =>
      run(commands.accept().runAccept(identities, { ...command.opts(), ...globals(command) })),
    );

  const tenant = program
    .command("tenant")
    .summary("an admin's hand on the local tenant: show, set, add, remove, seed, reset")
    .description(
      "Reads and changes the embedded local tenant (a SQLite file, .tenant/local.sqlite in the project unless --database says otherwise) as an admin would, under Exchange's rules: to make drift on purpose in demos and tests.",
    )
    .addHelpText(
      "after",
      examples(
        "mailbox-addresses tenant show mark.wilson@contoso.com",
        "mailbox-addresses tenant add mark.wilson@contoso.com smtp:rogue@contoso.com",
        "mailbox-addresses tenant reset",
      ),
    );
  const database = (command: Command) =>
    command
      .option(
        "--database <file>",
        "the local tenant's database, relative to the project (the folder of Pulumi.yaml) (default .tenant/local.sqlite)",
      )
      .option(
        "--seed <file>",
        "seed used when the database is empty, relative to the project (default: the shipped tenant/seeds/contoso.yaml)",
      );
  database(
    tenant.command("show").description("show a mailbox of the local tenant").argument("<identity>", "UPN or object id"),
  )
    .addHelpText(
      "after",
      examples(
        "mailbox-addresses tenant show mark.wilson@contoso.com",
        "mailbox-addresses tenant show sales@contoso.com --database /tmp/other.sqlite",
      ),
    )
    .action((identity: string, options: object) => run(commands.tenant().runTenantShow(identity, options)));
  const writes = [
    [
      "set",
      "replace its EmailAddresses (entries with prefixes: SMTP:, smtp:, X500:...)",
      "tenant set lee.chen@contoso.com SMTP:lee.chen@contoso.com smtp:lee@contoso.com",
    ],
    [
      "add",
      "add entries (Set-Mailbox -EmailAddresses @{Add=...})",
      "tenant add mark.wilson@contoso.com smtp:rogue@contoso.com",
    ],
    ["remove", "remove entries (@{Remove=...})", "tenant remove mark.wilson@contoso.com smtp:rogue@contoso.com"],
  ] as const;
  for (const [action, summary, example] of writes) {
    database(
      tenant
        .command(action)
        .description(summary)
        .argument("<identity>", "UPN or object id")
        .argument("<entry...>", "EmailAddresses entries, with their prefix"),
    )
      .addHelpText("after", examples(`mailbox-addresses ${example}`))
      .action((identity: string, entries: string[], options: object) =>
        run(commands.tenant().runTenantWrite(action, identity, entries, options)),
      );
  }
  database(
    tenant
      .command("seed")
      .description("(re)load the local tenant from a seed file")
      .argument("[seed.yaml]", "a seed (schemas/tenant-seed.schema.json); default the shipped one"),
  )
    .addHelpText(
      "after",
      examples("mailbox-addresses tenant seed", "mailbox-addresses tenant seed my-seed.yaml --database /tmp/t.sqlite"),
    )
    .action((file: string | undefined, options: object) => run(commands.tenant().runTenantSeed(file, options)));
  database(tenant.command("reset").description("delete the local tenant; the next use seeds it afresh"))
    .addHelpText("after", examples("mailbox-addresses tenant reset"))
    .action((options: object) => run(commands.tenant().runTenantReset(options)));

  program
    .command("emulator")
    .summary("run the HTTPS emulator of the Microsoft endpoints on 127.0.0.1")
    .description(
      `Serves the Microsoft identity platform, Microsoft Graph (users) and the Exchange admin API over the local tenant model, on 127.0.0.1:${EMULATOR_DEFAULT_PORT} unless --port says otherwise, and prints the environment and the settings of a stack that targets it. Stops on Ctrl-C.`,
    )
    .option("--port <port>", `the port on 127.0.0.1; 0 picks a free one`, String(EMULATOR_DEFAULT_PORT))
    .addOption(stackOption("the stack the printed settings are for", EMULATOR_DEFAULT_STACK))
    .option(
      "--state-dir <dir>",
      "where the tenant database, keys and certificate are written, relative to the project (the folder of Pulumi.yaml) (default .tenant/emulator)",
    )
    .option("--seed <file>", "seed for a new tenant (default: the shipped tenant/seeds/contoso.yaml)")
    .option(
      "--faults <json>",
      `faults to inject, as JSON, e.g. '{"throttleRate":0.3,"retryAfterSeconds":1}'; the settings are listed below`,
    )
    .option(
      "--ad-url <url>",
      "an on-premises AD (LDAPS) whose synced users the emulator projects into its tenant, as Entra Connect does (bind account from MAILBOX_ADDRESSES_AD_BIND_DN / _PASSWORD)",
    )
    .option("--ad-ca-file <file>", "PEM file of the CA that issued the domain controller's certificate")
    .option("--ad-base-dn <dn>", "where the sync looks for users")
    .option("--sync-interval <seconds>", "sync on its own this often (default: only POST /_emulator/sync)")
    .addHelpText(
      "after",
      faultSettingsHelp() +
        examples(
          "mailbox-addresses emulator",
          'mailbox-addresses emulator --stack rehearsal --faults \'{"throttleRate":0.3,"retryAfterSeconds":1}\'',
          "mailbox-addresses emulator --port 0 --state-dir /tmp/emulator",
        ),
    )
    .action(
      (options: {
        port: string;
        stack: string;
        stateDir?: string;
        seed?: string;
        faults?: string;
        adUrl?: string;
        adCaFile?: string;
        adBaseDn?: string;
        syncInterval?: string;
      }) => {
        const emulator = commands.emulator();
        return run(emulator.runEmulatorCommand({ ...options, port: emulator.parsePort(options.port) }));
      },
    );

  return program;
}
