import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import Ajv2020 from "ajv/dist/2020";
import schema from "../../../schemas/report.schema.json";
import { assertMatchesSnapshot } from "../../../harness/snapshot";
import {
  exitCodeOf,
  makeReport,
  markdownMarker,
  MARKDOWN_LIMIT,
  renderJson,
  renderMarkdown,
  renderTable,
  type MailboxRow,
} from "../../../core/report/report";

const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
const snapshots = path.resolve(__dirname, "../../../../test/fixtures/reports");

/** Compares with a committed snapshot in test/fixtures/reports (harness/snapshot.ts). */
function matchesSnapshot(name: string, text: string): void {
  assertMatchesSnapshot(path.join(snapshots, name), text, __filename);
}

const rows: MailboxRow[] = [
  {
    identity: "mark.wilson@contoso.com",
    change: "update",
    primary: { from: "mark.wilson@contoso.com", to: "mark.wilson@fabrikam.com" },
    added: ["mwilson@fabrikam.com"],
    removed: ["mwilson@contoso.com"],
    problems: [],
  },
  { identity: "anna.kowalski@contoso.com", change: "none", added: [], removed: [], problems: [] },
  { identity: "sales@contoso.com", change: "update", added: [], removed: ["quotes|old@contoso.com"], problems: [] },
];

describe("reports", () => {
  it("sorts rows and counts changes and problems", () => {
    const report = makeReport("plan", "dev", "local tenant", rows, ["a spec problem"]);
    assert.deepEqual(
      report.mailboxes.map((r) => r.identity),
      ["anna.kowalski@contoso.com", "mark.wilson@contoso.com", "sales@contoso.com"],
    );
    assert.deepEqual(report.summary, { mailboxes: 3, changed: 2, adopted: 0, released: 0, problems: 1 });
  });
  it("exit codes: 0 nothing to do, 2 changes, 1 problems", () => {
    assert.equal(exitCodeOf(makeReport("drift", "dev", "t", [rows[1]!])), 0);
    assert.equal(exitCodeOf(makeReport("drift", "dev", "t", rows)), 2);
    assert.equal(exitCodeOf(makeReport("drift", "dev", "t", rows, ["boom"])), 1);
    assert.equal(
      exitCodeOf(makeReport("plan", "dev", "t", [{ ...rows[0]!, change: "error", problems: ["refused"] }])),
      1,
    );
  });
  it("--json follows schemas/report.schema.json", () => {
    for (const report of [makeReport("plan", "dev", "t", rows), makeReport("drift", "prod", "t", [], ["x"])]) {
      const parsed = JSON.parse(renderJson(report));
      assert.ok(validate(parsed), JSON.stringify(validate.errors));
      assert.equal(parsed.formatVersion, "1.4");
    }
  });
  it("causes (issue 31): changes made outside git get their own section before the pull request's own, with accept per mailbox; the table says the same per row", () => {
    const caused: MailboxRow[] = [
      {
        identity: "anna.kowalski@contoso.com",
        change: "update",
        added: [],
        removed: ["rogue@contoso.com"],
        causes: [{ address: "rogue@contoso.com", change: "remove", cause: "drift" }],
        problems: [],
      },
      {
        identity: "mark.wilson@contoso.com",
        change: "update",
        added: ["info2@contoso.com"],
        removed: [],
        causes: [{ address: "info2@contoso.com", change: "add", cause: "spec", since: "this-change" }],
        problems: [],
      },
    ];
    const report = makeReport("plan", "dev", "t", caused);
    assert.ok(validate(JSON.parse(renderJson(report))), JSON.stringify(validate.errors));
    const markdown = renderMarkdown(report);
    const outside = markdown.indexOf("#### Changed outside git: merging reverts these");
    const own = markdown.indexOf("<summary>This pull request's own changes</summary>");
    assert.ok(outside > 0 && own > outside, markdown);
    assert.match(
      markdown,
      /- `anna\.kowalski@contoso\.com`: `- rogue@contoso\.com` \(added outside git; merging removes it\)\. Keep it instead: `mailbox-addresses accept anna\.kowalski@contoso\.com`/,
    );
    // Only the pull request's own changes are in its table.
    assert.doesNotMatch(markdown.slice(own), /rogue@/);
    // The cause has its own column (why), apart from the problems.
    assert.match(
      markdown.slice(own),
      /^\| mailbox \| change \| primary \| added \| removed \| why \| problems \|\n\|---\|---\|---\|---\|---\|---\|---\|$/m,
    );
    assert.match(
      markdown.slice(own),
      /`mark\.wilson@contoso\.com` \| update \| {2}\| `info2@contoso\.com` \| {2}\| cause: the spec \(this change\) \| {2}\|$/m,
    );
    assert.match(markdown, /1 change reverts a change made outside git \(on 1 mailbox\)/);
    const table = renderTable(report);
    assert.match(
      table,
      /anna\.kowalski@contoso\.com +update +-rogue@contoso\.com\n {4}cause: changed outside git, merging reverts: - rogue@contoso\.com \(added outside git; merging removes it\); keep it instead: mailbox-addresses accept anna\.kowalski@contoso\.com/,
    );
    assert.match(
      table,
      /mark\.wilson@contoso\.com +update +\+info2@contoso\.com\n {4}cause: the spec \(this change\): \+ info2@contoso\.com/,
    );
    // Drift: accept names only the mailboxes changed outside git; the spec's own change is applied by up.
    const drift = renderTable(
      makeReport(
        "drift",
        "dev",
        "t",
        caused.map((r) => ({ ...r, change: "drift" as const })),
      ),
    );
    assert.match(
      drift,
      /To accept the tenant's values into the spec, then commit it: mailbox-addresses accept anna\.kowalski@contoso\.com\n/,
    );
  });

  it("a targeted plan says what it leaves outside its change set: drift it read, or drift it did not read", () => {
    const made = makeReport("plan", "dev", "t", [{ ...rows[0]!, why: ["changed (addresses)"] }]);
    const scope = {
      kind: "targeted" as const,
      since: "origin/main",
      declare: ["mark.wilson@contoso.com"],
      release: [],
      why: {},
    };
    const read = {
      ...made,
      scope: { ...scope, outside: { read: true, mailboxes: 4, drifted: ["anna.kowalski@contoso.com"] } },
    };
    assert.ok(validate(JSON.parse(renderJson(read))), JSON.stringify(validate.errors));
    assert.match(
      renderTable(read),
      /Outside the change set, 1 mailbox differs from the spec \(anna\.kowalski@contoso\.com\): a full apply would revert it; this targeted apply leaves it as it is/,
    );
    const unread = { ...made, scope: { ...scope, outside: { read: false, mailboxes: 4, drifted: [] } } };
    assert.match(
      renderMarkdown(unread),
      /Drift on the 4 other mailboxes was not read: a targeted apply leaves it as it is/,
    );
  });

  it("a targeted plan (plan --changed-since): its scope and each row's why follow the schema, and the table and markdown say it is targeted", () => {
    const made = makeReport("plan", "dev", "t", [{ ...rows[0]!, why: ["changed (addresses)"] }]);
    const report = {
      ...made,
      scope: {
        kind: "targeted" as const,
        since: "origin/main",
        declare: ["mark.wilson@contoso.com"],
        release: [],
        why: { "mark.wilson@contoso.com": ["changed (addresses)"] },
      },
    };
    assert.ok(validate(JSON.parse(renderJson(report))), JSON.stringify(validate.errors));
    assert.match(
      renderTable(report),
      /targeted: only the mailboxes the change since origin\/main touches \(1 declared, 0 released\)[\s\S]*why: changed \(addresses\)/,
    );
    assert.match(renderMarkdown(report), /_targeted: only the mailboxes[\s\S]*why: changed \(addresses\)/);
    const wide = {
      ...made,
      scope: {
        kind: "full" as const,
        since: "origin/main",
        reasons: ["allowedDomains changed (added fabrikam.com): it applies to every mailbox"],
      },
    };
    assert.ok(validate(JSON.parse(renderJson(wide))), JSON.stringify(validate.errors));
    assert.match(renderTable(wide), /full: every mailbox, not targeted because allowedDomains changed/);
  });
  it("plan rows are grouped by policy (explicit entries first), policy-managed mailboxes shown by UPN, UPN changes in their column", () => {
    const policyRows: MailboxRow[] = [
      {
        identity: "00000000-0000-4000-8000-00000000000b",
        change: "update",
        policy: "typo",
        upn: "b@contoso.com",
        added: ["b@contoos.com"],
        removed: [],
        problems: [],
      },
      {
        identity: "00000000-0000-4000-8000-00000000000a",
        change: "update",
        policy: "newbrand",
        upn: "z@contoso.com",
        userPrincipalName: { from: "z@contoso.com", to: "z@fabrikam.com" },
        added: [],
        removed: [],
        problems: [],
      },
      {
        identity: "00000000-0000-4000-8000-00000000000c",
        change: "update",
        policy: "newbrand",
        upn: "a@contoso.com",
        added: ["a@fabrikam.com"],
        removed: [],
        problems: [],
      },
      { identity: "ceo@contoso.com", change: "update", added: ["boss@contoso.com"], removed: [], problems: [] },
    ];
    const report = makeReport("plan", "dev", "t", policyRows);
    assert.deepEqual(
      report.mailboxes.map((r) => r.policy ?? "-"),
      ["-", "newbrand", "newbrand", "typo"],
    );
    assert.deepEqual(
      report.mailboxes.map((r) => r.upn ?? r.identity),
      ["ceo@contoso.com", "a@contoso.com", "z@contoso.com", "b@contoso.com"],
    );
    assert.ok(validate(JSON.parse(renderJson(report))), JSON.stringify(validate.errors));
    const table = renderTable(report);
    assert.match(table, /^\(explicit\) +ceo@contoso\.com/m);
    assert.match(
      table,
      /^newbrand +z@contoso\.com \(00000000-0000-4000-8000-00000000000a\).*UPN z@contoso\.com → z@fabrikam\.com$/m,
    );
    assert.match(renderMarkdown(report), /\| newbrand: `a@contoso\.com \(00000000-0000-4000-8000-00000000000c\)`/);
  });
  it("an address in an opted-in international domain shows in both forms: as written (A-label) and as read", () => {
    const idn: MailboxRow[] = [
      {
        identity: "info@contoso.com",
        change: "update",
        primary: { from: "info@contoso.com", to: "info@xn--bcher-kva.example" },
        added: ["sales@xn--bcher-kva.example"],
        removed: ["old@xn--bcher-kva.example"],
        problems: [],
      },
    ];
    const report = makeReport("plan", "dev", "t", idn);
    const table = renderTable(report);
    assert.match(table, /info@contoso\.com → info@xn--bcher-kva\.example \(info@bücher\.example\)/);
    assert.match(table, /\+sales@xn--bcher-kva\.example \(sales@bücher\.example\)/);
    assert.match(table, /-old@xn--bcher-kva\.example \(old@bücher\.example\)/);
    assert.match(renderMarkdown(report), /`sales@xn--bcher-kva\.example` \(`sales@bücher\.example`\)/);
    // JSON keeps the address as written: one form, the one written to the tenant.
    assert.deepEqual(JSON.parse(renderJson(report)).mailboxes[0].added, ["sales@xn--bcher-kva.example"]);
  });
  it("the table shows changed mailboxes (snapshot)", () =>
    matchesSnapshot(
      "plan-table.txt",
      renderTable(makeReport("plan", "dev", "local tenant .tenant/local.sqlite", rows)),
    ));
  it("the markdown starts with its marker and summary, folds the details (snapshot)", () => {
    const text = renderMarkdown(makeReport("plan", "dev", "local tenant .tenant/local.sqlite", rows));
    assert.ok(
      text.startsWith(
        `${markdownMarker({ kind: "plan", stack: "dev" })}\n### mailbox-addresses plan: \`dev\`\n\n:pencil2: **2 of 3 mailboxes change**`,
      ),
    );
    assert.match(text, /quotes\\\|old@contoso\.com/, "pipes are escaped");
    matchesSnapshot("plan.md", text);
  });
  it("markdown for nothing to do has no table (snapshot)", () =>
    matchesSnapshot("drift-none.md", renderMarkdown(makeReport("drift", "dev", "local tenant", [rows[1]!]))));
  it("long markdown is trimmed below GitHub's limit with a note (snapshot)", () => {
    const many: MailboxRow[] = Array.from({ length: 3000 }, (_, i) => ({
      identity: `user${String(i).padStart(4, "0")}@contoso.com`,
      change: "update",
      primary: { from: `user${i}@contoso.com`, to: `user${i}@fabrikam.com` },
      added: [`user${i}.alias@fabrikam.com`],
      removed: [`old${i}@contoso.com`],
      problems: [],
    }));
    const text = renderMarkdown(makeReport("plan", "prod", "Exchange Online tenant contoso", many));
    assert.ok(text.length <= MARKDOWN_LIMIT, `${text.length} characters`);
    assert.ok(text.length < 65_535);
    assert.match(text, /:warning: \*\*Trimmed\*\*: \d+ more mailboxes are not shown/);
    assert.ok(text.endsWith("</details>\n"));
    matchesSnapshot("plan-trimmed.md", text);
  });
});
