// mailbox-addresses: the command-line tool. Each command lives in its own file under cli/ and is
// loaded only when run: `validate` works on any Node.js, the tenant commands need Node >= 22.13.

export const USAGE = `usage: mailbox-addresses <command> [options]

commands:
  validate <spec.yaml>...          check spec files; exit 0 when valid, 1 with every problem
                                   (several files: shards of one tenant, checked together)
  export [--domain D] [--upn PATTERN] [--type T] [-o FILE]
                                   write a spec for the tenant as it is (adopt it into git)
  drift [--json|--markdown] [--all]
                                   compare the spec with the live tenant, without Pulumi;
                                   exit 0 in sync, 2 drift, 1 problems
  plan [--refresh] [--json|--markdown] [--all] [--save plan.json]
                                   run pulumi preview and show it per mailbox; exit 0/2/1
  accept <identity>... | --all     accept drift: rewrite those mailboxes' entries in the spec
                                   to what the tenant has (comments and order kept)
  tenant show <identity>           show a mailbox of the local tenant
  tenant set <identity> <entry>... replace its EmailAddresses (with prefixes: SMTP:, smtp:, X500:...)
  tenant add <identity> <entry>... add entries (Set-Mailbox -EmailAddresses @{Add=...})
  tenant remove <identity> <entry>...  remove entries (@{Remove=...})
  tenant seed [seed.yaml]          (re)load the local tenant from a seed (default: the shipped one)
  tenant reset                     delete the local tenant; the next use seeds it afresh
  emulator [--port N] [--state-dir DIR] [--seed FILE] [--faults JSON]
                                   run the HTTPS emulator of the Microsoft endpoints on 127.0.0.1

Options for tenant commands: --database <file> (default .tenant/local.sqlite)
Options for export, drift, plan and accept: --stack <name> (default dev; its Pulumi.<name>.yaml gives the
  spec and the target), and to override it: --spec, --target, --database, --tenant-id,
  --client-id, --authority-host, --graph-url, --exchange-url
`;

type Command = (args: readonly string[]) => number | Promise<number>;

/** Each command's module, loaded only when that command runs. */
const COMMANDS: Record<string, () => Command> = {
  validate: () => (require("./validate-command") as typeof import("./validate-command")).runValidate,
  tenant: () => (require("./tenant-command") as typeof import("./tenant-command")).runTenantCommand,
  export: () => (require("./export-command") as typeof import("./export-command")).runExport,
  drift: () => (require("./drift-command") as typeof import("./drift-command")).runDrift,
  plan: () => (require("./plan-command") as typeof import("./plan-command")).runPlan,
  accept: () => (require("./accept-command") as typeof import("./accept-command")).runAccept,
  emulator: () => (require("./emulator-command") as typeof import("./emulator-command")).runEmulatorCommand,
};

/** Runs one command; resolves to the process exit code. */
export async function main(args: readonly string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command !== undefined && Object.hasOwn(COMMANDS, command)) return COMMANDS[command]!()(rest);
  if (command === undefined || ["help", "--help", "-h"].includes(command)) {
    process.stdout.write(USAGE);
    return command === undefined ? 1 : 0;
  }
  process.stderr.write(`unknown command "${command}"\n\n${USAGE}`);
  return 1;
}
