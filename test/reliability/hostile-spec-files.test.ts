// The standing hostile corpus (issue 19, defects 1, 5 and 10): spec files that are not spec files
// (devices, directories, pipes, symlink loops, files outside the project, secrets), oversized
// files, other encodings, NUL, homoglyphs, zero-width and bidi characters, YAML 1.1 booleans,
// merge keys, case-only duplicate keys. Each is refused, fast, with a message that names the file,
// escapes what it quotes, stays short, and never carries a secret planted in the file. Prints its
// figures: inputs, refused, secrets found in messages.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, writeFileSync, ftruncateSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { formatProblem } from "../../core/problems";
import { loadSpecBytes } from "../../core/spec/load-spec";
import { hasUnsafeCharacters } from "../../core/text";
import { readSpecFile, SpecFileError } from "../../runtime/spec-file";

const CANARY = `canary-${randomBytes(24).toString("hex")}`;
/** True when `text` holds any 12 consecutive characters of the planted secret. */
const leaks = (text: string) => {
  for (let i = 0; i + 12 <= CANARY.length; i++) if (text.includes(CANARY.slice(i, i + 12))) return true;
  return false;
};

const project = mkdtempSync(path.join(os.tmpdir(), "mbx-hostile-"));
writeFileSync(path.join(project, "Pulumi.yaml"), "name: hostile\n");
const outside = mkdtempSync(path.join(os.tmpdir(), "mbx-outside-"));
const HEADER = "version: 1\nallowedDomains: [contoso.com]\nmailboxes:\n";

interface Case {
  readonly name: string;
  /** Makes the input; returns the path as the user would give it. */
  readonly make: () => string;
  /** A path typed on the command line (true) or the stack's `spec` setting (false). */
  readonly explicit: boolean;
  /** What the refusal must name (issue 29: the code point and its name, or the construct, and where). */
  readonly says?: string;
}

const file = (name: string, content: string | Buffer, dir = project) => {
  const full = path.join(dir, name);
  mkdirSync(path.dirname(full), { recursive: true });
  writeFileSync(full, content);
  return full;
};
const pem = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(CANARY.repeat(4))
  .toString("base64")
  .replace(/(.{64})/g, "$1\n")}\n-----END PRIVATE KEY-----\n`;

const CASES: Case[] = [
  { name: "/dev/zero as the setting", explicit: false, make: () => "/dev/zero" },
  { name: "/dev/zero on the command line", explicit: true, make: () => "/dev/zero" },
  { name: "/dev/null on the command line", explicit: true, make: () => "/dev/null" },
  { name: "/proc/self/environ as the setting", explicit: false, make: () => "/proc/self/environ" },
  { name: "a directory", explicit: true, make: () => (mkdirSync(path.join(project, "dir.yaml"), { recursive: true }), path.join(project, "dir.yaml")) },
  {
    name: "a symlink loop",
    explicit: true,
    make: () => (symlinkSync("loop-b.yaml", path.join(project, "loop-a.yaml")), symlinkSync("loop-a.yaml", path.join(project, "loop-b.yaml")), path.join(project, "loop-a.yaml")),
  },
  { name: "a named pipe", explicit: true, make: () => (execFileSync("mkfifo", [path.join(project, "pipe.yaml")]), path.join(project, "pipe.yaml")) },
  { name: "a file outside the project (setting)", explicit: false, make: () => file("spec.yaml", `${HEADER}  a@contoso.com: {primary: a@contoso.com}\n`, outside) },
  { name: "a symlink inside pointing outside (setting)", explicit: false, make: () => (symlinkSync(path.join(outside, "spec.yaml"), path.join(project, "link.yaml")), "link.yaml") },
  { name: "a secret file that is not YAML (setting)", explicit: false, make: () => (file("secret.env", `AZURE_CLIENT_SECRET=${CANARY}\n`), "secret.env") },
  { name: "a PEM key named .yaml (setting)", explicit: false, make: () => (file("key.yaml", pem), "key.yaml") },
  { name: "a PEM key on the command line", explicit: true, make: () => file("outside-key.pem", pem, outside) },
  { name: "an env file named .yaml", explicit: true, make: () => file("env.yaml", `AZURE_CLIENT_SECRET=${CANARY}\n`) },
  { name: "a NUL-separated environment", explicit: true, make: () => file("environ.yaml", `PATH=/usr/bin\0AZURE_CLIENT_SECRET=${CANARY}\0HOME=/root\0`) },
  {
    name: "a federated token (JWT) file",
    explicit: true,
    make: () => file("token.yaml", `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(CANARY).toString("base64url")}.${Buffer.from(CANARY).toString("base64url")}`),
  },
  { name: "a 500-character mode", explicit: true, make: () => file("value.yaml", `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    mode: ${"m".repeat(500)}\n`) },
  { name: "a 500-character alias", explicit: true, make: () => file("alias.yaml", `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["${"a".repeat(500)}"]\n`) },
  {
    name: "a file over the size cap (sparse, 40 MiB)",
    explicit: true,
    make: () => {
      const f = path.join(project, "huge.yaml");
      const fd = openSync(f, "w");
      ftruncateSync(fd, 40 * 1024 * 1024);
      closeSync(fd);
      return f;
    },
  },
  { name: "a 6 MiB value", explicit: true, make: () => file("long-value.yaml", `${HEADER}  a@contoso.com:\n    primary: "${"x".repeat(6 * 1024 * 1024)}@contoso.com"\n`) },
  {
    name: "UTF-16 encoding",
    explicit: true,
    make: () => file("utf16.yaml", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${HEADER}  a@contoso.com: {primary: a@contoso.com}\n`, "utf16le")])),
  },
  { name: "NUL inside a value", explicit: true, make: () => file("nul.yaml", `${HEADER}  a@contoso.com:\n    primary: "a\\0b@contoso.com"\n`) },
  { name: "a raw NUL byte", explicit: true, make: () => file("raw-nul.yaml", `${HEADER}  a@contoso.com:\n    primary: a\0b@contoso.com\n`) },
  { name: "a Cyrillic homoglyph in the local part", explicit: true, make: () => file("homoglyph-local.yaml", `${HEADER}  a@contoso.com:\n    primary: \u0430dmin@contoso.com\n`) },
  { name: "a Cyrillic homoglyph in the domain", explicit: true, make: () => file("homoglyph-domain.yaml", `${HEADER}  a@contoso.com:\n    primary: a@c\u043entoso.com\n`) },
  { name: "a zero-width space in an address", explicit: true, make: () => file("zero-width.yaml", `${HEADER}  a@contoso.com:\n    primary: a\u200b@contoso.com\n`) },
  { name: "an RTL override in a mailbox key", explicit: true, make: () => file("bidi.yaml", `${HEADER}  "a\u202emoc.osotnoc@b":\n    primary: a@contoso.com\n`) },
  { name: "an RTL override in an alias", explicit: true, make: () => file("bidi-alias.yaml", `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["x\u202e@contoso.com"]\n`) },
  { name: "YAML 1.1 boolean yes", explicit: true, make: () => file("yes.yaml", `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    cloudManaged: yes\n`) },
  { name: "YAML 1.1 boolean on as a mode", explicit: true, make: () => file("on.yaml", `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    mode: on\n`) },
  { name: "a merge key", explicit: true, make: () => file("merge.yaml", `${HEADER}  base: &b {primary: a@contoso.com}\n  a@contoso.com:\n    <<: *b\n`) },
  { name: "case-only duplicate keys", explicit: true, make: () => file("case-dup.yaml", `${HEADER}  Mark@contoso.com: {primary: a@contoso.com}\n  mark@contoso.com: {primary: b@contoso.com}\n`) },
  // Issue 29: nothing is rewritten behind the reviewer's back; each is refused naming the code
  // point or the construct, and where it is.
  {
    name: "a soft hyphen in the local part",
    explicit: true,
    says: "U+00AD SOFT HYPHEN (an invisible character) at character 3",
    make: () => file("soft-hyphen.yaml", `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["jo\\u00adhn@contoso.com"]\n`),
  },
  {
    name: "a word joiner in the domain",
    explicit: true,
    says: "U+2060 WORD JOINER",
    make: () => file("word-joiner.yaml", `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john@con\\u2060toso.com"]\n`),
  },
  {
    name: "a combining grapheme joiner",
    explicit: true,
    says: "U+034F COMBINING GRAPHEME JOINER",
    make: () => file("cgj.yaml", `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john@con\\u034ftoso.com"]\n`),
  },
  {
    name: "a variation selector",
    explicit: true,
    says: "U+FE0F VARIATION SELECTOR-16",
    make: () => file("vs16.yaml", `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john@contoso\\ufe0f.com"]\n`),
  },
  {
    name: "a Mongolian free variation selector",
    explicit: true,
    says: "U+180B MONGOLIAN FREE VARIATION SELECTOR ONE",
    make: () => file("fvs1.yaml", `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john@con\\u180btoso.com"]\n`),
  },
  {
    name: "a trailing zero-width space",
    explicit: true,
    says: "U+200B ZERO WIDTH SPACE (an invisible character) at character 17",
    make: () => file("trailing-zwsp.yaml", `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john@contoso.com\\u200b"]\n`),
  },
  {
    name: "a trailing BOM",
    explicit: true,
    says: "U+FEFF ZERO WIDTH NO-BREAK SPACE",
    make: () => file("trailing-bom.yaml", `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john@contoso.com\\ufeff"]\n`),
  },
  {
    name: "a trailing Mongolian vowel separator (Zs in old Unicode, Cf now)",
    explicit: true,
    says: "U+180E MONGOLIAN VOWEL SEPARATOR (an invisible character)",
    make: () => file("mvs.yaml", `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john@contoso.com\\u180e"]\n`),
  },
  {
    name: "a Roman numeral twelve (NFKC: xii)",
    explicit: true,
    says: "U+216B ROMAN NUMERAL TWELVE",
    make: () => file("roman.yaml", `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john@\\u216b.com"]\n`),
  },
  {
    name: "a ligature fi (NFKC: fi)",
    explicit: true,
    says: "U+FB01 LATIN SMALL LIGATURE FI",
    make: () => file("ligature.yaml", `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john@\\ufb01.com"]\n`),
  },
  {
    name: "an ideographic full stop in an address",
    explicit: true,
    says: "U+3002 IDEOGRAPHIC FULL STOP",
    make: () => file("ideographic-stop.yaml", `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john@contoso\\u3002com"]\n`),
  },
  { name: "a snowman domain", explicit: true, says: "U+2603 SNOWMAN", make: () => file("snowman.yaml", `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john@\\u2603.com"]\n`) },
  { name: "an emoji domain", explicit: true, says: "U+1F600", make: () => file("emoji.yaml", `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john@\\U0001F600.com"]\n`) },
  {
    name: "invalid punycode",
    explicit: true,
    says: '"xn--a", which is not valid punycode',
    make: () => file("bad-punycode.yaml", `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john@xn--a.com"]\n`),
  },
  {
    name: "punycode of a Greek homograph",
    explicit: true,
    says: '(it reads "c\u03a9ntoso")',
    make: () => file("greek-punycode.yaml", `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john@xn--cntoso-3ve.com"]\n`),
  },
  {
    name: "a leading no-break space",
    explicit: true,
    says: "U+00A0 NO-BREAK SPACE (a space) at column 15",
    make: () => file("nbsp.yaml", `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["\\u00a0john@contoso.com"]\n`),
  },
  {
    name: "a trailing ideographic space",
    explicit: true,
    says: "U+3000 IDEOGRAPHIC SPACE",
    make: () => file("ideographic-space.yaml", `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john@contoso.com\\u3000"]\n`),
  },
  {
    name: "a trailing line separator",
    explicit: true,
    says: "U+2028 LINE SEPARATOR",
    make: () => file("line-separator.yaml", `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john@contoso.com\\u2028"]\n`),
  },
  {
    name: "a leading BOM inside a value",
    explicit: true,
    says: "U+FEFF ZERO WIDTH NO-BREAK SPACE (an invisible character) at column 15",
    make: () => file("leading-bom.yaml", `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["\\ufeffjohn@contoso.com"]\n`),
  },
  {
    name: "a trailing next-line control",
    explicit: true,
    says: "U+0085 NEXT LINE (a control character)",
    make: () => file("next-line.yaml", `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john@contoso.com\\u0085"]\n`),
  },
  {
    name: "a trailing dot",
    explicit: true,
    says: "a trailing dot at column",
    make: () => file("trailing-dot.yaml", `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john@contoso.com."]\n`),
  },
  {
    name: "the SMTP: prefix in an alias",
    explicit: true,
    says: '"SMTP:" is a prefix; write the address without it (the primary is set by "primary:")',
    make: () => file("prefix.yaml", `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["SMTP:john@contoso.com"]\n`),
  },
  {
    name: "a quoted local part",
    explicit: true,
    says: "a quoted local part",
    make: () => file("quoted-local.yaml", `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["\\"john smith\\"@contoso.com"]\n`),
  },
  {
    name: "a comment",
    explicit: true,
    says: "a comment ((…)) at column",
    make: () => file("comment.yaml", `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john(work)@contoso.com"]\n`),
  },
  {
    name: "an angle-bracket form",
    explicit: true,
    says: "an angle-bracket form (<…>) at column",
    make: () => file("angle.yaml", `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["John <john@contoso.com>"]\n`),
  },
  {
    name: "an IP literal",
    explicit: true,
    says: "an IP address literal ([…]) at column",
    make: () => file("ip-literal.yaml", `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john@[192.0.2.1]"]\n`),
  },
  {
    name: "a leading dot",
    explicit: true,
    says: 'a dot at the start of the part before "@" at column',
    make: () => file("leading-dot.yaml", `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: [".john@contoso.com"]\n`),
  },
  {
    name: "a 255-character address ending in a dot (nothing is stripped before the length check)",
    explicit: true,
    says: "a trailing dot",
    make: () => {
      const domain = `${["b".repeat(63), "b".repeat(63), "b".repeat(63), "c".repeat(60)].join(".")}`;
      return file("long-dot.yaml", `version: 1\nallowedDomains: [contoso.com, ${domain}]\nmailboxes:\n  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["a@${domain}."]\n`);
    },
  },
  {
    name: "a Cyrillic homograph domain that allowedDomains lists as punycode",
    explicit: true,
    says: "U+043E CYRILLIC SMALL LETTER O",
    make: () =>
      file("homograph-allowed.yaml", `version: 1\nallowedDomains: [contoso.com, xn--cntoso-wqf.com]\nmailboxes:\n  a@contoso.com:\n    primary: a@contoso.com\n    aliases: [john@c\u043entoso.com]\n`),
  },
  {
    name: "an ideographic full stop in allowedDomains",
    explicit: true,
    says: "U+3002 IDEOGRAPHIC FULL STOP",
    make: () => file("ideographic-allowed.yaml", `version: 1\nallowedDomains: [contoso.com, "contoso\u3002com"]\nmailboxes:\n  a@contoso.com: {primary: a@contoso.com}\n`),
  },
  { name: "a NUL in the path", explicit: true, make: () => "spec\0.yaml" },
];

interface Outcome {
  readonly refused: boolean;
  readonly messages: string[];
  readonly ms: number;
}

function attempt(input: string, explicit: boolean): Outcome {
  const started = Date.now();
  try {
    const bytes = readSpecFile(input, { root: project, explicit });
    const loaded = loadSpecBytes(input, bytes);
    return { refused: !loaded.ok, messages: loaded.ok ? [] : loaded.problems.map(formatProblem), ms: Date.now() - started };
  } catch (err) {
    assert.ok(SpecFileError.isInstance(err), `not a SpecFileError: ${(err as Error).stack}`);
    return { refused: true, messages: [err.message], ms: Date.now() - started };
  }
}

describe("reliability: hostile spec files", () => {
  after(() => {
    rmSync(project, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it("refuses every hostile input, fast, with short escaped messages and no secret", (t) => {
    let refused = 0;
    let secretsFound = 0;
    const failures: string[] = [];
    for (const c of CASES) {
      const outcome = attempt(c.make(), c.explicit);
      if (outcome.refused) refused++;
      else failures.push(`${c.name}: accepted`);
      if (c.says !== undefined && !outcome.messages.some((m) => m.includes(c.says!)))
        failures.push(`${c.name}: no message says ${JSON.stringify(c.says)}: ${outcome.messages.join(" | ").slice(0, 300)}`);
      for (const message of outcome.messages) {
        if (leaks(message)) {
          secretsFound++;
          failures.push(`${c.name}: the message carries the secret: ${message.slice(0, 200)}`);
        }
        if (hasUnsafeCharacters(message)) failures.push(`${c.name}: unescaped characters in ${JSON.stringify(message.slice(0, 200))}`);
        if (message.length > 600) failures.push(`${c.name}: a message of ${message.length} characters`);
      }
      if (outcome.ms > 5000) failures.push(`${c.name}: took ${outcome.ms} ms`);
      t.diagnostic(`${c.name}: ${outcome.refused ? "refused" : "ACCEPTED"} in ${outcome.ms} ms: ${(outcome.messages[0] ?? "").slice(0, 160)}`);
    }
    t.diagnostic(`figures: hostile inputs ${CASES.length}, refused ${refused}, secrets found in messages ${secretsFound}`);
    assert.deepEqual(failures, []);
    assert.equal(refused, CASES.length);
  });

  it("still accepts a plain spec inside the project, by setting and by path", () => {
    const spec = file("good/spec.yaml", `${HEADER}  a@contoso.com: {primary: a@contoso.com}\n`);
    assert.equal(attempt("good/spec.yaml", false).refused, false);
    assert.equal(attempt(spec, true).refused, false);
  });
});
