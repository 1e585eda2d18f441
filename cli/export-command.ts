// `mailbox-addresses export`: writes a spec for an existing tenant (or part of it) that previews
// with zero changes. The file starts with the yaml-language-server line that points editors at
// the spec's schema (completion, hover, checks as you type).
import { existsSync } from "node:fs";
import path from "node:path";
import { renderSpec, matchesFilter } from "../core/export/render-spec";
import { renderSpecWithPolicies } from "../core/export/propose-policies";
import { scanMailboxes } from "../reconcile/read-tenant";
import { CliError } from "./cli-error";
import { readingProgress, typeFilter } from "./drift-command";
import { openBackend } from "./open-backend";
import { count } from "./progress";
import { writeOutput } from "./report-output";
import { readStackSettings, type StackFlags, type StackSettings } from "./stack-settings";

export interface ExportOptions extends StackFlags {
  readonly domain?: string;
  readonly upn?: string;
  readonly type?: string;
  readonly output?: string;
  readonly quiet?: boolean;
  /** Write a policy where most mailboxes of a primary domain follow one pattern, and only the exceptions as entries. */
  readonly policies?: boolean;
}

/**
 * The schema's path as the yaml-language-server line writes it: relative to the folder of the
 * file written, or, on stdout, of the stack's spec (where an adopted export usually goes).
 */
export function schemaReference(root: string, writtenTo: string): string {
  // This checkout has the schema in schemas/; a repository of one's own, in the installed package;
  // else the schema of the package this runs from.
  const candidates = [
    path.join(root, "schemas"),
    path.join(root, "node_modules", "mailbox-addresses", "schemas"),
    path.resolve(__dirname, "../../schemas"),
  ].map((dir) => path.join(dir, "mailboxes.schema.json"));
  const schema = candidates.find((file) => existsSync(file)) ?? candidates[0]!;
  const relative = path.relative(path.dirname(path.resolve(root, writtenTo)), schema);
  return relative.split(path.sep).join("/");
}

export async function runExport(options: ExportOptions): Promise<number> {
  if (options.policies && (options.domain || options.upn || options.type)) {
    throw new CliError(
      "--policies exports the whole tenant: a policy matches mailboxes by their primary domain, whatever --domain, --upn or --type would leave out; drop those options",
    );
  }
  const settings = await readStackSettings(options);
  return exportSpec(settings, options);
}

/** Exports the tenant of `settings` (a stack's, or the ones `init` is writing); `schema` overrides the schema line's path. */
export async function exportSpec(
  settings: StackSettings,
  options: ExportOptions,
  schemaPath?: string,
): Promise<number> {
  const { progress, onWait } = readingProgress("export", options.quiet);
  const backend = openBackend(settings.target, settings.root, onWait);
  try {
    const mailboxes = await scanMailboxes(backend, (n) => progress.set("read", n));
    // Without accepted domains (a target that keeps none), allowedDomains come from the addresses exported.
    const acceptedDomains = (await backend.capabilities.acceptedDomains?.list()) ?? [];
    progress.stop();
    const chosen = mailboxes.filter((m) =>
      matchesFilter(m, { domain: options.domain, upn: options.upn, kind: typeFilter(options.type) }),
    );
    const schema =
      schemaPath ?? schemaReference(settings.root, options.output ? path.resolve(options.output) : settings.spec);
    let rendered: { text: string; exported: number; skipped: string[]; policies?: number };
    if (options.policies) {
      const capability = backend.capabilities.policyAttributes;
      if (capability === undefined)
        throw new CliError(
          `--policies: the ${backend.description} cannot read the attributes policies match; export without --policies`,
        );
      rendered = renderSpecWithPolicies(chosen, await capability.readAll(), acceptedDomains, { schema });
    } else rendered = renderSpec(chosen, acceptedDomains, { schema });
    const { text, exported, skipped } = rendered;
    writeOutput(options.output, text);
    if (!options.quiet) {
      for (const reason of skipped) process.stderr.write(`skipped ${reason}\n`);
      const policyNote =
        rendered.policies === undefined
          ? ""
          : rendered.policies === 0
            ? " (no pattern most mailboxes of a domain follow: no policy)"
            : ` (${rendered.policies} ${rendered.policies === 1 ? "policy" : "policies"})`;
      process.stderr.write(
        `exported ${exported} of ${count(mailboxes.length, "mailbox", "mailboxes")}${policyNote}${options.output ? ` to ${options.output}` : ""}\n`,
      );
    }
    return 0;
  } finally {
    progress.stop();
    await backend.close();
  }
}
