// The report `drift` and `plan` print: one row per mailbox, rendered as a terminal table, as
// JSON (versioned, schemas/report.schema.json) or as Markdown for a pull-request comment. Pure.

import { acceptCommand, causeWords, changeText as causedChangeText, describeCauses } from "../plan/change-causes";
import { unicodeFormOf, withUnicodeForm } from "../idn";
import { safeMessage, withoutStackTrace } from "../text";
import type { ChangeCause, MailboxChange, MailboxRow, Report, SyncState, WrittenTo } from "./report-types.generated";

/** Bumped in the minor for additions (readers ignore unknown keys), in the major for changes. */
export const REPORT_FORMAT_VERSION = "1.4";

export type { ChangeCause, MailboxChange, MailboxRow, Report, SyncState, WrittenTo };

/** The rows with changes made outside git (drift causes), which merging reverts. */
function revertedRows(report: Report): MailboxRow[] {
  return report.mailboxes.filter((r) => (r.causes ?? []).some((c) => c.cause === "drift"));
}

/** "2 revert changes made outside git (on 1 mailbox)", or "" when none do. */
function revertText(report: Report): string {
  const rows = revertedRows(report);
  if (rows.length === 0) return "";
  const n = rows.reduce((k, r) => k + (r.causes ?? []).filter((c) => c.cause === "drift").length, 0);
  const what =
    report.kind === "plan"
      ? `${n} ${n === 1 ? "change reverts a change" : "changes revert changes"} made outside git`
      : `${n} ${n === 1 ? "difference was" : "differences were"} made outside git`;
  return `${what} (on ${rows.length} ${rows.length === 1 ? "mailbox" : "mailboxes"})`;
}

/** "3 min", "2 h": the age of the last sync, for a person. */
function ageText(seconds: number): string {
  if (seconds < 90) return `${seconds} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

/** The change column: a synced mailbox says whether the cloud has caught up (target hybrid). */
function changeText(row: MailboxRow): string {
  if (row.sync?.state !== "pending") return row.change;
  const age =
    row.sync.lastSyncAgeSeconds === undefined ? "" : `, last sync ${ageText(row.sync.lastSyncAgeSeconds)} ago`;
  return `pending sync${age}`;
}

/** Where the mailbox's write goes, in a table cell (only stacks with both say it). */
const WHERE_SHORT: Readonly<Record<WrittenTo, string>> = {
  "active-directory": "AD",
  "exchange-online": "Exchange Online",
};
const whereText = (row: MailboxRow) => (row.writtenTo === undefined ? "" : WHERE_SHORT[row.writtenTo]);

/** A problem as a report carries it: no stack trace, unsafe characters escaped, length capped. */
const clean = (problem: string) => safeMessage(withoutStackTrace(problem), { multiline: true });

export function makeReport(
  kind: Report["kind"],
  stack: string,
  target: string,
  inputRows: readonly MailboxRow[],
  inputProblems: string[] = [],
): Report {
  const problems = inputProblems.map(clean);
  const rows = inputRows.map((r) => (r.problems.length === 0 ? r : { ...r, problems: r.problems.map(clean) }));
  // Grouped by policy (explicit entries first), then by mailbox.
  const nameOf = (r: MailboxRow) => (r.upn ?? r.identity).toLowerCase();
  const sorted = [...rows].sort(
    (a, b) => (a.policy ?? "").localeCompare(b.policy ?? "") || nameOf(a).localeCompare(nameOf(b)),
  );
  return {
    formatVersion: REPORT_FORMAT_VERSION,
    kind,
    stack,
    target,
    summary: {
      mailboxes: rows.length,
      changed: rows.filter(writes).length,
      ...(kind === "plan"
        ? {
            adopted: rows.filter((r) => r.change === "adopt").length,
            released: rows.filter((r) => r.change === "release").length,
          }
        : {}),
      problems: problems.length + rows.reduce((n, r) => n + r.problems.length, 0),
    },
    problems,
    mailboxes: sorted,
  };
}

/** A row that changes the mailbox in the tenant: adopting or releasing alone writes nothing. */
function writes(row: MailboxRow): boolean {
  if (row.change === "none" || row.change === "error" || row.change === "release" || row.change === "delete")
    return false;
  if (row.change === "adopt")
    return (
      row.primary !== undefined || row.added.length > 0 || row.removed.length > 0 || row.userPrincipalName !== undefined
    );
  return true;
}

/**
 * `terraform plan -detailed-exitcode` style: 0 nothing to do, 2 changes or drift (adopting or
 * releasing a mailbox too: the stack changes, though the tenant may not), 1 problems.
 */
export function exitCodeOf(report: Report): 0 | 1 | 2 {
  if (report.summary.problems > 0) return 1;
  return report.summary.changed > 0 || (report.summary.adopted ?? 0) > 0 || (report.summary.released ?? 0) > 0 ? 2 : 0;
}

function summaryLine(report: Report): string {
  const { mailboxes, changed, problems, adopted = 0, released = 0 } = report.summary;
  const noun = report.kind === "drift" ? "mailboxes drifted" : "mailboxes change";
  const stackText = [
    adopted > 0 ? `${adopted} adopted` : "",
    released > 0 ? `${released} released (left as they are)` : "",
  ]
    .filter(Boolean)
    .join(", ");
  const problemText = problems === 0 ? "" : `, ${problems} ${problems === 1 ? "problem" : "problems"}`;
  const pending = report.mailboxes.filter((r) => r.sync?.state === "pending").length;
  const pendingText =
    pending > 0
      ? `; ${pending} pending sync (Active Directory matches the spec, the cloud follows at the next sync)`
      : "";
  const reverts = revertText(report);
  return `${changed} of ${mailboxes} ${noun}${stackText ? `; ${stackText}` : ""}${reverts ? `; ${reverts}` : ""}${pendingText}${problemText}`;
}

/** An address as written and, for an international domain, as read: the reviewer sees both forms. */
const shown = withUnicodeForm;
const primaryText = (row: MailboxRow) =>
  row.primary ? `${row.primary.from ? shown(row.primary.from) : "(none)"} → ${shown(row.primary.to)}` : "";
/** A mailbox a policy manages is keyed by object id: shown by its UPN. */
const mailboxText = (row: MailboxRow) =>
  row.upn !== undefined && row.upn.toLowerCase() !== row.identity.toLowerCase()
    ? `${row.upn} (${row.identity})`
    : row.identity;
const upnText = (row: MailboxRow) =>
  row.userPrincipalName ? `UPN ${row.userPrincipalName.from ?? "(none)"} → ${row.userPrincipalName.to}` : "";

/**
 * The address columns. A plan says what the apply adds and removes; drift says what differs in the
 * tenant, so that "+" never reads as "someone added" when it means "missing".
 */
function columnNames(report: Report): [string, string] {
  return report.kind === "drift" ? ["missing in tenant", "extra in tenant"] : ["added", "removed"];
}

/**
 * Drift has two remedies; the report names both, with the mailboxes to pass. With a problem found
 * (one that makes `pulumi up` refuse at preview) it does not offer `pulumi up`: the problems first.
 */
/**
 * The commands a report's remedies name, as they exist where it is read: `scripts/mailbox-addresses`
 * in this tool's checkout, `npx mailbox-addresses` in a repository of one's own
 * (runtime/commands-here.ts). The plain names when the caller does not say.
 */
export interface ReportCommands {
  readonly tool: string;
  readonly pulumi: string;
}

export const PLAIN_COMMANDS: ReportCommands = { tool: "mailbox-addresses", pulumi: "pulumi" };

function remedies(report: Report, commands: ReportCommands): { what: string; command: string }[] {
  if (report.kind !== "drift" || (report.summary.changed === 0 && report.summary.problems === 0)) return [];
  // With causes, only mailboxes changed outside git have anything to accept; the spec's own changes are applied by up.
  const known = report.mailboxes.some((r) => r.causes !== undefined);
  const drifted = report.mailboxes
    .filter((r) => r.change === "drift" && (!known || (r.causes ?? []).some((c) => c.cause === "drift")))
    .map((r) => r.identity);
  const accept = {
    what: "To accept the tenant's values into the spec, then commit it",
    command: `${commands.tool} accept ${drifted.length > 5 ? "--all" : drifted.join(" ")}`,
  };
  if (report.summary.problems > 0) {
    return [
      {
        what: "pulumi up refuses while a problem above remains; fix those first (the spec, the tenant or the settings), then run",
        command: `${commands.tool} drift`,
      },
      ...(drifted.length > 0 ? [accept] : []),
    ];
  }
  if (drifted.length === 0)
    return [{ what: "To apply the spec's changes (or run the apply workflow)", command: `${commands.pulumi} up` }];
  return [
    { what: "To revert the tenant to the spec (or run the apply workflow)", command: `${commands.pulumi} up` },
    accept,
  ];
}

/** What a targeted plan says of drift outside its change set. */
function outsideText(outside: NonNullable<Report["scope"]>["outside"], commands: ReportCommands): string {
  if (outside === undefined || outside.mailboxes === 0) return "";
  if (!outside.read)
    return `. Drift on the ${outside.mailboxes} other mailboxes was not read: a targeted apply leaves it as it is (\`${commands.tool} drift\` or the full plan shows it)`;
  if (outside.drifted.length === 0) return `. The ${outside.mailboxes} other mailboxes match the spec`;
  const names =
    outside.drifted.length > 5
      ? `${outside.drifted.slice(0, 5).join(", ")} and ${outside.drifted.length - 5} more`
      : outside.drifted.join(", ");
  return `. Outside the change set, ${outside.drifted.length} ${outside.drifted.length === 1 ? "mailbox differs" : "mailboxes differ"} from the spec (${names}): a full apply would revert ${outside.drifted.length === 1 ? "it" : "them"}; this targeted apply leaves ${outside.drifted.length === 1 ? "it" : "them"} as ${outside.drifted.length === 1 ? "it is" : "they are"}`;
}

/** What a plan covers, in a sentence: a targeted plan names its ref, a widened one its reasons. */
export function scopeLine(report: Report, commands: ReportCommands = PLAIN_COMMANDS): string | undefined {
  const scope = report.scope;
  if (scope === undefined) return undefined;
  if (scope.kind === "targeted")
    return `targeted: only the mailboxes the change${scope.since ? ` since ${scope.since}` : ""} touches (${(scope.declare ?? []).length} declared, ${(scope.release ?? []).length} released); the others are not read by the engine nor written${outsideText(scope.outside, commands)}`;
  return `full: every mailbox${(scope.reasons ?? []).length > 0 ? `, not targeted because ${(scope.reasons ?? []).join("; ")}` : ""}`;
}

/** A plain table for a terminal. Unchanged mailboxes are left out unless `all`. */
export function renderTable(report: Report, all = false, commands: ReportCommands = PLAIN_COMMANDS): string {
  const rows = report.mailboxes.filter(
    (r) => all || r.change !== "none" || r.sync?.state === "pending" || r.why !== undefined,
  );
  const lines = [`${report.kind} for stack ${report.stack} (${report.target}): ${summaryLine(report)}`];
  const scope = scopeLine(report, commands);
  if (scope) lines.push(`  ${scope}`);
  const withWhere = report.mailboxes.some((r) => r.writtenTo !== undefined);
  // The kind column, once a row shown is a recipient that is not a user mailbox.
  const withKind = rows.some((r) => r.kind !== undefined && r.kind !== "UserMailbox");
  const withPolicy = report.mailboxes.some((r) => r.policy !== undefined);
  const withUpn = report.mailboxes.some((r) => r.userPrincipalName !== undefined);
  for (const problem of report.problems) lines.push(`  problem: ${problem}`);
  if (rows.length > 0) {
    // Signs only where they mean what the apply does (a plan); drift's columns say what differs.
    const [plus, minus] = report.kind === "plan" ? ["+", "-"] : ["", ""];
    const cells = rows.map((r) => [
      ...(withPolicy ? [r.policy ?? "(explicit)"] : []),
      mailboxText(r),
      ...(withKind ? [r.kind ?? ""] : []),
      changeText(r),
      ...(withWhere ? [whereText(r)] : []),
      primaryText(r),
      [
        ...r.added.map((a) => `${plus}${shown(a)}`),
        ...(r.caseKept ?? []).map((c) => `=${c.tenant} (spec: ${c.spec})`),
      ].join(" "),
      r.removed.map((a) => `${minus}${shown(a)}`).join(" "),
      ...(withUpn ? [upnText(r)] : []),
    ]);
    const header = [
      ...(withPolicy ? ["policy"] : []),
      "mailbox",
      ...(withKind ? ["kind"] : []),
      "change",
      ...(withWhere ? ["written to"] : []),
      "primary",
      ...columnNames(report),
      ...(withUpn ? ["sign-in name"] : []),
    ];
    const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
    const format = (c: string[]) =>
      c
        .map((v, i) => v.padEnd(widths[i]!))
        .join("  ")
        .trimEnd();
    lines.push("", format(header), format(widths.map((w) => "-".repeat(w))));
    for (let i = 0; i < rows.length; i++) {
      lines.push(format(cells[i]!));
      if (rows[i]!.why) lines.push(`    why: ${rows[i]!.why!.join("; ")}`);
      if ((rows[i]!.causes ?? []).length > 0)
        lines.push(`    cause: ${describeCauses(rows[i]!.identity, rows[i]!.causes!, commands.tool)}`);
      for (const finding of rows[i]!.findings ?? []) lines.push(`    finding: ${finding}`);
      for (const problem of rows[i]!.problems) lines.push(`    problem: ${problem}`);
    }
  }
  const remedy = remedies(report, commands);
  if (remedy.length > 0) lines.push("", ...remedy.map((r) => `${r.what}: ${r.command}`));
  return `${lines.join("\n")}\n`;
}

export function renderJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** GitHub refuses comments over 65,535 characters; stay well below. */
export const MARKDOWN_LIMIT = 60_000;

/** The hidden marker a later run looks for to edit its previous comment. */
export function markdownMarker(report: Pick<Report, "kind" | "stack">): string {
  return `<!-- mailbox-addresses:${report.kind}:${report.stack} -->`;
}

const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");
const code = (address: string) => {
  const unicode = unicodeFormOf(address);
  const quoted = (text: string) => `\`${text.replace(/\|/g, "\\|")}\``;
  return unicode === undefined ? quoted(address) : `${quoted(address)} (${quoted(unicode)})`;
};

/**
 * A pull-request comment: the marker, a stable heading, the summary line, then the details
 * folded. Rows past `limit` characters are left out with a note saying how many.
 */
export function renderMarkdown(
  report: Report,
  limit = MARKDOWN_LIMIT,
  commands: ReportCommands = PLAIN_COMMANDS,
): string {
  const heading = `### mailbox-addresses ${report.kind}: \`${report.stack}\``;
  const icon = report.summary.problems > 0 ? ":x:" : report.summary.changed > 0 ? ":pencil2:" : ":white_check_mark:";
  const head = [markdownMarker(report), heading, "", `${icon} **${summaryLine(report)}** (${report.target})`, ""];
  const scope = scopeLine(report, commands);
  if (scope) head.push(`_${cell(scope)}_`, "");
  for (const problem of report.problems) head.push(`- :x: ${cell(problem)}`);
  if (report.problems.length > 0) head.push("");
  // Changes made outside git come first, in their own section: approving the pull request approves
  // reverting them, and each one can be kept instead with `accept` (core/plan/change-causes.ts).
  const reverted = revertedRows(report);
  if (reverted.length > 0) {
    head.push(
      report.kind === "plan" ? "#### Changed outside git: merging reverts these" : "#### Changed outside git",
      "",
    );
    let used = head.join("\n").length;
    for (const [i, r] of reverted.entries()) {
      if (used > limit / 2) {
        head.push(`- … and ${reverted.length - i} more (run \`${commands.tool} ${report.kind}\` for the full list)`);
        break;
      }
      const drifted = (r.causes ?? []).filter((c) => c.cause === "drift");
      const items = drifted
        .map((c) => `${code(causedChangeText(c))} (${cell(causeWords(c).replace(/^changed outside git: /, ""))})`)
        .join(", ");
      const keep = report.kind === "plan" ? "keep it instead" : "accept it into the spec";
      const line = `- ${code(mailboxText(r))}: ${items}. ${keep.charAt(0).toUpperCase()}${keep.slice(1)}: \`${acceptCommand(r.identity, commands.tool)}\``;
      head.push(line);
      used += line.length + 1;
    }
    head.push("");
  }
  // The rest: the pull request's own changes (a row made only of reverts is in the section above).
  const ownChange = (r: MailboxRow) =>
    r.causes === undefined || r.causes.length === 0 || r.causes.some((c) => c.cause !== "drift");
  const rows = report.mailboxes.filter(
    (r) =>
      (r.change !== "none" || r.sync?.state === "pending" || r.why !== undefined) &&
      (r.change === "error" || r.problems.length > 0 || ownChange(r)),
  );
  if (rows.length === 0) {
    const remedy = remedies(report, commands).map((r) => `- ${r.what}: \`${r.command}\``);
    return `${[...head, ...remedy].join("\n")}\n`;
  }
  const ownTitle =
    reverted.length === 0
      ? "Mailboxes"
      : report.kind === "plan"
        ? "This pull request's own changes"
        : "The spec's changes not applied yet";
  // Why a row changes (its causes; a targeted plan's reasons) has a column of its own, apart from its problems.
  const withWhy = rows.some((r) => (r.causes ?? []).length > 0 || (r.why ?? []).length > 0);
  const columns = ["mailbox", "change", "primary", ...columnNames(report), ...(withWhy ? ["why"] : []), "problems"];
  const tableHead = [
    `<details${reverted.length > 0 ? " open" : ""}><summary>${ownTitle}</summary>`,
    "",
    `| ${columns.join(" | ")} |`,
    `|${columns.map(() => "---").join("|")}|`,
  ];
  const tail = ["", "</details>", ""];
  // An address whose change reverts one made outside git says so in its cell too.
  const driftOf = (r: MailboxRow, address: string) =>
    (r.causes ?? []).some((c) => c.cause === "drift" && c.address === address);
  const addressCell = (r: MailboxRow, address: string) =>
    `${code(address)}${driftOf(r, address) ? " (outside git)" : ""}`;
  const whyCell = (r: MailboxRow) =>
    (r.causes ?? []).length === 0
      ? []
      : [
          `cause: ${[...new Set((r.causes ?? []).map((c) => (c.cause === "drift" ? "changed outside git (above)" : c.cause === "move" ? `moves to ${c.to}` : causeWords(c))))].join(", ")}`,
        ];
  const lines = rows.map(
    (r) =>
      `| ${r.policy !== undefined ? `${cell(r.policy)}: ` : ""}${code(mailboxText(r))}${r.userPrincipalName ? ` (${cell(upnText(r))})` : ""} | ${changeText(r)}${r.writtenTo ? ` (${whereText(r)})` : ""} | ${r.primary ? `${r.primary.from ? code(r.primary.from) : "(none)"} → ${code(r.primary.to)}${driftOf(r, r.primary.to) ? " (outside git)" : ""}` : ""} | ${[...r.added.map((a) => addressCell(r, a)), ...(r.caseKept ?? []).map((c) => `${code(c.spec)} (the mailbox keeps ${code(c.tenant)})`)].join("<br>")} | ${r.removed.map((a) => addressCell(r, a)).join("<br>")} |${withWhy ? ` ${cell([...(r.why ?? []).map((w) => `why: ${w}`), ...whyCell(r)].join("; "))} |` : ""} ${cell([...r.problems, ...(r.findings ?? []).map((f) => `finding: ${f}`)].join("; "))} |`,
  );
  let size = [...head, ...tableHead, ...tail].join("\n").length + 200;
  const kept: string[] = [];
  for (const line of lines) {
    if (size + line.length + 1 > limit) break;
    kept.push(line);
    size += line.length + 1;
  }
  const trimmed = lines.length - kept.length;
  const note =
    trimmed > 0
      ? [
          `| … |${" |".repeat(columns.length - 1)}`,
          "",
          `:warning: **Trimmed**: ${trimmed} more ${trimmed === 1 ? "mailbox is" : "mailboxes are"} not shown (the comment would exceed GitHub's limit). Run \`${commands.tool} ${report.kind}\` for the full list.`,
        ]
      : [];
  const remedy = remedies(report, commands).map((r) => `- ${r.what}: \`${r.command}\``);
  return [...head, ...tableHead, ...kept, ...note, ...tail, ...remedy, ...(remedy.length > 0 ? [""] : [])].join("\n");
}
