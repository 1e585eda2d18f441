// Benchmark (not a test): validate, expand and plan 10,000 mailboxes driven by three policies, side
// by side with the same 10,000 written as explicit entries. Each side runs in its own process, so
// peak memory (max RSS) is its own. The figures go to docs/POLICIES.md.
//   node dist/bench/policy-expand.js [mailboxes]
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expandPolicies } from "../core/policy/expand-policies";
import type { MailboxAttributes } from "../core/policy/policy-types";
import { planChanges } from "../core/plan/plan-changes";
import { loadSpecText } from "../core/desired/load-spec";
import { commandLine } from "../harness/command-line";

const POLICIES = `version: 1
allowedDomains: [contoso.com, contoos.com, contoso.onmicrosoft.com]
policies:
  - name: staff
    match: {recipientTypes: [UserMailbox]}
    primary: "%r''%g.%r''%s@contoso.com"
    aliases: ["%1g%r''%s@contoso.com"]
    onCollision: append-number
  - name: shared
    match: {recipientTypes: [SharedMailbox, RoomMailbox]}
    primary: "%m@contoso.com"
  - name: typo-domain
    match: {all: true}
    aliases: ["%m@contoos.com"]
    adds: true
mailboxes: {}
`;

const GIVEN = [
  "Ann",
  "Bob",
  "Cy",
  "Dana",
  "Eli",
  "Fay",
  "Gus",
  "Hana",
  "Ivo",
  "Jo",
  "Kai",
  "Lea",
  "Max",
  "Nia",
  "Oto",
  "Pia",
  "Quin",
  "Rae",
  "Sam",
  "Tia",
];
const SURNAME = [
  "Lee",
  "Ray",
  "Xu",
  "Kim",
  "Diaz",
  "Berg",
  "Costa",
  "Novak",
  "Okafor",
  "Ivanova",
  "Smith",
  "Jones",
  "Moreau",
  "Rossi",
  "Silva",
  "Tanaka",
  "Weber",
  "Young",
  "Zhang",
  "O'Neil",
];

function tenant(count: number): MailboxAttributes[] {
  const out: MailboxAttributes[] = [];
  for (let i = 0; i < count; i++) {
    const alias = `user${i}`;
    const given = GIVEN[i % GIVEN.length]!;
    const surname = SURNAME[Math.floor(i / GIVEN.length) % SURNAME.length]!;
    out.push({
      id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
      userPrincipalName: `${alias}@contoso.com`,
      givenName: given,
      surname,
      alias,
      displayName: `${given} ${surname}`,
      department: i % 3 === 0 ? "Sales" : "Ops",
      kind: i % 20 === 0 ? "SharedMailbox" : "UserMailbox",
      addresses: [
        `SMTP:${alias}@contoso.com`,
        `smtp:${alias}@contoso.onmicrosoft.com`,
        `X500:/o=ExchangeLabs/ou=Exchange Administrative Group/cn=Recipients/cn=${alias}`,
        `SIP:${alias}@contoso.com`,
      ],
    });
  }
  return out;
}

/** The same desired state as explicit entries: what an admin writes without policies. */
function explicitSpec(mailboxes: readonly MailboxAttributes[]): string {
  const loaded = loadSpecText("policies.yaml", POLICIES, { policies: true });
  if (!loaded.ok) throw new Error("the benchmark's policies do not load");
  const expansion = expandPolicies(loaded.spec, mailboxes);
  if (expansion.problems.length > 0) throw new Error(`${expansion.problems.length} problems in the expansion`);
  const upn = new Map(mailboxes.map((m) => [m.id, m.userPrincipalName!]));
  const lines = [
    "version: 1",
    "allowedDomains: [contoso.com, contoos.com, contoso.onmicrosoft.com]",
    "defaults: {mode: additive}",
    "mailboxes:",
  ];
  for (const { declaration } of expansion.entries) {
    lines.push(
      `  ${upn.get(declaration.identity)}:`,
      `    primary: "${declaration.primary}"`,
      `    aliases: [${declaration.aliases.map((a) => `"${a}"`).join(", ")}]`,
    );
  }
  return `${lines.join("\n")}\n`;
}

function measure(kind: "policies" | "explicit", dir: string): void {
  const mailboxes = JSON.parse(readFileSync(path.join(dir, "tenant.json"), "utf8")) as MailboxAttributes[];
  const text = readFileSync(path.join(dir, `${kind}.yaml`), "utf8");
  const t0 = process.hrtime.bigint();
  const loaded = loadSpecText(`${kind}.yaml`, text, { policies: true });
  const t1 = process.hrtime.bigint();
  if (!loaded.ok) throw new Error(`${kind}: ${loaded.problems.length} problems`);
  const expansion = expandPolicies(loaded.spec, mailboxes);
  const t2 = process.hrtime.bigint();
  if (expansion.problems.length > 0) throw new Error(`${kind}: ${expansion.problems.length} problems in the expansion`);
  // Explicit entries are keyed by UPN, policy-managed ones by object id: the live lists by both.
  const live = new Map<string, readonly string[]>();
  for (const m of mailboxes) {
    live.set(m.id, m.addresses);
    live.set(m.userPrincipalName!.toLowerCase(), m.addresses);
  }
  const plan = planChanges(
    expansion.mailboxes.map((d) => ({
      identity: d.identity,
      desired: d,
      live: live.get(d.identity) ?? live.get(d.identity.toLowerCase()),
    })),
  );
  const t3 = process.hrtime.bigint();
  const ms = (a: bigint, b: bigint) => Math.round(Number(b - a) / 1e6);
  console.log(
    JSON.stringify({
      kind,
      mailboxes: expansion.mailboxes.length,
      specBytes: Buffer.byteLength(text),
      specLines: text.split("\n").length - 1,
      validateMs: ms(t0, t1),
      expandMs: ms(t1, t2),
      planMs: ms(t2, t3),
      totalMs: ms(t0, t3),
      changed: [...plan.plans.values()].filter((p) => p.changed).length,
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    }),
  );
}

function main(): void {
  const options = commandLine("bench/policy-expand");
  const kind = options.text("measure", "");
  if (kind !== "") {
    measure(kind as "policies" | "explicit", options.positionals[0]!);
    return;
  }
  const count = Number(options.positionals[0] ?? 10_000);
  const dir = mkdtempSync(path.join(tmpdir(), "policy-bench-"));
  try {
    const mailboxes = tenant(count);
    writeFileSync(path.join(dir, "tenant.json"), JSON.stringify(mailboxes));
    writeFileSync(path.join(dir, "policies.yaml"), POLICIES);
    writeFileSync(path.join(dir, "explicit.yaml"), explicitSpec(mailboxes));
    const results = (["policies", "explicit"] as const).map(
      (kind) =>
        JSON.parse(
          execFileSync(process.execPath, [__filename, "--measure", kind, dir], { encoding: "utf8" }),
        ) as Record<string, number | string>,
    );
    const keys = [
      "mailboxes",
      "specLines",
      "specBytes",
      "validateMs",
      "expandMs",
      "planMs",
      "totalMs",
      "changed",
      "peakRssMb",
    ];
    console.log(`| ${count} mailboxes | three policies | explicit entries |\n|---|---:|---:|`);
    for (const key of keys) console.log(`| ${key} | ${results[0]![key]} | ${results[1]![key]} |`);
    console.log(`node ${process.version}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
