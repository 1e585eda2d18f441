// One shared assertion for every kind of change the end-to-end suite makes (issue 24, "Done
// when"): `pulumi preview --diff`, `mailbox-addresses plan --json` and the tenant after `pulumi up`
// agree. The tenant's change is the reference: what each mailbox's SMTP entries were before and
// are after the up, spelled exactly. The preview must show exactly those entries changing (added,
// removed, or `old => new` for a prefix change), nothing for the other mailboxes, and no re-case
// the write does not make; the plan must list the same primary change, added and removed
// addresses, and no row for a mailbox the up does not write.
import assert from "node:assert/strict";
import { addressKey, parseProxyAddress } from "../../core/address";
import type { Report } from "../../core/report/report";
import { loadSpecText } from "../../core/desired/load-spec";
import type { CommandResult, TestStack } from "../../harness/pulumi-stack";
import type { Tenant } from "../../tenant/tenant";

type WithTenant = <T>(work: (tenant: Tenant) => T) => T;

/** A mailbox's SMTP entries, keyed by address in lower case, valued by the entry as stored. */
type SmtpEntries = Map<string, string>;

const smtpEntries = (list: readonly string[]): SmtpEntries => {
  const map: SmtpEntries = new Map();
  for (const entry of list) {
    const parsed = parseProxyAddress(entry);
    if (parsed.kind === "smtp")
      map.set(addressKey(parsed.value), `${parsed.primary ? "SMTP" : "smtp"}:${parsed.value}`);
  }
  return map;
};

/** One address line of `pulumi preview --diff`: `+ key: "entry"`, `- key: "entry"`, `~ key: "old" => "new"`. */
export interface DiffLine {
  readonly sign: "+" | "-" | "~";
  readonly key: string;
  readonly from?: string;
  readonly to?: string;
}

/**
 * The address lines of `pulumi preview --diff`, per mailbox (the identity ending the resource's
 * URN). Only lines inside a MailboxAddresses resource's `addresses` map count.
 */
export function parsePreviewDiff(output: string): Map<string, DiffLine[]> {
  const byMailbox = new Map<string, DiffLine[]>();
  let identity: string | undefined;
  let op: string | undefined;
  let inAddresses = false;
  for (const line of output.split("\n")) {
    // A resource's header names its step: the refresh's "(refresh)" blocks show what the read found,
    // not what the up does; only "(update)" blocks count.
    const header = /^\s*[-+~]*\s*(pulumi[^\s:]*:[^\s]*): \(([\w-]+)\)/.exec(line);
    if (header) {
      op = header[1]!.includes("MailboxAddresses") ? header[2] : undefined;
      identity = undefined;
      inAddresses = false;
      continue;
    }
    const urn = /\[urn=urn:pulumi:[^\]]*::pulumi-nodejs:dynamic\/mailbox:MailboxAddresses::([^\]]+)\]/.exec(line);
    if (urn) {
      identity = op === "update" ? urn[1]! : undefined;
      inAddresses = false;
      continue;
    }
    if (identity === undefined) continue;
    if (/^\s*[-+~]?\s*addresses\s*:\s*\{/.test(line)) {
      inAddresses = true;
      continue;
    }
    if (inAddresses && /^\s*\}\s*$/.test(line)) {
      inAddresses = false;
      continue;
    }
    if (!inAddresses) continue;
    const m = /^\s*([-+~])\s+(\S+?)\s*: "([^"]*)"(?: => "([^"]*)")?\s*$/.exec(line);
    if (!m) continue;
    const sign = m[1] as DiffLine["sign"];
    const entry: DiffLine =
      sign === "+"
        ? { sign, key: m[2]!, to: m[3]! }
        : sign === "-"
          ? { sign, key: m[2]!, from: m[3]! }
          : { sign, key: m[2]!, from: m[3]!, to: m[4]! };
    byMailbox.set(identity, [...(byMailbox.get(identity) ?? []), entry]);
  }
  return byMailbox;
}

/**
 * The diff lines a change of a mailbox's SMTP entries from `before` to `after` must show. The
 * preview diffs the addresses the resource manages (core/plan/address-map.ts): an address the
 * mailbox held without the spec managing it (a MOERA alias, an unlisted alias in additive mode)
 * that the spec now takes shows as added, with the entry it becomes.
 */
function expectedDiff(before: SmtpEntries, after: SmtpEntries, unmanaged: ReadonlySet<string>): DiffLine[] {
  const lines: DiffLine[] = [];
  for (const [key, entry] of after) {
    const was = before.get(key);
    if (was === undefined || (unmanaged.has(key) && was !== entry)) lines.push({ sign: "+", key, to: entry });
    else if (was !== entry) lines.push({ sign: "~", key, from: was, to: entry });
  }
  for (const [key, entry] of before) if (!after.has(key)) lines.push({ sign: "-", key, from: entry });
  return lines.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

const sortLines = (lines: readonly DiffLine[]) =>
  [...lines].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

/** The plan row a change of SMTP entries must give: the primary from → to, addresses added and removed. */
function expectedRow(
  before: SmtpEntries,
  after: SmtpEntries,
): { primary?: { from: string | null; to: string }; added: string[]; removed: string[] } {
  const primaryOf = (m: SmtpEntries) => [...m.values()].find((e) => e.startsWith("SMTP:"))?.slice(5);
  const from = primaryOf(before);
  const to = primaryOf(after)!;
  const primaryChanged = from === undefined || addressKey(from) !== addressKey(to);
  const added = [...after.entries()]
    .filter(([key]) => !before.has(key) && !(primaryChanged && key === addressKey(to)))
    .map(([, e]) => e.slice(5));
  const removed = [...before.entries()].filter(([key]) => !after.has(key)).map(([, e]) => e.slice(5));
  return {
    ...(primaryChanged ? { primary: { from: from ?? null, to } } : {}),
    added: added.sort(),
    removed: removed.sort(),
  };
}

export interface Agreement {
  readonly preview: CommandResult;
  readonly plan: Report;
  readonly up: CommandResult;
  /** The spec identities of the mailboxes the up changed. */
  readonly changed: readonly string[];
}

/**
 * Runs `pulumi preview --diff`, `mailbox-addresses plan --json` and `pulumi up` on the stack's
 * current spec and asserts that the three agree, mailbox by mailbox, with what the tenant holds
 * after the up (spelling included). `identities` are the spec's mailbox keys to look at (the
 * mailboxes of the spec); every other recipient must be left untouched.
 */
export function assertPreviewPlanAndTenantAgree(
  stack: TestStack,
  withTenant: WithTenant,
  identities: readonly string[],
): Agreement {
  const snapshot = () => withTenant((t) => new Map(t.list().map((r) => [r.id, r.addresses])));
  const idOf = new Map(withTenant((t) => identities.map((identity) => [identity, t.find(identity)?.id] as const)));
  const before = snapshot();
  // What each resource managed at the last up (the state's inputs): a routing alias or, in additive
  // mode, an unlisted alias outside it is kept, not managed, until the spec lists it.
  const recorded = new Map(
    (stack.state().checkpoint.latest?.resources ?? [])
      .filter((r) => r.type.includes("MailboxAddresses"))
      .map((r) => [
        addressKey(String(r.inputs?.identity ?? "")),
        { keys: new Set(Object.keys((r.inputs?.addresses ?? {}) as object)), additive: r.inputs?.mode === "additive" },
      ]),
  );
  const unmanagedOf = (identity: string, was: SmtpEntries): Set<string> => {
    const state = recorded.get(addressKey(identity));
    if (state === undefined) return new Set();
    return new Set(
      [...was.entries()]
        .filter(
          ([key, entry]) =>
            !state.keys.has(key) && entry.startsWith("smtp:") && (key.endsWith(".onmicrosoft.com") || state.additive),
        )
        .map(([key]) => key),
    );
  };

  const preview = stack.preview("--diff");
  assert.equal(preview.code, 0, preview.output);
  const shown = parsePreviewDiff(preview.output);
  const planned = stack.cli(["plan", "--json"]);
  assert.ok(planned.code === 0 || planned.code === 2, planned.output);
  const plan = JSON.parse(planned.stdout) as Report;
  assert.deepEqual(snapshot(), before, "preview and plan wrote nothing");

  const up = stack.up();
  assert.equal(up.code, 0, up.output);
  const after = snapshot();

  const changed: string[] = [];
  const problems: string[] = [];
  for (const identity of identities) {
    const id = idOf.get(identity);
    if (id === undefined) continue;
    const was = smtpEntries(before.get(id) ?? []);
    const now = smtpEntries(after.get(id) ?? []);
    const diff = expectedDiff(was, now, unmanagedOf(identity, was));
    const row = plan.mailboxes.find((m) => addressKey(m.identity) === addressKey(identity));
    const lines = sortLines(shown.get(identity) ?? []);
    if (diff.length > 0) changed.push(identity);
    if (JSON.stringify(lines) !== JSON.stringify(diff)) {
      problems.push(
        `${identity}: pulumi preview --diff showed ${JSON.stringify(lines)}, the up did ${JSON.stringify(diff)}`,
      );
    }
    const want = expectedRow(was, now);
    const isWrite = diff.length > 0;
    const rowWrites =
      row !== undefined &&
      row.change !== "none" &&
      row.change !== "release" &&
      (row.primary !== undefined || row.added.length > 0 || row.removed.length > 0);
    if (isWrite !== rowWrites) {
      problems.push(
        `${identity}: plan --json says ${JSON.stringify(row ?? null)}, the up ${isWrite ? "wrote" : "wrote nothing"}`,
      );
      continue;
    }
    if (!isWrite) continue;
    const got = {
      ...(row!.primary ? { primary: row!.primary } : {}),
      added: [...row!.added].sort(),
      removed: [...row!.removed].sort(),
    };
    // The plan names removed addresses as the tenant spells them, added ones as they are written.
    const norm = (r: typeof got) => ({ ...r, removed: r.removed.map(addressKey).sort() });
    if (JSON.stringify(norm(got)) !== JSON.stringify(norm(want))) {
      problems.push(`${identity}: plan --json says ${JSON.stringify(got)}, the up did ${JSON.stringify(want)}`);
    }
  }
  // No recipient outside `identities` changed, and neither the preview nor the plan named one.
  const watched = new Set([...idOf.values()].filter((id): id is string => id !== undefined));
  for (const [id, list] of after) {
    if (!watched.has(id) && JSON.stringify(list) !== JSON.stringify(before.get(id)))
      problems.push(`${id}: changed by the up, but no spec mailbox names it`);
  }
  for (const identity of shown.keys())
    if (!identities.some((i) => addressKey(i) === addressKey(identity)))
      problems.push(`${identity}: shown by the preview, not a spec mailbox`);
  assert.deepEqual(problems, [], `${problems.join("\n")}\n--- preview ---\n${preview.output}`);
  return { preview, plan, up, changed };
}

/** The mailbox keys of a spec's text. */
export function specIdentities(specText: string): string[] {
  const loaded = loadSpecText("spec.yaml", specText);
  assert.ok(loaded.ok, "the spec loads");
  return loaded.spec.mailboxes.map((m) => m.identity);
}
