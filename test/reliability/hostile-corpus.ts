// The hostile corpus (issues 19 and 25): files named as a spec that are not spec files, or are
// specs built to hurt. Shared by the refusal test (hostile-spec-files.test.ts) and the standing
// check on every command's output (hostile-output.test.ts). Each case makes its input in a throwaway
// project (`project`) or outside it (`outside`) and returns the path as a user would give it.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, mkdirSync, mkdtempSync, openSync, symlinkSync, writeFileSync, ftruncateSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export const CANARY = `canary-${randomBytes(24).toString("hex")}`;
/** True when `text` holds any 12 consecutive characters of the planted secret. */
export const leaks = (text: string) => {
  for (let i = 0; i + 12 <= CANARY.length; i++) if (text.includes(CANARY.slice(i, i + 12))) return true;
  return false;
};

export const project = mkdtempSync(path.join(os.tmpdir(), "mbx-hostile-"));
writeFileSync(path.join(project, "Pulumi.yaml"), "name: hostile\n");
export const outside = mkdtempSync(path.join(os.tmpdir(), "mbx-outside-"));
/** Lines shaped like /etc/shadow (no real hashes): a planted link's target. */
export const SHADOW_LIKE =
  ["root", "daemon", "bin", "sys", "sync", "games", "man", "lp", "mail", "news", "uucp", "proxy"]
    .map((u, i) => `${u}:$6$${CANARY.slice(i, i + 16)}:19000:0:99999:7:::`)
    .join("\n") + "\n";
export const HEADER = "version: 1\nallowedDomains: [contoso.com]\nmailboxes:\n";

export interface Case {
  readonly name: string;
  /** Makes the input; returns the path as the user would give it. */
  readonly make: () => string;
  /** A path typed on the command line (true) or the stack's `spec` setting (false). */
  readonly explicit: boolean;
  /** What the refusal must name (issue 29: the code point and its name, or the construct, and where). */
  readonly says?: string;
}

export const file = (name: string, content: string | Buffer, dir = project) => {
  const full = path.join(dir, name);
  mkdirSync(path.dirname(full), { recursive: true });
  writeFileSync(full, content);
  return full;
};
const pem = `-----BEGIN PRIVATE KEY-----\n${Buffer.from(CANARY.repeat(4))
  .toString("base64")
  .replace(/(.{64})/g, "$1\n")}\n-----END PRIVATE KEY-----\n`;

export const CASES: Case[] = [
  { name: "/dev/zero as the setting", explicit: false, make: () => "/dev/zero" },
  { name: "/dev/zero on the command line", explicit: true, make: () => "/dev/zero" },
  { name: "/dev/null on the command line", explicit: true, make: () => "/dev/null" },
  { name: "/proc/self/environ as the setting", explicit: false, make: () => "/proc/self/environ" },
  {
    name: "a directory",
    explicit: true,
    make: () => (mkdirSync(path.join(project, "dir.yaml"), { recursive: true }), path.join(project, "dir.yaml")),
  },
  {
    name: "a symlink loop",
    explicit: true,
    make: () => (
      symlinkSync("loop-b.yaml", path.join(project, "loop-a.yaml")),
      symlinkSync("loop-a.yaml", path.join(project, "loop-b.yaml")),
      path.join(project, "loop-a.yaml")
    ),
  },
  {
    name: "a named pipe",
    explicit: true,
    make: () => (execFileSync("mkfifo", [path.join(project, "pipe.yaml")]), path.join(project, "pipe.yaml")),
  },
  {
    name: "a file outside the project (setting)",
    explicit: false,
    make: () => file("spec.yaml", `${HEADER}  a@contoso.com: {primary: a@contoso.com}\n`, outside),
  },
  {
    name: "a symlink inside pointing outside (setting)",
    explicit: false,
    make: () => (symlinkSync(path.join(outside, "spec.yaml"), path.join(project, "link.yaml")), "link.yaml"),
  },
  {
    name: "a secret file that is not YAML (setting)",
    explicit: false,
    make: () => (file("secret.env", `AZURE_CLIENT_SECRET=${CANARY}\n`), "secret.env"),
  },
  { name: "a PEM key named .yaml (setting)", explicit: false, make: () => (file("key.yaml", pem), "key.yaml") },
  { name: "a PEM key on the command line", explicit: true, make: () => file("outside-key.pem", pem, outside) },
  { name: "an env file named .yaml", explicit: true, make: () => file("env.yaml", `AZURE_CLIENT_SECRET=${CANARY}\n`) },
  {
    name: "a NUL-separated environment",
    explicit: true,
    make: () => file("environ.yaml", `PATH=/usr/bin\0AZURE_CLIENT_SECRET=${CANARY}\0HOME=/root\0`),
  },
  {
    name: "a federated token (JWT) file",
    explicit: true,
    make: () =>
      file(
        "token.yaml",
        `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(CANARY).toString("base64url")}.${Buffer.from(CANARY).toString("base64url")}`,
      ),
  },
  {
    name: "a 500-character mode",
    explicit: true,
    make: () =>
      file("value.yaml", `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    mode: ${"m".repeat(500)}\n`),
  },
  {
    name: "a 500-character alias",
    explicit: true,
    make: () =>
      file(
        "alias.yaml",
        `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["${"a".repeat(500)}"]\n`,
      ),
  },
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
  {
    name: "a 6 MiB value",
    explicit: true,
    make: () =>
      file("long-value.yaml", `${HEADER}  a@contoso.com:\n    primary: "${"x".repeat(6 * 1024 * 1024)}@contoso.com"\n`),
  },
  {
    name: "UTF-16 encoding",
    explicit: true,
    make: () =>
      file(
        "utf16.yaml",
        Buffer.concat([
          Buffer.from([0xff, 0xfe]),
          Buffer.from(`${HEADER}  a@contoso.com: {primary: a@contoso.com}\n`, "utf16le"),
        ]),
      ),
  },
  {
    name: "NUL inside a value",
    explicit: true,
    make: () => file("nul.yaml", `${HEADER}  a@contoso.com:\n    primary: "a\\0b@contoso.com"\n`),
  },
  {
    name: "a raw NUL byte",
    explicit: true,
    make: () => file("raw-nul.yaml", `${HEADER}  a@contoso.com:\n    primary: a\0b@contoso.com\n`),
  },
  {
    name: "a Cyrillic homoglyph in the local part",
    explicit: true,
    make: () => file("homoglyph-local.yaml", `${HEADER}  a@contoso.com:\n    primary: \u0430dmin@contoso.com\n`),
  },
  {
    name: "a Cyrillic homoglyph in the domain",
    explicit: true,
    make: () => file("homoglyph-domain.yaml", `${HEADER}  a@contoso.com:\n    primary: a@c\u043entoso.com\n`),
  },
  {
    name: "a zero-width space in an address",
    explicit: true,
    make: () => file("zero-width.yaml", `${HEADER}  a@contoso.com:\n    primary: a\u200b@contoso.com\n`),
  },
  {
    name: "an RTL override in a mailbox key",
    explicit: true,
    make: () => file("bidi.yaml", `${HEADER}  "a\u202emoc.osotnoc@b":\n    primary: a@contoso.com\n`),
  },
  {
    name: "an RTL override in an alias",
    explicit: true,
    make: () =>
      file(
        "bidi-alias.yaml",
        `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["x\u202e@contoso.com"]\n`,
      ),
  },
  {
    name: "YAML 1.1 boolean yes",
    explicit: true,
    make: () => file("yes.yaml", `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    cloudManaged: yes\n`),
  },
  {
    name: "YAML 1.1 boolean on as a mode",
    explicit: true,
    make: () => file("on.yaml", `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    mode: on\n`),
  },
  {
    name: "a merge key",
    explicit: true,
    make: () => file("merge.yaml", `${HEADER}  base: &b {primary: a@contoso.com}\n  a@contoso.com:\n    <<: *b\n`),
  },
  {
    name: "case-only duplicate keys",
    explicit: true,
    make: () =>
      file(
        "case-dup.yaml",
        `${HEADER}  Mark@contoso.com: {primary: a@contoso.com}\n  mark@contoso.com: {primary: b@contoso.com}\n`,
      ),
  },
  // Issue 29: nothing is rewritten behind the reviewer's back; each is refused naming the code
  // point or the construct, and where it is.
  {
    name: "a soft hyphen in the local part",
    explicit: true,
    says: "U+00AD SOFT HYPHEN (an invisible character) at character 3",
    make: () =>
      file(
        "soft-hyphen.yaml",
        `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["jo\\u00adhn@contoso.com"]\n`,
      ),
  },
  {
    name: "a word joiner in the domain",
    explicit: true,
    says: "U+2060 WORD JOINER",
    make: () =>
      file(
        "word-joiner.yaml",
        `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john@con\\u2060toso.com"]\n`,
      ),
  },
  {
    name: "a combining grapheme joiner",
    explicit: true,
    says: "U+034F COMBINING GRAPHEME JOINER",
    make: () =>
      file(
        "cgj.yaml",
        `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john@con\\u034ftoso.com"]\n`,
      ),
  },
  {
    name: "a variation selector",
    explicit: true,
    says: "U+FE0F VARIATION SELECTOR-16",
    make: () =>
      file(
        "vs16.yaml",
        `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john@contoso\\ufe0f.com"]\n`,
      ),
  },
  {
    name: "a Mongolian free variation selector",
    explicit: true,
    says: "U+180B MONGOLIAN FREE VARIATION SELECTOR ONE",
    make: () =>
      file(
        "fvs1.yaml",
        `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john@con\\u180btoso.com"]\n`,
      ),
  },
  {
    name: "a trailing zero-width space",
    explicit: true,
    says: "U+200B ZERO WIDTH SPACE (an invisible character) at character 17",
    make: () =>
      file(
        "trailing-zwsp.yaml",
        `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john@contoso.com\\u200b"]\n`,
      ),
  },
  {
    name: "a trailing BOM",
    explicit: true,
    says: "U+FEFF ZERO WIDTH NO-BREAK SPACE",
    make: () =>
      file(
        "trailing-bom.yaml",
        `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john@contoso.com\\ufeff"]\n`,
      ),
  },
  {
    name: "a trailing Mongolian vowel separator (Zs in old Unicode, Cf now)",
    explicit: true,
    says: "U+180E MONGOLIAN VOWEL SEPARATOR (an invisible character)",
    make: () =>
      file(
        "mvs.yaml",
        `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john@contoso.com\\u180e"]\n`,
      ),
  },
  {
    name: "a Roman numeral twelve (NFKC: xii)",
    explicit: true,
    says: "U+216B ROMAN NUMERAL TWELVE",
    make: () =>
      file("roman.yaml", `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john@\\u216b.com"]\n`),
  },
  {
    name: "a ligature fi (NFKC: fi)",
    explicit: true,
    says: "U+FB01 LATIN SMALL LIGATURE FI",
    make: () =>
      file(
        "ligature.yaml",
        `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john@\\ufb01.com"]\n`,
      ),
  },
  {
    name: "an ideographic full stop in an address",
    explicit: true,
    says: "U+3002 IDEOGRAPHIC FULL STOP",
    make: () =>
      file(
        "ideographic-stop.yaml",
        `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john@contoso\\u3002com"]\n`,
      ),
  },
  {
    name: "a snowman domain",
    explicit: true,
    says: "U+2603 SNOWMAN",
    make: () =>
      file(
        "snowman.yaml",
        `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john@\\u2603.com"]\n`,
      ),
  },
  {
    name: "an emoji domain",
    explicit: true,
    says: "U+1F600",
    make: () =>
      file(
        "emoji.yaml",
        `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john@\\U0001F600.com"]\n`,
      ),
  },
  {
    name: "invalid punycode",
    explicit: true,
    says: '"xn--a", which is not valid punycode',
    make: () =>
      file(
        "bad-punycode.yaml",
        `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john@xn--a.com"]\n`,
      ),
  },
  {
    name: "punycode of a Greek homograph",
    explicit: true,
    says: 'which reads "c\u03a9ntoso"',
    make: () =>
      file(
        "greek-punycode.yaml",
        `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john@xn--cntoso-3ve.com"]\n`,
      ),
  },
  {
    name: "a leading no-break space",
    explicit: true,
    says: "U+00A0 NO-BREAK SPACE (a space) at column 15",
    make: () =>
      file(
        "nbsp.yaml",
        `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["\\u00a0john@contoso.com"]\n`,
      ),
  },
  {
    name: "a trailing ideographic space",
    explicit: true,
    says: "U+3000 IDEOGRAPHIC SPACE",
    make: () =>
      file(
        "ideographic-space.yaml",
        `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john@contoso.com\\u3000"]\n`,
      ),
  },
  {
    name: "a trailing line separator",
    explicit: true,
    says: "U+2028 LINE SEPARATOR",
    make: () =>
      file(
        "line-separator.yaml",
        `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john@contoso.com\\u2028"]\n`,
      ),
  },
  {
    name: "a leading BOM inside a value",
    explicit: true,
    says: "U+FEFF ZERO WIDTH NO-BREAK SPACE (an invisible character) at column 15",
    make: () =>
      file(
        "leading-bom.yaml",
        `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["\\ufeffjohn@contoso.com"]\n`,
      ),
  },
  {
    name: "a trailing next-line control",
    explicit: true,
    says: "U+0085 NEXT LINE (a control character)",
    make: () =>
      file(
        "next-line.yaml",
        `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john@contoso.com\\u0085"]\n`,
      ),
  },
  {
    name: "a trailing dot",
    explicit: true,
    says: "a trailing dot at column",
    make: () =>
      file(
        "trailing-dot.yaml",
        `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john@contoso.com."]\n`,
      ),
  },
  {
    name: "the SMTP: prefix in an alias",
    explicit: true,
    says: '"SMTP:" is a prefix; write the address without it (the primary is set by "primary:")',
    make: () =>
      file(
        "prefix.yaml",
        `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["SMTP:john@contoso.com"]\n`,
      ),
  },
  {
    name: "a quoted local part",
    explicit: true,
    says: "a quoted local part",
    make: () =>
      file(
        "quoted-local.yaml",
        `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["\\"john smith\\"@contoso.com"]\n`,
      ),
  },
  {
    name: "a comment",
    explicit: true,
    says: "a comment ((…)) at column",
    make: () =>
      file(
        "comment.yaml",
        `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john(work)@contoso.com"]\n`,
      ),
  },
  {
    name: "an angle-bracket form",
    explicit: true,
    says: "an angle-bracket form (<…>) at column",
    make: () =>
      file(
        "angle.yaml",
        `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["John <john@contoso.com>"]\n`,
      ),
  },
  {
    name: "an IP literal",
    explicit: true,
    says: "an IP address literal ([…]) at column",
    make: () =>
      file(
        "ip-literal.yaml",
        `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["john@[192.0.2.1]"]\n`,
      ),
  },
  {
    name: "a leading dot",
    explicit: true,
    says: 'a dot at the start of the part before "@" at column',
    make: () =>
      file(
        "leading-dot.yaml",
        `${HEADER}  a@contoso.com:\n    primary: a@contoso.com\n    aliases: [".john@contoso.com"]\n`,
      ),
  },
  {
    name: "a 255-character address ending in a dot (nothing is stripped before the length check)",
    explicit: true,
    says: "a trailing dot",
    make: () => {
      const domain = `${["b".repeat(63), "b".repeat(63), "b".repeat(63), "c".repeat(60)].join(".")}`;
      return file(
        "long-dot.yaml",
        `version: 1\nallowedDomains: [contoso.com, ${domain}]\nmailboxes:\n  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["a@${domain}."]\n`,
      );
    },
  },
  {
    name: "a Cyrillic homograph domain that allowedDomains lists as punycode",
    explicit: true,
    says: "U+043E CYRILLIC SMALL LETTER O",
    make: () =>
      file(
        "homograph-allowed.yaml",
        `version: 1\nallowedDomains: [contoso.com, xn--cntoso-wqf.com]\nmailboxes:\n  a@contoso.com:\n    primary: a@contoso.com\n    aliases: [john@c\u043entoso.com]\n`,
      ),
  },
  {
    name: "an ideographic full stop in allowedDomains",
    explicit: true,
    says: "U+3002 IDEOGRAPHIC FULL STOP",
    make: () =>
      file(
        "ideographic-allowed.yaml",
        `version: 1\nallowedDomains: [contoso.com, "contoso\u3002com"]\nmailboxes:\n  a@contoso.com: {primary: a@contoso.com}\n`,
      ),
  },
  // Issue 29: an opt-in for international domains does not let a homograph through.
  ...[
    [
      "a Cyrillic о in an opted-in domain",
      "xn--cntoso-wqf.com",
      "john@c\u043entoso.com",
      "a Cyrillic letter among Latin ones (mixed scripts in one label)",
    ],
    [
      "an all-Cyrillic look-alike of apple, opted in",
      "xn--80ak6aa92e.com",
      "john@xn--80ak6aa92e.com",
      'all Cyrillic letters that look like Latin ones, reads as "apple"',
    ],
    [
      "a ligature in an opted-in domain",
      "xn--bcher-kva.example",
      "john@b\u00fc\ufb01cher.example",
      "U+FB01 LATIN SMALL LIGATURE FI",
    ],
    [
      "a zero-width joiner in an opted-in domain",
      "xn--bcher-kva.example",
      "john@b\u00fc\u200dcher.example",
      "U+200D ZERO WIDTH JOINER (an invisible character)",
    ],
    [
      "an upper-case Ü in an opted-in domain",
      "xn--bcher-kva.example",
      "john@B\u00dccher.example",
      "an international domain name is written in lower case",
    ],
  ].map(([name, domain, address, says]): Case => ({
    name: name!,
    explicit: true,
    says: says!,
    make: () =>
      file(
        `idn-${name!.replace(/[^a-z]+/gi, "-")}.yaml`,
        `version: 1\nallowedDomains: [contoso.com, ${domain!}]\ninternationalDomains: [${domain!}]\nmailboxes:\n  a@contoso.com:\n    primary: a@contoso.com\n    aliases: ["${address!}"]\n`,
      ),
  })),
  { name: "a NUL in the path", explicit: true, make: () => "spec\0.yaml" },
  // Issue 25: a link planted inside the repository that leads out of it, typed (or globbed) on the
  // command line; a one-line secret named as the spec; a password-file look-alike; a spec of
  // 300,000 entries (16 MB), refused before its document is built.
  {
    name: "a symlink inside the project to a password file outside (command line)",
    explicit: true,
    make: () => (
      symlinkSync(file("shadow", SHADOW_LIKE, outside), path.join(project, "shards-shadow.yaml")),
      path.join(project, "shards-shadow.yaml")
    ),
  },
  {
    name: "a one-line secret named as the spec (setting)",
    explicit: false,
    make: () => (file("one-line.yaml", `DB_PASSWORD=${CANARY}\n`), "one-line.yaml"),
  },
  {
    name: "a one-line secret on the command line",
    explicit: true,
    make: () => file("one-line-cli.yaml", `DB_PASSWORD=${CANARY}\n`),
  },
  { name: "a password-file look-alike named .yaml", explicit: true, make: () => file("passwd.yaml", SHADOW_LIKE) },
  {
    name: "a spec of 300,000 entries (16 MB)",
    explicit: true,
    make: () => file("huge-count.yaml", manyEntries(300_000)),
  },
];

/** A spec with `n` mailboxes, one line each (about 54 bytes a mailbox). */
export function manyEntries(n: number): string {
  const lines = [HEADER.trimEnd()];
  for (let i = 0; i < n; i++) {
    const user = `u${String(i).padStart(6, "0")}@contoso.com`;
    lines.push(`  ${user}: {primary: ${user}}`);
  }
  return `${lines.join("\n")}\n`;
}
