// The verdicts of the address checks on a fixed corpus, as JSON: the issue-29 cases, every code
// point of the blocks where look-alike, invisible and compatibility characters live inserted into
// an address, the spec fixtures (test/fixtures/specs) and the hostile corpus
// (test/reliability/hostile-corpus.ts). Run by node-versions.test.ts under each supported Node
// (`node dist/test/unit/core/address-verdicts.js`), which compares the lists: one verdict on every
// runtime, whatever its ICU. Not a test file itself.
import { readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { checkAddress, type AddressOptions } from "../../../core/address";
import { formatProblem } from "../../../core/problems";
import { loadSpecBytes } from "../../../core/desired/load-spec";
import { readSpecFile, SpecFileError } from "../../../runtime/spec-file";

/** One input and what the checks said of it: accepted (the address written), or the messages. */
export interface Verdict {
  readonly input: string;
  readonly ok: boolean;
  readonly said: readonly string[];
}

/** The addresses issue 29 names, each refused (or accepted) the same way on every runtime. */
export const ISSUE_ADDRESSES: readonly string[] = [
  "john@contoso.com\u180e",
  "john@con\u200btoso.com",
  "john@contoso.com\u200b",
  "john@contoso.com\ufeff",
  "jo\u00adhn@contoso.com",
  "john@con\u2060toso.com",
  "john@con\u034ftoso.com",
  "john@contoso\ufe0f.com",
  "john@con\u180btoso.com",
  "john@\u216b.com",
  "john@\ufb01.com",
  "john@contoso\u3002com",
  "john@c\u043entoso.com",
  "john@\u2603.com",
  "john@\u{1f600}.com",
  "john@xn--a.com",
  "john@xn--cntoso-3ve.com",
  "john@xn--cntoso-wqf.com",
  "\u00a0john@contoso.com",
  "john@contoso.com\u3000",
  "john@contoso.com\u2028",
  "\ufeffjohn@contoso.com",
  "john@contoso.com\u0085",
  "jo\ufeffhn@contoso.com",
  `${"a".repeat(240)}@contoso.com.`,
  `${"a".repeat(242)}@contoso.com`,
  "SMTP:john@contoso.com",
  '"john"@contoso.com',
  "john(x)@contoso.com",
  "<john@contoso.com>",
  "john@[192.0.2.1]",
  ".john@contoso.com",
  "John.Smith@Contoso.COM",
];

/** Code point ranges swept: Latin-1 to the general punctuation, the CJK symbols, the compatibility and half/fullwidth forms, the tags. */
const SWEPT: readonly [number, number][] = [
  [0x0, 0x7f],
  [0x80, 0x52f],
  [0x1680, 0x1680],
  [0x180b, 0x180f],
  [0x1d00, 0x1dff],
  [0x2000, 0x2bff],
  [0x3000, 0x30ff],
  [0xfb00, 0xfb4f],
  [0xfe00, 0xfe6f],
  [0xff00, 0xffff],
  [0x1d400, 0x1d7ff],
  [0x1f300, 0x1f64f],
  [0xe0000, 0xe007f],
  [0xe0100, 0xe01ef],
];

function addressVerdict(input: string, options: AddressOptions = {}): Verdict {
  const result = checkAddress(input, options);
  const tag = options.internationalDomains === undefined ? "" : " (international domains opted in)";
  return result.ok
    ? { input: `${input}${tag}`, ok: true, said: [result.address, result.unicode ?? ""] }
    : { input: `${input}${tag}`, ok: false, said: [result.reason] };
}

/** Letters an opted-in international domain may hold or be refused, swept in a label (core/idn.ts's table and around it). */
const SWEPT_INTERNATIONAL: readonly [number, number][] = [
  [0x80, 0x52f],
  [0x3000, 0x30ff],
  [0x3400, 0x3440],
  [0x4e00, 0x4e80],
  [0x9fe0, 0xa020],
  [0xabf0, 0xac80],
  [0xd790, 0xd7b0],
  [0xfb00, 0xfb4f],
  [0xff00, 0xff70],
];

/** Every verdict of the corpus, in a fixed order. */
export function verdicts(): Verdict[] {
  const out: Verdict[] = ISSUE_ADDRESSES.map((a) => addressVerdict(a));
  out.push(...ISSUE_ADDRESSES.map((a) => addressVerdict(a, { internationalDomains: "any" })));
  for (const [from, to] of SWEPT_INTERNATIONAL) {
    for (let cp = from; cp <= to; cp++) {
      const ch = String.fromCodePoint(cp);
      out.push(
        addressVerdict(`john@b${ch}cher.example`, { internationalDomains: "any" }),
        addressVerdict(`john@${ch}${ch}.example`, { internationalDomains: "any" }),
      );
    }
  }
  for (const [from, to] of SWEPT) {
    for (let cp = from; cp <= to; cp++) {
      const ch = String.fromCodePoint(cp);
      out.push(
        addressVerdict(`jo${ch}hn@contoso.com`),
        addressVerdict(`john@con${ch}toso.com`),
        addressVerdict(`john@contoso.com${ch}`),
      );
    }
  }
  const fixtures = path.resolve(__dirname, "../../../../test/fixtures/specs");
  for (const kind of ["bad", "good"]) {
    for (const name of readdirSync(path.join(fixtures, kind))
      .filter((f) => f.endsWith(".yaml"))
      .sort()) {
      const loaded = loadSpecBytes(name, readFileSync(path.join(fixtures, kind, name)));
      out.push({
        input: `${kind}/${name}`,
        ok: loaded.ok,
        said: loaded.ok
          ? loaded.spec.mailboxes.flatMap((m) => [m.primary, ...m.aliases])
          : loaded.problems.map(formatProblem),
      });
    }
  }
  out.push(...hostileVerdicts());
  return out;
}

/** The hostile corpus's verdicts, its throwaway folders named by placeholders (they differ per process). */
function hostileVerdicts(): Verdict[] {
  // Loaded here: the corpus makes its folders when loaded.
  const { CASES, project, outside } =
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require("../../reliability/hostile-corpus") as typeof import("../../reliability/hostile-corpus");
  const out: Verdict[] = [];
  try {
    for (const c of CASES) {
      const input = c.make();
      const anonymous = (text: string) => text.split(project).join("<project>").split(outside).join("<outside>");
      let verdict: Verdict;
      try {
        const loaded = loadSpecBytes(input, readSpecFile(input, { root: project, explicit: c.explicit }));
        verdict = {
          input: c.name,
          ok: loaded.ok,
          said: loaded.ok ? [] : loaded.problems.map(formatProblem).map(anonymous),
        };
      } catch (err) {
        if (!SpecFileError.isInstance(err)) throw err;
        verdict = { input: c.name, ok: false, said: [anonymous(err.message)] };
      }
      out.push(verdict);
    }
  } finally {
    rmSync(project, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  }
  return out;
}

if (require.main === module) {
  process.stdout.write(`${JSON.stringify({ node: process.versions.node, verdicts: verdicts() })}\n`);
}
