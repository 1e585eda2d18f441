// The report `drift` and `plan` print: one row per mailbox, rendered as a terminal table, as
// JSON (versioned, schemas/report.schema.json) or as Markdown for a pull-request comment. Pure.

import { safeMessage, withoutStackTrace } from "../text";
import type { MailboxChange, MailboxRow, Report, SyncState } from "./report-types.generated";

/** Bumped in the minor for additions (readers ignore unknown keys), in the major for changes. */
export const REPORT_FORMAT_VERSION = "1.3";

export type { MailboxChange, MailboxRow, Report, SyncState };

/** "3 min", "2 h": the age of the last sync, for a person. */
function ageText(seconds: number): string {
  if (seconds < 90) return `${seconds} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

/** The change column: a synced mailbox says whether the cloud has caught up (target hybrid). */
function changeText(row: MailboxRow): string {
  if (row.sync?.state !== "pending") return row.change;
  const age = row.sync.lastSyncAgeSeconds === undefined ? "" : `, last sync ${ageText(row.sync.lastSyncAgeSeconds)} ago`;
  return `pending sync${age}`;
}

/** Where the mailbox's write goes: "AD" or "Exchange Online" (only stacks with both say it). */
const whereText = (row: MailboxRow) => (row.writtenTo === "active-directory" ? "AD" : row.writtenTo === "exchange-online" ? "Exchange Online" : "");

/** A problem as a report carries it: no stack trace, unsafe characters escaped, length capped. */
const clean = (problem: string) => safeMessage(withoutStackTrace(problem), { multiline: true });

export function makeReport(kind: Report["kind"], stack: string, target: string, inputRows: readonly MailboxRow[], inputProblems: string[] = []): Report {
  const problems = inputProblems.map(clean);
  const rows = inputRows.map((r) => (r.problems.length === 0 ? r : { ...r, problems: r.problems.map(clean) }));
  // Grouped by policy (explicit entries first), then by mailbox.
  const nameOf = (r: MailboxRow) => (r.upn ?? r.identity).toLowerCase();
  const sorted = [...rows].sort((a, b) => (a.policy ?? "").localeCompare(b.policy ?? "") || nameOf(a).localeCompare(nameOf(b)));
  return {
    formatVersion: REPORT_FORMAT_VERSION,
    kind,
    stack,
    target,
    summary: {
      mailboxes: rows.length,
      changed: rows.filter(writes).length,
      ...(kind === "plan" ? { adopted: rows.filter((r) => r.change === "adopt").length, released: rows.filter((r) => r.change === "release").length } : {}),
      problems: problems.length + rows.reduce((n, r) => n + r.problems.length, 0),
    },
    problems,
    mailboxes: sorted,
  };
}

/** A row that changes the mailbox in the tenant: adopting or releasing alone writes nothing. */
function writes(row: MailboxRow): boolean {
  if (row.change === "none" || row.change === "error" || row.change === "release" || row.change === "delete") return false;
  if (row.change === "adopt") return row.primary !== undefined || row.added.length > 0 || row.removed.length > 0 || row.userPrincipalName !== undefined;
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
  const stackText = [adopted > 0 ? `${adopted} adopted` : "", released > 0 ? `${released} released (left as they are)` : ""].filter(Boolean).join(", ");
  const problemText = problems === 0 ? "" : `, ${problems} ${problems === 1 ? "problem" : "problems"}`;
  const pending = report.mailboxes.filter((r) => r.sync?.state === "pending").length;
  const pendingText = pending > 0 ? `; ${pending} pending sync (Active Directory matches the spec, the cloud follows at the next sync)` : "";
  return `${changed} of ${mailboxes} ${noun}${stackText ? `; ${stackText}` : ""}${pendingText}${problemText}`;
}

const primaryText = (row: MailboxRow) => (row.primary ? `${row.primary.from ?? "(none)"} → ${row.primary.to}` : "");
/** A mailbox a policy manages is keyed by object id: shown by its UPN. */
const mailboxText = (row: MailboxRow) => (row.upn !== undefined && row.upn.toLowerCase() !== row.identity.toLowerCase() ? `${row.upn} (${row.identity})` : row.identity);
const upnText = (row: MailboxRow) => (row.userPrincipalName ? `UPN ${row.userPrincipalName.from ?? "(none)"} → ${row.userPrincipalName.to}` : "");

/**
 * The address columns. A plan says what the apply adds and removes; drift says what differs in the
 * tenant, so that "+" never reads as "someone added" when it means "missing".
 */
function columnNames(report: Report): [string, string] {
  return report.kind === "drift" ? ["missing in tenant", "extra in tenant"] : ["added", "removed"];
}

/** Drift has two remedies; the report names both, with the mailboxes to pass. */
function remedies(report: Report): { what: string; command: string }[] {
  if (report.kind !== "drift" || report.summary.changed === 0) return [];
  const drifted = report.mailboxes.filter((r) => r.change === "drift").map((r) => r.identity);
  return [
    { what: "To revert the tenant to the spec (or run the apply workflow)", command: "pulumi up" },
    { what: "To accept the tenant's values into the spec, then commit it", command: `mailbox-addresses accept ${drifted.length > 5 ? "--all" : drifted.join(" ")}` },
  ];
}

/** What a plan covers, in a sentence: a targeted plan names its ref, a widened one its reasons. */
export function scopeLine(report: Report): string | undefined {
  const scope = report.scope;
  if (scope === undefined) return undefined;
  if (scope.kind === "targeted")
    return `targeted: only the mailboxes the change${scope.since ? ` since ${scope.since}` : ""} touches (${(scope.declare ?? []).length} declared, ${(scope.release ?? []).length} released); the others are not read by the engine nor written`;
  return `full: every mailbox${(scope.reasons ?? []).length > 0 ? `, not targeted because ${(scope.reasons ?? []).join("; ")}` : ""}`;
}

/** A plain table for a terminal. Unchanged mailboxes are left out unless `all`. */
export function renderTable(report: Report, all = false): string {
  const rows = report.mailboxes.filter((r) => all || r.change !== "none" || r.sync?.state === "pending" || r.why !== undefined);
  const lines = [`${report.kind} for stack ${report.stack} (${report.target}): ${summaryLine(report)}`];
  const scope = scopeLine(report);
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
      [...r.added.map((a) => `${plus}${a}`), ...(r.recased ?? []).map((a) => `~${a}`)].join(" "),
      r.removed.map((a) => `${minus}${a}`).join(" "),
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
      for (const problem of rows[i]!.problems) lines.push(`    problem: ${problem}`);
    }
  }
  const remedy = remedies(report);
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
const code = (address: string) => `\`${address.replace(/\|/g, "\\|")}\``;

/**
 * A pull-request comment: the marker, a stable heading, the summary line, then the details
 * folded. Rows past `limit` characters are left out with a note saying how many.
 */
export function renderMarkdown(report: Report, limit = MARKDOWN_LIMIT): string {
  const heading = `### mailbox-addresses ${report.kind}: \`${report.stack}\``;
  const icon = report.summary.problems > 0 ? ":x:" : report.summary.changed > 0 ? ":pencil2:" : ":white_check_mark:";
  const head = [markdownMarker(report), heading, "", `${icon} **${summaryLine(report)}** (${report.target})`, ""];
  const scope = scopeLine(report);
  if (scope) head.push(`_${cell(scope)}_`, "");
  for (const problem of report.problems) head.push(`- :x: ${cell(problem)}`);
  if (report.problems.length > 0) head.push("");
  const rows = report.mailboxes.filter((r) => r.change !== "none" || r.sync?.state === "pending" || r.why !== undefined);
  if (rows.length === 0) return `${head.join("\n")}\n`;
  const tableHead = ["<details><summary>Mailboxes</summary>", "", `| mailbox | change | primary | ${columnNames(report).join(" | ")} | problems |`, "|---|---|---|---|---|---|"];
  const tail = ["", "</details>", ""];
  const lines = rows.map(
    (r) =>
      `| ${r.policy !== undefined ? `${cell(r.policy)}: ` : ""}${code(mailboxText(r))}${r.userPrincipalName ? ` (${cell(upnText(r))})` : ""} | ${changeText(r)}${r.writtenTo ? ` (${whereText(r)})` : ""} | ${r.primary ? `${r.primary.from ? code(r.primary.from) : "(none)"} → ${code(r.primary.to)}` : ""} | ${[...r.added.map(code), ...(r.recased ?? []).map((a) => `${code(a)} (re-cased)`)].join("<br>")} | ${r.removed.map(code).join("<br>")} | ${cell([...r.problems, ...(r.why ?? []).map((w) => `why: ${w}`)].join("; "))} |`,
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
          `| … | | | | | |`,
          "",
          `:warning: **Trimmed**: ${trimmed} more ${trimmed === 1 ? "mailbox is" : "mailboxes are"} not shown (the comment would exceed GitHub's limit). Run \`mailbox-addresses ${report.kind}\` for the full list.`,
        ]
      : [];
  const remedy = remedies(report).map((r) => `- ${r.what}: \`${r.command}\``);
  return [...head, ...tableHead, ...kept, ...note, ...tail, ...remedy, ...(remedy.length > 0 ? [""] : [])].join("\n");
}
