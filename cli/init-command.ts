// `mailbox-addresses init [dir]`: scaffolds a GitOps repository of one's own that depends on this
// package: a Pulumi program that declares the spec as a MailboxAddressSpec component, Pulumi.yaml
// with `options.refresh: always` (so a plain `pulumi preview` sees drift), package.json pinning the
// package and @pulumi/pulumi, the spec (empty, or the tenant exported with --export), the stack's
// settings and the CI workflows, copied from the templates this package ships. A file that is
// already there is kept, so init also adds a second stack (`init --stack prod --target …`) to a
// repository it made. Nothing here runs Pulumi: the stack is created by `pulumi stack init`, on the
// state backend the user picks.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { anything, checkJson, fields, recordOf, type Checked } from "../core/json-check";
import { checkDeclaredSettings, DECLARED_SETTINGS, readSettings, SETTINGS_NAMESPACE } from "../reconcile/settings";
import { DEFAULT_SEED_FILE } from "../tenant/load-seed";
import { CliError } from "./cli-error";
import { OVERRIDE_FLAGS, type StackFlags, type StackSettings } from "./stack-settings";

/** What init reads of a package.json already in the folder: whether it depends on this package. */
const projectManifest = fields<{ dependencies?: Record<string, unknown> }>({}, { dependencies: recordOf(anything) });

/** This package's folder (the checkout, or node_modules/mailbox-addresses when installed). */
const PACKAGE_ROOT = path.resolve(__dirname, "../..");

/**
 * The CI templates init copies, folder by folder: every `.yml` of the first source folder that
 * exists goes to the repository's folder for that CI (`only`, when given, limits a folder to
 * those files).
 */
export const CI_TEMPLATES: readonly {
  readonly ci: string;
  readonly from: readonly { readonly dir: string; readonly only?: readonly string[] }[];
  readonly to: string;
}[] = [
  {
    ci: "GitHub Actions",
    from: [{ dir: "ci-templates/github" }],
    to: ".github/workflows",
  },
  {
    ci: "Azure DevOps Pipelines",
    from: [{ dir: "ci-templates/azure-devops" }],
    to: ".azure-pipelines",
  },
];

export interface InitOptions extends StackFlags {
  /** Export the stack's tenant into the spec instead of writing an empty one. */
  readonly export?: boolean;
  /** What package.json depends on for this package (default: this version, pinned). */
  readonly package?: string;
  /** Copy the CI workflows (default true; --no-ci leaves them out). */
  readonly ci?: boolean;
  readonly quiet?: boolean;
}

const DEFAULT_SPEC = "mailboxes.yaml";

/** A project name Pulumi accepts, from the folder's name. */
export function projectName(dir: string): string {
  const name = path
    .basename(path.resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[-.]+|[-.]+$/g, "");
  return name || "mailbox-addresses-gitops";
}

/** The stack settings init writes: the flags given, the spec, and for the local target the package's seed. */
export function initialSettings(options: InitOptions): Record<string, string> {
  const values: Record<string, string> = { target: options.target ?? "local", spec: options.spec ?? DEFAULT_SPEC };
  for (const [flag, key] of Object.entries(OVERRIDE_FLAGS)) {
    const value = (options as Readonly<Record<string, unknown>>)[flag];
    if (typeof value === "string" && key !== "target" && key !== "spec") values[key] = value;
  }
  if (values.target === "local") {
    values.localDatabase ??= ".tenant/local.sqlite";
    // The seed ships with the package: under node_modules once `npm install` has run.
    values.localSeed ??= "node_modules/mailbox-addresses/tenant/seeds/contoso.yaml";
  }
  return values;
}

function own(file: string): string {
  return readFileSync(path.join(PACKAGE_ROOT, file), "utf8");
}

function packageJson(name: string, dependency: string): string {
  const ours = JSON.parse(own("package.json")) as {
    version: string;
    dependencies: Record<string, string>;
    engines: Record<string, string>;
  };
  return `${JSON.stringify(
    {
      name,
      private: true,
      description: "Exchange Online mailbox addresses, managed in git with mailbox-addresses",
      engines: ours.engines,
      dependencies: { "@pulumi/pulumi": ours.dependencies["@pulumi/pulumi"], "mailbox-addresses": dependency },
    },
    null,
    2,
  )}\n`;
}

function pulumiYaml(name: string): string {
  return `name: ${name}
description: Exchange Online mailbox addresses, managed in git (mailbox-addresses)
runtime:
  name: nodejs
  options:
    typescript: false
main: index.js
options:
  # Every preview and up reads the live tenant first: a plain \`pulumi preview --expect-no-changes\`
  # then fails on drift, and \`pulumi up\` repairs it. --refresh=false opts out for one run.
  refresh: always
`;
}

const INDEX_JS = `// The Pulumi program: the spec named by the stack's mailbox-addresses:spec setting, one
// MailboxAddresses resource per mailbox, every preview-time check first (npx mailbox-addresses --help).
const { MailboxAddressSpec } = require("mailbox-addresses");

const mailboxes = new MailboxAddressSpec("mailboxes");

exports.mailboxes = mailboxes.mailboxCount;
`;

const GITIGNORE = `node_modules/
.tenant/
plan.json
plan.md
drift.md
`;

function emptySpec(schema: string, target: string): string {
  return `# yaml-language-server: $schema=${schema}
# The mailboxes this repository manages: one entry per mailbox, its primary address and aliases.
# Adopt a tenant's mailboxes with: npx mailbox-addresses export -o ${DEFAULT_SPEC}
version: 1
allowedDomains: [contoso.com]${target === "local" ? "  # the local tenant's domains: contoso.com, fabrikam.com, contoso.onmicrosoft.com" : "  # replace with your tenant's accepted domains"}
defaults:
  mode: strict            # strict: unlisted SMTP aliases are removed; additive: they stay
mailboxes: {}
`;
}

/**
 * A CI template written for the stack init creates: the templates name the stack `prod` (the
 * PULUMI_STACK variable, the stack's settings file among the paths that trigger a run, the apply's
 * and the drift check's concurrency groups); init writes the stack it sets up instead.
 */
export function forStack(template: string, stack: string): string {
  return template
    .replace(/^(\s*PULUMI_STACK: )prod$/gm, `$1${stack}`)
    .replace(/\bPulumi\.prod\.yaml\b/g, `Pulumi.${stack}.yaml`)
    .replace(/\b(mailbox-addresses(?:-drift)?)-prod\b/g, `$1-${stack}`);
}

function stackFile(settings: Readonly<Record<string, string>>): string {
  return `config:\n${Object.entries(settings)
    .map(([key, value]) => `  ${SETTINGS_NAMESPACE}:${key}: ${JSON.stringify(value)}`)
    .join("\n")}\n`;
}

export async function runInit(dir: string | undefined, options: InitOptions): Promise<number> {
  const root = path.resolve(dir ?? ".");
  const stack = options.stack ?? "dev";
  if (!/^[A-Za-z0-9_.-]+$/.test(stack))
    throw new CliError(`--stack "${stack}": a stack name is letters, digits, '-', '_' and '.'`);
  const settings = initialSettings(options);
  const problems = checkDeclaredSettings(settings);
  if (problems.length > 0) throw new CliError(problems.join("; "));
  let program: ReturnType<typeof readSettings>;
  try {
    program = readSettings({
      get: (key) => settings[key],
      require: (key) => {
        const flag = DECLARED_SETTINGS.find((s) => s.key === key)?.flag?.split(" ")[0];
        const value = settings[key];
        if (value === undefined)
          throw new CliError(`target "${settings.target}" needs the setting "${key}"${flag ? `: pass ${flag}` : ""}`);
        return value;
      },
    });
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError((err as Error).message);
  }
  if (path.isAbsolute(settings.spec!) || settings.spec!.startsWith(".."))
    throw new CliError(`--spec ${settings.spec}: the spec is a file inside the repository, named relative to it`);
  // Another project (this checkout's, or any that does not depend on the package) is left alone.
  const manifest = path.join(root, "package.json");
  if (existsSync(manifest)) {
    let read: Checked<{ dependencies?: Record<string, unknown> }>;
    try {
      read = checkJson(readFileSync(manifest, "utf8"), projectManifest);
    } catch (err) {
      read = { ok: false, problem: `cannot be read (${(err as Error).message})` };
    }
    if (!read.ok)
      throw new CliError(
        `${manifest} ${read.problem}: init writes a new repository (name an empty or new folder), or adds a stack to one it made`,
      );
    if (read.value.dependencies?.["mailbox-addresses"] === undefined) {
      throw new CliError(
        `${root} holds a package.json that does not depend on mailbox-addresses: init writes a new repository (name an empty or new folder), or adds a stack to one it made`,
      );
    }
  }
  const name = projectName(root);
  const version = (JSON.parse(own("package.json")) as { version: string }).version;
  const wrote: string[] = [];
  const kept: string[] = [];
  // What this run made, undone in reverse if a step fails: a failed init leaves nothing half-made.
  const made: string[] = [];
  const makeDir = (dir: string) => {
    const missing: string[] = [];
    for (let d = dir; !existsSync(d); d = path.dirname(d)) missing.unshift(d);
    mkdirSync(dir, { recursive: true });
    made.push(...missing);
  };
  const write = (file: string, text: string) => {
    const full = path.join(root, file);
    if (existsSync(full)) {
      kept.push(file);
      return;
    }
    makeDir(path.dirname(full));
    writeFileSync(full, text);
    made.push(full);
    wrote.push(file);
  };
  const specFile = settings.spec!;
  try {
    makeDir(root);
    const schema = path
      .relative(
        path.dirname(path.join(root, specFile)),
        path.join(root, "node_modules/mailbox-addresses/schemas/mailboxes.schema.json"),
      )
      .split(path.sep)
      .join("/");
    // The export first: it is the step that reads a tenant, so the one likeliest to fail.
    if (options.export && !existsSync(path.join(root, specFile))) {
      // The tenant as it is: a spec that previews with zero changes (as `export` writes it).
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- export opens a tenant: loaded only when asked for
      const { exportSpec } = require("./export-command") as typeof import("./export-command");
      // The local tenant is created here from the seed this package ships: the seed the settings
      // name (under node_modules) exists only once `npm install` has run, and is the same file.
      const target =
        program.target.target === "local" && !existsSync(path.resolve(root, program.target.seed))
          ? { ...program.target, seed: DEFAULT_SEED_FILE }
          : program.target;
      const database = program.target.target === "local" ? path.resolve(root, program.target.database) : undefined;
      const stackSettings: StackSettings = { ...program, target, stack, root, secrets: [] };
      makeDir(path.dirname(path.join(root, specFile)));
      if (database !== undefined) {
        makeDir(path.dirname(database));
        if (!existsSync(database))
          made.push(...["", "-wal", "-shm", "-journal", ".created"].map((suffix) => database + suffix));
      }
      made.push(path.join(root, specFile));
      await exportSpec(
        stackSettings,
        { output: path.join(root, specFile), ...(options.quiet ? { quiet: true } : {}) },
        schema,
      );
      wrote.push(`${specFile} (exported from the ${settings.target} tenant)`);
    } else write(specFile, emptySpec(schema, settings.target!));
    write("package.json", packageJson(name, options.package ?? version));
    write("Pulumi.yaml", pulumiYaml(name));
    write("index.js", INDEX_JS);
    write(".gitignore", GITIGNORE);
    write(`Pulumi.${stack}.yaml`, stackFile(settings));
    if (options.ci !== false) {
      for (const template of CI_TEMPLATES) {
        const source = template.from.find((s) => existsSync(path.join(PACKAGE_ROOT, s.dir)));
        if (source === undefined)
          throw new CliError(
            `this package has no ${template.ci} templates (${template.from.map((s) => s.dir).join(", ")}); init --no-ci leaves them out`,
          );
        const files = readdirSync(path.join(PACKAGE_ROOT, source.dir)).filter(
          (f) => f.endsWith(".yml") && (source.only === undefined || source.only.includes(f)),
        );
        for (const file of files.sort())
          write(
            path.join(template.to, file),
            forStack(readFileSync(path.join(PACKAGE_ROOT, source.dir, file), "utf8"), stack),
          );
      }
    }
  } catch (err) {
    for (const file of made.reverse()) rmSync(file, { recursive: true, force: true });
    throw err;
  }
  const out = process.stdout;
  const where = path.relative(process.cwd(), root) || ".";
  out.write(
    `initialized ${where} (Pulumi project "${name}", stack settings for "${stack}", target ${settings.target})\n`,
  );
  for (const file of wrote) out.write(`  wrote ${file}\n`);
  for (const file of kept) out.write(`  kept  ${file} (already there)\n`);
  const steps: [string, string][] = [
    ...(where === "." ? [] : [[`cd ${where}`, ""] as [string, string]]),
    ["npm install", "the package and the Pulumi SDK; commit package-lock.json (CI runs npm ci)"],
    ["pulumi login --local", "or your state backend: Pulumi Cloud, azblob://…, s3://…"],
    [
      `pulumi stack init ${stack}`,
      `keeps the settings in Pulumi.${stack}.yaml; asks for a passphrase (PULUMI_CONFIG_PASSPHRASE in CI)`,
    ],
    [`npx mailbox-addresses validate ${specFile}`, ""],
    ["npx mailbox-addresses plan", "pulumi preview, per mailbox (exit 2: changes)"],
    ["pulumi up", "applies; a plain pulumi preview --expect-no-changes then checks drift"],
    ["npx mailbox-addresses drift", "the spec against the live tenant"],
  ];
  const width = Math.max(...steps.map(([command]) => command.length));
  out.write(
    `\nNext:\n${steps.map(([command, why]) => `  ${why ? `${command.padEnd(width)}  # ${why}` : command}`).join("\n")}\n`,
  );
  return 0;
}
