// Text from a spec, a tenant or an error put safely into a message: control characters, bidi
// overrides and invisible characters are escaped (so a value cannot hide, reorder or fake the
// text around it in a terminal or a PR comment), and long values are cut (a 31 MiB value is never
// printed whole, nor is a secret file that was read by mistake). Pure.

/** Longest value quoted in a message, in characters, before it is cut. */
export const MAX_QUOTED_CHARS = 80;
/** Longest message, in characters, after which it is cut. */
export const MAX_MESSAGE_CHARS = 2000;

// C0 and C1 controls (tab and line breaks included: a message is one line), DEL; bidi embeddings,
// overrides, isolates and marks; zero-width characters, soft hyphen, word joiner, BOM; line and
// paragraph separators; the Unicode tag block (invisible ASCII look-alikes).
const UNSAFE =
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\u206a-\u206f\ufeff\ufff9-\ufffb]|\udb40[\udc00-\udc7f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "\\0" };

function escapeChar(ch: string): string {
  if (NAMED[ch] !== undefined) return NAMED[ch]!;
  return [...ch]
    .map((c) => {
      const code = c.codePointAt(0)!;
      return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, "0")}`;
    })
    .join("");
}

/** True when `text` holds a character {@link escapeUnsafe} would escape. */
export function hasUnsafeCharacters(text: string): boolean {
  UNSAFE.lastIndex = 0;
  const found = UNSAFE.test(text);
  UNSAFE.lastIndex = 0;
  return found;
}

/** Escapes control, bidi and invisible characters as `\n`, `\u202e`...; leaves the rest. */
export function escapeUnsafe(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/** Cuts `text` to `max` characters, saying how much was left out. */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  // Do not split a surrogate pair.
  let end = max;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return `${text.slice(0, end)}… (${text.length - end} more characters)`;
}

/**
 * A value from outside (the spec, the tenant, a server) as it appears in a message: in double
 * quotes, unsafe characters escaped, at most `max` characters of it. `"` and `\` inside are
 * escaped too, so the quotes always delimit the value.
 */
export function quote(value: unknown, max = MAX_QUOTED_CHARS): string {
  const text = typeof value === "string" ? value : String(value);
  const shown = text.length > max ? text.slice(0, max) : text;
  const body = escapeUnsafe(shown.replace(/\\/g, "\\\\").replace(/"/g, '\\"'));
  return text.length > max ? `"${body}"… (${text.length - max} more characters)` : `"${body}"`;
}

/**
 * The last line of defence for any message shown to an admin or written to a report: escapes
 * what {@link quote} would have, and cuts the whole message to {@link MAX_MESSAGE_CHARS}.
 * `multiline` keeps line breaks (for messages that list several problems, one per line).
 */
export function safeMessage(message: string, options: { multiline?: boolean; max?: number } = {}): string {
  const max = options.max ?? MAX_MESSAGE_CHARS;
  const escaped = options.multiline
    ? message
        .split("\n")
        .map((line) => escapeUnsafe(line.replace(/\r$/, "")))
        .join("\n")
    : escapeUnsafe(message);
  return cut(escaped, max);
}

/**
 * Drops stack-trace lines (`    at f (file:1:2)`) and Node's "unhandled exception" framing from a
 * diagnostic, keeping what it says: for reports and messages built from another process's output.
 */
export function withoutStackTrace(text: string): string {
  return text
    .split("\n")
    .filter((line) => !/^\s{2,}at\s\S/.test(line))
    .filter((line) => !/^\s*\{?\s*\[?stack\]?:/.test(line))
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}
