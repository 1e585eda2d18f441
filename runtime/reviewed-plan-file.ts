// Reads the reviewed plan (MAILBOX_ADDRESSES_REVIEWED_PLAN, `apply --plan`) with the spec's
// treatment: a regular file (not /dev/zero, a pipe or a directory), its size checked before it is
// read, then JSON, the report schema (schemas/report.schema.json) and the format version this build
// writes. Unbounded, /dev/zero grew the process to 22 GB and a 300 MB plan took 786 MB (issue 25).
// Every refusal is one SpecFileError naming the file, never its content.
import Ajv2020 from "ajv/dist/2020";
import schema from "../schemas/report.schema.json";
import type { ReviewedPlan } from "../core/plan/reviewed-plan";
import { REPORT_FORMAT_VERSION } from "../core/report/report";
import { quote } from "../core/text";
import { readBoundedFile, SpecFileError } from "./spec-file";
import { toolCommands } from "./commands-here";

/**
 * Largest reviewed plan accepted. `plan --json` writes about 250 bytes a mailbox (a row with a
 * primary change and two aliases); 100,000 changed mailboxes stay near 25 MiB.
 */
export const MAX_REVIEWED_PLAN_BYTES = 64 * 1024 * 1024;

// The commands as they exist where the user stands (this checkout's wrapper, or npx in a repository of one's own).
const REMEDY = () => `give the file \`${toolCommands().tool} plan --json\` wrote for this change`;
const AGAIN = () => `run \`${toolCommands().tool} plan --json\` again with this version and have it reviewed`;

let validate: ReturnType<Ajv2020["compile"]> | undefined;

/** The reviewed plan in `file` (relative to `root`), checked; a {@link SpecFileError} otherwise. */
export function readReviewedPlan(file: string, root: string, maxBytes = MAX_REVIEWED_PLAN_BYTES): ReviewedPlan {
  const bytes = readBoundedFile(file, {
    root,
    explicit: true,
    maxBytes,
    remedy: REMEDY(),
    tooLarge: "a reviewed plan is the report of one plan; check that the path names it",
    outsideRemedy: "name the plan file itself, not a link to it",
  });
  let data: unknown;
  try {
    data = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new SpecFileError(file, "is not a JSON report (it does not parse as UTF-8 JSON)", REMEDY());
  }
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new SpecFileError(
      file,
      `is not a plan report (its JSON is ${Array.isArray(data) ? "a list" : data === null ? "null" : `a ${typeof data}`}, not an object)`,
      REMEDY(),
    );
  }
  // The version first: a report of another format may fail the schema for that reason alone.
  const version = (data as { formatVersion?: unknown }).formatVersion;
  if (version !== REPORT_FORMAT_VERSION) {
    const shown =
      typeof version === "string" ? quote(version, 20) : version === undefined ? "missing" : `a ${typeof version}`;
    throw new SpecFileError(
      file,
      `its formatVersion is ${shown}; this version of mailbox-addresses reads reviewed plans of format ${REPORT_FORMAT_VERSION} only`,
      AGAIN(),
    );
  }
  validate ??= new Ajv2020({ allErrors: false, strict: false }).compile(schema);
  if (!validate(data)) {
    const error = validate.errors?.[0];
    const where = error?.instancePath ? quote(error.instancePath, 60) : "the report";
    throw new SpecFileError(
      file,
      `is not a plan report of format ${REPORT_FORMAT_VERSION} (${where} ${error?.message ?? "fails the schema"})`,
      AGAIN(),
    );
  }
  if ((data as { kind?: unknown }).kind !== "plan")
    throw new SpecFileError(file, `is a ${quote((data as { kind: string }).kind, 20)} report, not a plan`, REMEDY());
  return data as ReviewedPlan;
}
