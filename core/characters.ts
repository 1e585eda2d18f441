// Names for the characters an address check refuses, so a message can say
// `U+200B ZERO WIDTH SPACE` instead of "invalid character". A table of our own, not the runtime's
// Unicode data: every Node version gives the same name and the same verdict (Unicode
// normalization and regular-expression property classes follow the ICU and V8 a Node ships,
// which differ between versions). Pure.
//
// The names are Unicode's (UnicodeData.txt). The table holds the characters that hide in an
// address or pass for ASCII: spaces, invisible format characters and joiners, variation
// selectors, look-alike dots and "@", compatibility forms, common Cyrillic and Greek homographs.
// Any other code point is named by its number only.

/** How a character deceives a reader: invisible, a space, a look-alike, or only not ASCII. */
export type CharacterClass = "control" | "space" | "invisible" | "look-alike" | "other";

const CONTROL_NAMES: Record<number, string> = {
  0x00: "NULL",
  0x09: "CHARACTER TABULATION",
  0x0a: "LINE FEED",
  0x0b: "LINE TABULATION",
  0x0c: "FORM FEED",
  0x0d: "CARRIAGE RETURN",
  0x1b: "ESCAPE",
  0x7f: "DELETE",
  0x85: "NEXT LINE",
};

const SPACES: Record<number, string> = {
  0x20: "SPACE",
  0xa0: "NO-BREAK SPACE",
  0x1680: "OGHAM SPACE MARK",
  0x2000: "EN QUAD",
  0x2001: "EM QUAD",
  0x2002: "EN SPACE",
  0x2003: "EM SPACE",
  0x2004: "THREE-PER-EM SPACE",
  0x2005: "FOUR-PER-EM SPACE",
  0x2006: "SIX-PER-EM SPACE",
  0x2007: "FIGURE SPACE",
  0x2008: "PUNCTUATION SPACE",
  0x2009: "THIN SPACE",
  0x200a: "HAIR SPACE",
  0x2028: "LINE SEPARATOR",
  0x2029: "PARAGRAPH SEPARATOR",
  0x202f: "NARROW NO-BREAK SPACE",
  0x205f: "MEDIUM MATHEMATICAL SPACE",
  0x3000: "IDEOGRAPHIC SPACE",
};

const INVISIBLE: Record<number, string> = {
  0xad: "SOFT HYPHEN",
  0x034f: "COMBINING GRAPHEME JOINER",
  0x061c: "ARABIC LETTER MARK",
  0x115f: "HANGUL CHOSEONG FILLER",
  0x1160: "HANGUL JUNGSEONG FILLER",
  0x17b4: "KHMER VOWEL INHERENT AQ",
  0x17b5: "KHMER VOWEL INHERENT AA",
  0x180b: "MONGOLIAN FREE VARIATION SELECTOR ONE",
  0x180c: "MONGOLIAN FREE VARIATION SELECTOR TWO",
  0x180d: "MONGOLIAN FREE VARIATION SELECTOR THREE",
  0x180e: "MONGOLIAN VOWEL SEPARATOR",
  0x180f: "MONGOLIAN FREE VARIATION SELECTOR FOUR",
  0x200b: "ZERO WIDTH SPACE",
  0x200c: "ZERO WIDTH NON-JOINER",
  0x200d: "ZERO WIDTH JOINER",
  0x200e: "LEFT-TO-RIGHT MARK",
  0x200f: "RIGHT-TO-LEFT MARK",
  0x202a: "LEFT-TO-RIGHT EMBEDDING",
  0x202b: "RIGHT-TO-LEFT EMBEDDING",
  0x202c: "POP DIRECTIONAL FORMATTING",
  0x202d: "LEFT-TO-RIGHT OVERRIDE",
  0x202e: "RIGHT-TO-LEFT OVERRIDE",
  0x2060: "WORD JOINER",
  0x2061: "FUNCTION APPLICATION",
  0x2062: "INVISIBLE TIMES",
  0x2063: "INVISIBLE SEPARATOR",
  0x2064: "INVISIBLE PLUS",
  0x2066: "LEFT-TO-RIGHT ISOLATE",
  0x2067: "RIGHT-TO-LEFT ISOLATE",
  0x2068: "FIRST STRONG ISOLATE",
  0x2069: "POP DIRECTIONAL ISOLATE",
  0x3164: "HANGUL FILLER",
  0xfeff: "ZERO WIDTH NO-BREAK SPACE",
  0xffa0: "HALFWIDTH HANGUL FILLER",
  0xfff9: "INTERLINEAR ANNOTATION ANCHOR",
  0xfffa: "INTERLINEAR ANNOTATION SEPARATOR",
  0xfffb: "INTERLINEAR ANNOTATION TERMINATOR",
};

const LOOK_ALIKES: Record<number, string> = {
  0x2024: "ONE DOT LEADER",
  0x3002: "IDEOGRAPHIC FULL STOP",
  0xfe52: "SMALL FULL STOP",
  0xff0e: "FULLWIDTH FULL STOP",
  0xff61: "HALFWIDTH IDEOGRAPHIC FULL STOP",
  0xfe6b: "SMALL COMMERCIAL AT",
  0xff20: "FULLWIDTH COMMERCIAL AT",
  0x2010: "HYPHEN",
  0x2011: "NON-BREAKING HYPHEN",
  0x2012: "FIGURE DASH",
  0x2013: "EN DASH",
  0x2212: "MINUS SIGN",
  0xfb00: "LATIN SMALL LIGATURE FF",
  0xfb01: "LATIN SMALL LIGATURE FI",
  0xfb02: "LATIN SMALL LIGATURE FL",
  0x2160: "ROMAN NUMERAL ONE",
  0x2164: "ROMAN NUMERAL FIVE",
  0x2169: "ROMAN NUMERAL TEN",
  0x216b: "ROMAN NUMERAL TWELVE",
  0x217c: "SMALL ROMAN NUMERAL FIFTY",
  0x0131: "LATIN SMALL LETTER DOTLESS I",
  0x017f: "LATIN SMALL LETTER LONG S",
  0x212a: "KELVIN SIGN",
  0x212b: "ANGSTROM SIGN",
  0x0391: "GREEK CAPITAL LETTER ALPHA",
  0x0392: "GREEK CAPITAL LETTER BETA",
  0x0395: "GREEK CAPITAL LETTER EPSILON",
  0x0397: "GREEK CAPITAL LETTER ETA",
  0x0399: "GREEK CAPITAL LETTER IOTA",
  0x039a: "GREEK CAPITAL LETTER KAPPA",
  0x039c: "GREEK CAPITAL LETTER MU",
  0x039d: "GREEK CAPITAL LETTER NU",
  0x039f: "GREEK CAPITAL LETTER OMICRON",
  0x03a1: "GREEK CAPITAL LETTER RHO",
  0x03a4: "GREEK CAPITAL LETTER TAU",
  0x03a7: "GREEK CAPITAL LETTER CHI",
  0x03a9: "GREEK CAPITAL LETTER OMEGA",
  0x03bf: "GREEK SMALL LETTER OMICRON",
  0x0410: "CYRILLIC CAPITAL LETTER A",
  0x0415: "CYRILLIC CAPITAL LETTER IE",
  0x041e: "CYRILLIC CAPITAL LETTER O",
  0x0420: "CYRILLIC CAPITAL LETTER ER",
  0x0421: "CYRILLIC CAPITAL LETTER ES",
  0x0430: "CYRILLIC SMALL LETTER A",
  0x0435: "CYRILLIC SMALL LETTER IE",
  0x043e: "CYRILLIC SMALL LETTER O",
  0x0440: "CYRILLIC SMALL LETTER ER",
  0x0441: "CYRILLIC SMALL LETTER ES",
  0x0443: "CYRILLIC SMALL LETTER U",
  0x0445: "CYRILLIC SMALL LETTER HA",
  0x0456: "CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I",
  0x0458: "CYRILLIC SMALL LETTER JE",
  0x04bb: "CYRILLIC SMALL LETTER SHHA",
};

const OTHER_NAMES: Record<number, string> = {
  0xe4: "LATIN SMALL LETTER A WITH DIAERESIS",
  0xe9: "LATIN SMALL LETTER E WITH ACUTE",
  0xf6: "LATIN SMALL LETTER O WITH DIAERESIS",
  0xfc: "LATIN SMALL LETTER U WITH DIAERESIS",
  0xdf: "LATIN SMALL LETTER SHARP S",
  0x2603: "SNOWMAN",
};

const DIGITS = ["ZERO", "ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN", "EIGHT", "NINE"];

/** The class of a code point, from the tables above (and the ranges they stand for). */
export function characterClass(codePoint: number): CharacterClass {
  if (codePoint < 0x20 || (codePoint >= 0x7f && codePoint <= 0x9f)) return "control";
  if (SPACES[codePoint] !== undefined) return "space";
  if (INVISIBLE[codePoint] !== undefined) return "invisible";
  // Variation selectors (VS1-16, VS17-256) and the tag block: invisible by definition.
  if (
    (codePoint >= 0xfe00 && codePoint <= 0xfe0f) ||
    (codePoint >= 0xe0100 && codePoint <= 0xe01ef) ||
    (codePoint >= 0xe0000 && codePoint <= 0xe007f)
  )
    return "invisible";
  // Bidi and deprecated format controls not named above (U+206A-206F).
  if (codePoint >= 0x206a && codePoint <= 0x206f) return "invisible";
  if (LOOK_ALIKES[codePoint] !== undefined) return "look-alike";
  // Fullwidth ASCII forms (U+FF01-FF5E) and mathematical alphanumerics look like ASCII letters.
  if ((codePoint >= 0xff01 && codePoint <= 0xff5e) || (codePoint >= 0x1d400 && codePoint <= 0x1d7ff))
    return "look-alike";
  return "other";
}

/** Unicode's name of a code point, where the table has it. */
export function characterName(codePoint: number): string | undefined {
  if (codePoint >= 0xfe00 && codePoint <= 0xfe0f) return `VARIATION SELECTOR-${codePoint - 0xfe00 + 1}`;
  if (codePoint >= 0xe0100 && codePoint <= 0xe01ef) return `VARIATION SELECTOR-${codePoint - 0xe0100 + 17}`;
  const named =
    CONTROL_NAMES[codePoint] ??
    SPACES[codePoint] ??
    INVISIBLE[codePoint] ??
    LOOK_ALIKES[codePoint] ??
    OTHER_NAMES[codePoint];
  if (named !== undefined) return named;
  // Fullwidth letters and digits: Unicode names them after the ASCII character they copy.
  const ascii = codePoint >= 0xff01 && codePoint <= 0xff5e ? String.fromCharCode(codePoint - 0xfee0) : "";
  if (/^[A-Z]$/.test(ascii)) return `FULLWIDTH LATIN CAPITAL LETTER ${ascii}`;
  if (/^[a-z]$/.test(ascii)) return `FULLWIDTH LATIN SMALL LETTER ${ascii.toUpperCase()}`;
  if (/^[0-9]$/.test(ascii)) return `FULLWIDTH DIGIT ${DIGITS[Number(ascii)]!}`;
  return undefined;
}

/** `U+200B ZERO WIDTH SPACE`, `U+0085 NEXT LINE`, or `U+1F600` for a code point the table does not name. */
export function describeCodePoint(codePoint: number): string {
  const hex = codePoint.toString(16).toUpperCase().padStart(4, "0");
  if (codePoint >= 0xd800 && codePoint <= 0xdfff) return `U+${hex} (half of a character: a lone surrogate)`;
  const name = characterName(codePoint);
  return name === undefined ? `U+${hex}` : `U+${hex} ${name}`;
}

const CLASS_NOTE: Record<CharacterClass, string> = {
  control: "a control character",
  space: "a space",
  invisible: "an invisible character",
  "look-alike": "a character that looks like an ASCII one",
  other: "a character outside ASCII",
};

/** `U+200B ZERO WIDTH SPACE (an invisible character)`. */
export function describeCharacter(codePoint: number): string {
  return `${describeCodePoint(codePoint)} (${CLASS_NOTE[characterClass(codePoint)]})`;
}
