// A benchmark's section of docs/benchmarks.md: from its marker (an HTML comment naming the
// benchmark) to the next section's marker or the end of the page, replaced whole on each run so
// the other sections stay as they are.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PROJECT_ROOT } from "../../harness/pulumi-stack";

/** Replaces the section that starts with `marker` in `doc` (relative to the project), or appends it. */
export function replaceSection(doc: string, marker: string, section: string): void {
  const file = path.resolve(PROJECT_ROOT, doc);
  const text = readFileSync(file, "utf8");
  const at = text.indexOf(marker);
  if (at < 0) {
    writeFileSync(file, `${text.trimEnd()}\n\n${section}`);
    return;
  }
  const next = text.indexOf("<!-- ", at + marker.length);
  writeFileSync(file, `${text.slice(0, at)}${section}${next >= 0 ? `\n${text.slice(next)}` : ""}`);
}
