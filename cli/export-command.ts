// `mailbox-addresses export`: writes a spec for an existing tenant (or part of it) that previews
// with zero changes. The file starts with the yaml-language-server line that points editors at
// the spec's schema (completion, hover, checks as you type).
import { writeFileSync } from "node:fs";
import path from "node:path";
import { renderSpec, matchesFilter } from "../core/export/render-spec";
import { scanMailboxes } from "../reconcile/read-tenant";
import { CliError } from "./cli-error";
import { readingProgress, typeFilter } from "./drift-command";
import { openBackend } from "./open-backend";
import { readStackSettings, type StackFlags } from "./stack-settings";

export interface ExportOptions extends StackFlags {
  readonly domain?: string;
  readonly upn?: string;
  readonly type?: string;
  readonly output?: string;
  readonly quiet?: boolean;
}

/**
 * The schema's path as the yaml-language-server line writes it: relative to the folder of the
 * file written, or, on stdout, of the stack's spec (where an adopted export usually goes).
 */
export function schemaReference(root: string, writtenTo: string): string {
  const relative = path.relative(path.dirname(path.resolve(root, writtenTo)), path.join(root, "schemas", "mailboxes.schema.json"));
  return relative.split(path.sep).join("/");
}

export async function runExport(options: ExportOptions): Promise<number> {
  const settings = await readStackSettings(options);
  const { progress, onWait } = readingProgress("export", options.quiet);
  const backend = openBackend(settings.target, settings.root, onWait);
  try {
    const mailboxes = await scanMailboxes(backend, (n) => progress.set("read", n));
    // Without accepted domains (a target that keeps none), allowedDomains come from the addresses exported.
    const acceptedDomains = (await backend.capabilities.acceptedDomains?.list()) ?? [];
    progress.stop();
    const chosen = mailboxes.filter((m) => matchesFilter(m, { domain: options.domain, upn: options.upn, type: typeFilter(options.type) }));
    const schema = schemaReference(settings.root, options.output ? path.resolve(options.output) : settings.spec);
    const { text, exported, skipped } = renderSpec(chosen, acceptedDomains, { schema });
    if (options.output) {
      try {
        writeFileSync(options.output, text);
      } catch (err) {
        throw new CliError(`cannot write ${options.output}: ${(err as Error).message}`);
      }
    } else process.stdout.write(text);
    if (!options.quiet) {
      for (const reason of skipped) process.stderr.write(`skipped ${reason}\n`);
      process.stderr.write(`exported ${exported} of ${mailboxes.length} mailboxes${options.output ? ` to ${options.output}` : ""}\n`);
    }
    return 0;
  } finally {
    progress.stop();
    await backend.close();
  }
}
