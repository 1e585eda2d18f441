// Benchmark (not a test): validate and plan a generated 10,000-mailbox spec against 10,000 live
// lists, in one process, and report time and peak memory.
//   node dist/bench/core-plan.js [mailboxes]
import { planEntries } from "../core/plan/plan-changes";
import { loadSpecText } from "../core/desired/load-spec";
import { commandLine } from "../harness/command-line";

const count = Number(commandLine("bench/core-plan").positionals[0] ?? 10_000);
const lines = [
  "version: 1",
  "allowedDomains: [contoso.com, fabrikam.com, contoso.onmicrosoft.com]",
  "defaults: {mode: strict}",
  "mailboxes:",
];
const live = new Map<string, string[]>();
for (let i = 0; i < count; i++) {
  const user = `user${i}`;
  lines.push(
    `  ${user}@contoso.com:`,
    `    primary: ${user}@fabrikam.com`,
    `    aliases: [${user}@contoso.com, ${user}.alt@fabrikam.com]`,
  );
  // Live: a third already match, a third need a new primary, a third carry a stray alias.
  const base = [
    `smtp:${user}@contoso.onmicrosoft.com`,
    `X500:/o=ExchangeLabs/ou=Exchange Administrative Group/cn=Recipients/cn=${user}`,
    `SIP:${user}@contoso.com`,
  ];
  if (i % 3 === 0)
    live.set(`${user}@contoso.com`, [
      `SMTP:${user}@fabrikam.com`,
      `smtp:${user}@contoso.com`,
      `smtp:${user}.alt@fabrikam.com`,
      ...base,
    ]);
  else if (i % 3 === 1) live.set(`${user}@contoso.com`, [`SMTP:${user}@contoso.com`, ...base]);
  else
    live.set(`${user}@contoso.com`, [
      `SMTP:${user}@fabrikam.com`,
      `smtp:${user}@contoso.com`,
      `smtp:stray${i}@contoso.com`,
      ...base,
    ]);
}
const text = `${lines.join("\n")}\n`;

const t0 = process.hrtime.bigint();
const loaded = loadSpecText("bench.yaml", text);
const t1 = process.hrtime.bigint();
if (!loaded.ok) throw new Error(`spec invalid: ${loaded.problems.length} problems`);
const change = planEntries(loaded.spec.mailboxes, (identity) => live.get(identity));
const t2 = process.hrtime.bigint();
const changed = [...change.plans.values()].filter((p) => p.changed).length;
const ms = (a: bigint, b: bigint) => (Number(b - a) / 1e6).toFixed(0);
const peakMb = (process.resourceUsage().maxRSS / 1024).toFixed(0);
console.log(
  JSON.stringify({
    mailboxes: count,
    specBytes: text.length,
    validateMs: Number(ms(t0, t1)),
    planMs: Number(ms(t1, t2)),
    totalMs: Number(ms(t0, t2)),
    changed,
    peakRssMb: Number(peakMb),
    node: process.version,
  }),
);
