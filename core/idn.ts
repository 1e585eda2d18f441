// International domain names, for the domains a spec opts in to (`internationalDomains`): a
// U-label (bücher) or an A-label (xn--bcher-kva) is checked letter by letter against a table of
// our own, not the runtime's Unicode data (the verdict is the same on every Node version), and
// refused when it could deceive a reader: a letter outside the scripts the table knows, an
// upper-case letter, letters of two scripts in one label (cоntoso with a Cyrillic о), or a label
// whose every letter looks like a Latin one (аррӏе, all Cyrillic). The A-label is what is written.
// Pure: no I/O.
import * as punycode from "punycode/punycode.js";
import { characterClass, describeCharacter } from "./characters";
import { quote } from "./text";

/** The scripts whose letters an international label may hold. */
export type Script = "Latin" | "Greek" | "Cyrillic" | "Han" | "Hiragana" | "Katakana" | "Hangul";
export const IDN_SCRIPTS: readonly Script[] = ["Latin", "Greek", "Cyrillic", "Han", "Hiragana", "Katakana", "Hangul"];

const REFERENCE = "docs/reference/exchange-online-addresses.md";

/** Letters of Latin Extended-A that are compatibility forms (they change under NFKC): ĳ ŀ ŉ ſ. */
const LATIN_COMPATIBILITY = new Set([0x132, 0x133, 0x13f, 0x140, 0x149, 0x17f]);

/**
 * The script of a lower-case letter a label may hold, "upper" for an upper-case letter outside
 * ASCII (IDNA2008 takes none: a label is written in lower case), or undefined for anything else.
 * Ranges from Unicode's Scripts.txt and UnicodeData.txt, restricted to letters that are PVALID
 * in IDNA2008 and unchanged by NFKC.
 */
export function letterScript(cp: number): Script | "upper" | undefined {
  if (cp >= 0x61 && cp <= 0x7a) return "Latin";
  if (cp >= 0xc0 && cp <= 0xde && cp !== 0xd7) return "upper";
  if (cp >= 0xdf && cp <= 0xff && cp !== 0xf7) return "Latin";
  if (cp >= 0x100 && cp <= 0x17f) {
    if (LATIN_COMPATIBILITY.has(cp)) return undefined;
    if (cp === 0x138) return "Latin";
    // Pairs: upper-case even below U+0138 and from U+014A, odd between; U+0178-017E apart.
    if (cp === 0x178) return "upper";
    if (cp >= 0x179) return cp % 2 === 1 ? "upper" : "Latin";
    if (cp >= 0x139 && cp <= 0x148) return cp % 2 === 1 ? "upper" : "Latin";
    return cp % 2 === 0 ? "upper" : "Latin";
  }
  if (cp >= 0x386 && cp <= 0x3ab && cp !== 0x387) return "upper";
  if (cp >= 0x3ac && cp <= 0x3ce) return "Greek";
  if (cp >= 0x400 && cp <= 0x42f) return "upper";
  if (cp >= 0x430 && cp <= 0x45f) return "Cyrillic";
  if (cp >= 0x460 && cp <= 0x4ff) {
    if (cp >= 0x482 && cp <= 0x48a) return undefined; // signs and combining marks
    if (cp === 0x4c0) return "upper";
    if (cp === 0x4cf) return "Cyrillic";
    if (cp >= 0x4c1 && cp <= 0x4ce) return cp % 2 === 1 ? "upper" : "Cyrillic";
    return cp % 2 === 0 ? "upper" : "Cyrillic";
  }
  if ((cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf)) return "Han";
  if ((cp >= 0x3041 && cp <= 0x3096) || cp === 0x309d || cp === 0x309e) return "Hiragana";
  if ((cp >= 0x30a1 && cp <= 0x30fa) || (cp >= 0x30fc && cp <= 0x30fe)) return "Katakana";
  if (cp >= 0xac00 && cp <= 0xd7a3) return "Hangul";
  return undefined;
}

/** Scripts one label may mix (Unicode TS 39, "highly restrictive"): Japanese, Korean, Chinese writing with Latin. */
const MIXES: readonly (readonly Script[])[] = [
  ["Latin", "Han", "Hiragana", "Katakana"],
  ["Latin", "Han", "Hangul"],
];

/** Cyrillic and Greek letters that pass for a Latin one (Unicode's confusables.txt), and the letter they pass for. */
const PASSES_FOR_LATIN: Readonly<Record<number, string>> = {
  0x430: "a",
  0x435: "e",
  0x43e: "o",
  0x440: "p",
  0x441: "c",
  0x443: "y",
  0x445: "x",
  0x455: "s",
  0x456: "i",
  0x458: "j",
  0x4bb: "h",
  0x4cf: "l",
  0x461: "w",
  0x4af: "y",
  0x3b1: "a",
  0x3b9: "i",
  0x3ba: "k",
  0x3bd: "v",
  0x3bf: "o",
  0x3c1: "p",
  0x3c5: "u",
  0x3c7: "x",
};

/** What is wrong with a label, and where in it (UTF-16 index). */
export interface LabelProblem {
  readonly index: number;
  readonly what: string;
  readonly rest: string;
}

/** A label in both forms: the Unicode one a reader reads, the ASCII one written. */
export interface LabelForms {
  readonly uLabel: string;
  readonly aLabel: string;
}

/**
 * Checks the Unicode text of one label (ASCII upper case already folded) and returns its A-label,
 * or the letter at fault. `shownAt` gives the index a problem reports (the A-label's own start,
 * for a decoded one, where a letter has no place in what the user wrote).
 */
function checkULabel(label: string, shownAt: (index: number) => number): LabelForms | LabelProblem {
  const scripts: { script: Script; index: number; cp: number }[] = [];
  for (let i = 0; i < label.length;) {
    const cp = label.codePointAt(i)!;
    const width = cp > 0xffff ? 2 : 1;
    if ((cp >= 0x30 && cp <= 0x39) || cp === 0x2d) {
      i += width;
      continue;
    }
    const script = letterScript(cp);
    if (script === "upper") {
      return {
        index: shownAt(i),
        what: describeCharacter(cp),
        rest: "; an international domain name is written in lower case: write the small letter",
      };
    }
    if (script === undefined) {
      const cls = characterClass(cp);
      const rest =
        cls === "other"
          ? `; an international domain name may hold letters of ${IDN_SCRIPTS.join(", ")} (each checked for look-alikes), digits and hyphens only`
          : `; Microsoft 365 does not accept international domain names (${REFERENCE} §7): write the domain in ASCII`;
      return { index: shownAt(i), what: describeCharacter(cp), rest };
    }
    scripts.push({ script, index: i, cp });
    i += width;
  }
  const used = [...new Set(scripts.map((s) => s.script))];
  if (used.length > 1 && !MIXES.some((mix) => used.every((s) => mix.includes(s)))) {
    // Name the letter that does not belong: in a label with Latin letters the first other one,
    // else the first of a script other than the label's first letter.
    const odd = used.includes("Latin")
      ? scripts.find((s) => s.script !== "Latin")!
      : scripts.find((s) => s.script !== scripts[0]!.script)!;
    const among = used.includes("Latin") && odd.script !== "Latin" ? "Latin" : scripts[0]!.script;
    return {
      index: shownAt(odd.index),
      what: describeCharacter(odd.cp),
      rest: `; a ${odd.script} letter among ${among} ones (mixed scripts in one label): a homograph of another name, refused`,
    };
  }
  if (
    used.length === 1 &&
    (used[0] === "Cyrillic" || used[0] === "Greek") &&
    scripts.every((s) => PASSES_FOR_LATIN[s.cp] !== undefined)
  ) {
    const reads = [...label].map((ch) => PASSES_FOR_LATIN[ch.codePointAt(0)!] ?? ch).join("");
    return {
      index: shownAt(0),
      what: `the label ${quote(label)}`,
      rest: `, all ${used[0]} letters that look like Latin ones, reads as ${quote(reads)}: a homograph of an ASCII name, refused`,
    };
  }
  if (label.startsWith("-"))
    return { index: shownAt(0), what: "a hyphen at the start of a domain label", rest: "; remove it" };
  if (label.endsWith("-"))
    return { index: shownAt(label.length - 1), what: "a hyphen at the end of a domain label", rest: "; remove it" };
  if (label.length >= 4 && label.slice(2, 4) === "--")
    return {
      index: shownAt(2),
      what: '"--" in the third and fourth places of a label',
      rest: "; an international label cannot have them (RFC 5891)",
    };
  return { uLabel: label, aLabel: `xn--${punycode.encode(label)}` };
}

/** The Unicode text of an A-label's tail (after `xn--`), or undefined when it is not valid punycode for a non-ASCII label. */
export function decodePunycode(tail: string): string | undefined {
  try {
    const decoded = punycode.decode(tail);
    // A real IDN label (RFC 5891 §4.4): it decodes to something outside ASCII, encodes back to
    // itself, and holds no control, space or invisible character.
    if (decoded.length === 0 || !/[^\x00-\x7f]/.test(decoded) || punycode.encode(decoded) !== tail.toLowerCase())
      return undefined;
    for (const ch of decoded)
      if (["control", "space", "invisible"].includes(characterClass(ch.codePointAt(0)!))) return undefined;
    return decoded;
  } catch {
    return undefined;
  }
}

/** Lower-cases ASCII letters only. */
const asciiLower = (text: string) => text.replace(/[A-Z]+/g, (upper) => upper.toLowerCase());

/** A domain in both forms, with `international` true when a label is not plain ASCII. */
export interface DomainForms {
  readonly ok: true;
  /** The domain as a reader reads it, every A-label decoded, ASCII in lower case. */
  readonly uDomain: string;
  /** The domain as written to the tenant: every label ASCII, in lower case. */
  readonly aDomain: string;
  readonly international: boolean;
}

/**
 * Both forms of a domain whose labels are ASCII, U-labels or A-labels, separated by ASCII dots; or
 * the first label problem, with its index in `domain`. ASCII labels are only lower-cased here:
 * their syntax (hyphens, lengths, characters) is core/address.ts's to check on the A-form.
 */
export function domainForms(domain: string): DomainForms | ({ readonly ok: false } & LabelProblem) {
  const u: string[] = [];
  const a: string[] = [];
  let international = false;
  let start = 0;
  for (const label of domain.split(".")) {
    const lower = asciiLower(label);
    if (/^xn--/.test(lower)) {
      international = true;
      const decoded = decodePunycode(lower.slice(4));
      if (decoded === undefined)
        return {
          ok: false,
          index: start,
          what: `${quote(label)}, which is not valid punycode`,
          rest: "; fix the domain",
        };
      const checked = checkULabel(decoded, () => start);
      if (!("aLabel" in checked)) {
        return {
          ok: false,
          index: checked.index,
          what: quote(label),
          rest: `, which reads ${quote(decoded)}: ${checked.what}${checked.rest}`,
        };
      }
      u.push(decoded);
      a.push(lower);
    } else if (/[^\x00-\x7f]/.test(label)) {
      international = true;
      const checked = checkULabel(lower, (i) => start + i);
      if (!("aLabel" in checked)) return { ok: false, ...checked };
      u.push(checked.uLabel);
      a.push(checked.aLabel);
    } else {
      u.push(lower);
      a.push(lower);
    }
    start += label.length + 1;
  }
  return { ok: true, uDomain: u.join("."), aDomain: a.join("."), international };
}

/** `john@bücher.example` for `john@xn--bcher-kva.example`; undefined when the domain has no valid A-label. */
export function unicodeFormOf(address: string): string | undefined {
  const at = address.lastIndexOf("@");
  const domain = address.slice(at + 1);
  if (!/(^|\.)xn--/i.test(domain)) return undefined;
  const forms = domainForms(domain);
  return forms.ok && forms.international ? `${address.slice(0, at + 1)}${forms.uDomain}` : undefined;
}

/** `john@xn--bcher-kva.example (john@bücher.example)`: an address as written and, for an international domain, as read; else the address alone. */
export function withUnicodeForm(address: string): string {
  const unicode = unicodeFormOf(address);
  return unicode === undefined ? address : `${address} (${unicode})`;
}
