// `mailbox-addresses export`: writes a spec for an existing tenant (or part of it) that previews
// with zero changes. Progress on a terminal; quiet in CI and when piped.
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { renderSpec, matchesFilter } from "../core/export/render-spec";
import { createBackend } from "../providers/backends/create-backend";
import { findProjectRoot } from "../providers/project-root";
import { scanMailboxes } from "../providers/read-tenant";
import { settingsFromFlags, TARGET_FLAGS } from "./stack-settings";

export async function runExport(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: { ...TARGET_FLAGS, domain: { type: "string" }, upn: { type: "string" }, type: { type: "string" }, output: { type: "string", short: "o" } },
  });
  const settings = settingsFromFlags(values);
  const backend = createBackend(settings.target, findProjectRoot());
  const progress = process.stderr.isTTY && !process.env.CI;
  try {
    const mailboxes = await scanMailboxes(backend, progress ? (n) => process.stderr.write(`\rread ${n} mailboxes…`) : undefined);
    if (progress) process.stderr.write("\n");
    const chosen = mailboxes.filter((m) => matchesFilter(m, { domain: values.domain, upn: values.upn, type: values.type }));
    const { text, exported, skipped } = renderSpec(chosen, await backend.acceptedDomains());
    if (values.output) writeFileSync(values.output, text);
    else process.stdout.write(text);
    for (const reason of skipped) process.stderr.write(`skipped ${reason}\n`);
    if (progress || values.output) process.stderr.write(`exported ${exported} of ${mailboxes.length} mailboxes${values.output ? ` to ${values.output}` : ""}\n`);
    return 0;
  } finally {
    await backend.close();
  }
}
