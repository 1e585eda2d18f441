// Exchange Server's email address template language: parse a template once (positioned errors for
// the spec), then evaluate it for one mailbox's attributes. Pure.
//
// The supported subset and its source (docs/POLICIES.md, "Template language"): the variable table
// of Microsoft's "Email address policies in Exchange Server" (%d display name, %g given name,
// %i middle initial, %m Exchange alias, %s surname, %<n>g / %<n>s the first n letters, %rxy
// replace every x by y, %rxx remove every x), the older recipient-policy notes (KB 285136:
// a %r applies to the variables after it; characters an address cannot hold are dropped) and
// the default policy's `@domain` form (a template without a local part means the alias).
// One extension, marked as such: %u, the local part of the user principal name, because in
// Exchange Online the alias (mailNickname) often differs from it.
import { normalizeAddress, normalizeDomain } from "../address";
import { quote } from "../text";

/** A variable of the template language. */
export type TemplateVariable = "g" | "s" | "i" | "m" | "d" | "u";

/** The mailbox attributes a template reads. */
export interface TemplateAttributes {
  readonly givenName?: string | undefined;
  readonly surname?: string | undefined;
  readonly initials?: string | undefined;
  /** Exchange's alias (Entra mailNickname). */
  readonly alias?: string | undefined;
  readonly displayName?: string | undefined;
  readonly userPrincipalName?: string | undefined;
}

/** What each variable reads, in an admin's words (for messages). */
export const VARIABLE_NAMES: Readonly<Record<TemplateVariable, string>> = {
  g: "given name (givenName)",
  s: "surname (surname)",
  i: "initials (initials)",
  m: "alias (mailNickname)",
  d: "display name (displayName)",
  u: "user principal name's local part (userPrincipalName)",
};

function valueOf(variable: TemplateVariable, attributes: TemplateAttributes): string | undefined {
  switch (variable) {
    case "g":
      return attributes.givenName;
    case "s":
      return attributes.surname;
    case "i":
      return attributes.initials;
    case "m":
      return attributes.alias;
    case "d":
      return attributes.displayName;
    case "u": {
      const upn = attributes.userPrincipalName;
      return upn === undefined ? undefined : upn.slice(0, upn.lastIndexOf("@") < 0 ? upn.length : upn.lastIndexOf("@"));
    }
  }
}

/** One piece of a template's local part. `offset` is its index in the template text. */
export type TemplatePart =
  | { readonly kind: "text"; readonly text: string; readonly offset: number }
  | {
      readonly kind: "variable";
      readonly variable: TemplateVariable;
      /** %<n>x: only the first n characters. */
      readonly count: number | undefined;
      /** The %r replacements written before it, in order. */
      readonly replacements: readonly (readonly [string, string])[];
      readonly offset: number;
      /** Length of the token in the template (for positions). */
      readonly length: number;
    };

/** A parsed template: the local part's pieces and the (normalised) domain. */
export interface AddressTemplate {
  readonly text: string;
  readonly parts: readonly TemplatePart[];
  readonly domain: string;
  /** Index of the domain in the template text. */
  readonly domainOffset: number;
}

export type TemplateParse =
  | { readonly ok: true; readonly template: AddressTemplate }
  | { readonly ok: false; readonly offset: number; readonly message: string };

// RFC 5322 atext plus the dot: what a local part may hold (the same set core/address.ts accepts).
const LOCAL_CHAR = /^[A-Za-z0-9!#$&'*+/=?^_`{|}~.-]$/;
const TOKENS = "%g %s %i %m %d %u %<n>g %<n>s %r<x><y>";

/** Parses a template such as `%g.%s@contoso.com`, `%1g%s@contoso.com`, `%r..%m@contoso.com`. */
export function parseTemplate(text: string): TemplateParse {
  const fail = (offset: number, message: string): TemplateParse => ({ ok: false, offset, message });
  const at = text.lastIndexOf("@");
  if (at < 0) return fail(0, `the template ${quote(text)} has no "@domain"; write e.g. "%g.%s@contoso.com"`);
  if (text.indexOf("@") !== at) return fail(text.indexOf("@"), `the template ${quote(text)} has more than one "@"`);
  const domainText = text.slice(at + 1);
  if (domainText.includes("%"))
    return fail(
      at + 1 + domainText.indexOf("%"),
      `the domain of a template is written out; variables are for the part before "@"`,
    );
  const domain = normalizeDomain(domainText);
  if (domain === undefined) return fail(at + 1, `${quote(domainText)} is not a domain name (like contoso.com)`);

  const local = text.slice(0, at);
  // Exchange's default policy is written "@domain": the alias at that domain.
  if (local.length === 0) {
    return {
      ok: true,
      template: {
        text,
        parts: [{ kind: "variable", variable: "m", count: undefined, replacements: [], offset: 0, length: 0 }],
        domain,
        domainOffset: at + 1,
      },
    };
  }
  const parts: TemplatePart[] = [];
  let replacements: (readonly [string, string])[] = [];
  let i = 0;
  while (i < local.length) {
    const ch = local[i]!;
    if (ch !== "%") {
      if (!LOCAL_CHAR.test(ch)) {
        const what = /[^\x00-\x7f]/.test(ch) ? "a non-ASCII character" : "a character an address cannot hold";
        return fail(
          i,
          `${quote(ch)} is ${what}; write it with letters, digits and . _ - (or %r to replace it in a variable)`,
        );
      }
      const last = parts[parts.length - 1];
      if (last?.kind === "text") parts[parts.length - 1] = { ...last, text: last.text + ch };
      else parts.push({ kind: "text", text: ch, offset: i });
      i++;
      continue;
    }
    const start = i;
    i++;
    if (local[i] === "r" || local[i] === "R") {
      const x = local[i + 1];
      const y = local[i + 2];
      if (x === undefined || y === undefined)
        return fail(start, `"%r" needs two characters after it: %r<x><y> replaces x by y (%rxx removes x)`);
      // "%r'%g" reads as "replace ' by %", then a literal "g": almost surely "%r''%g" was meant.
      if (y === "%")
        return fail(
          start,
          `${quote(local.slice(start, i + 3))} would replace ${quote(x)} by "%"; to remove ${quote(x)} write %r${x}${x}`,
        );
      replacements = [...replacements, [x, y]];
      i += 3;
      continue;
    }
    let digits = "";
    while (i < local.length && /[0-9]/.test(local[i]!)) digits += local[i++];
    const letter = local[i]?.toLowerCase();
    if (letter === undefined || !"gsimdu".includes(letter)) {
      const token = local.slice(start, Math.min(local.length, i + 1));
      return fail(start, `unknown token ${quote(token)}; supported: ${TOKENS}`);
    }
    const count = digits === "" ? undefined : Number(digits);
    if (count === 0)
      return fail(start, `${quote(local.slice(start, i + 1))} takes no characters; the count starts at 1`);
    i++;
    parts.push({
      kind: "variable",
      variable: letter as TemplateVariable,
      count,
      replacements,
      offset: start,
      length: i - start,
    });
  }
  if (!parts.some((p) => p.kind === "variable") && replacements.length > 0) {
    return fail(0, `the %r replacements apply to the variables after them, and this template has none`);
  }
  return { ok: true, template: { text, parts, domain, domainOffset: at + 1 } };
}

/** True when the template uses no variable: the same address for every mailbox it applies to. */
export function isLiteral(template: AddressTemplate): boolean {
  return template.parts.every((p) => p.kind === "text");
}

/** Why a template gives no address for a mailbox. `offset` points at the variable to blame. */
export interface TemplateFailure {
  readonly ok: false;
  /** empty: the attribute has no value (the remedy is in the tenant); the others: the value or template. */
  readonly reason: "empty" | "non-ascii" | "nothing" | "invalid";
  readonly offset: number;
  readonly message: string;
}

/**
 * Evaluates a template for one mailbox. Per variable: the attribute's value, then the %r
 * replacements before it (in order), then characters an address cannot hold are dropped (as
 * Exchange does), then the first n characters. A variable whose attribute is empty, or whose
 * value keeps a non-ASCII character, is an error naming the attribute: Exchange Online accepts
 * only ASCII local parts, and dropping "é" from "José" silently would give a surprising address.
 */
export function evaluateTemplate(
  template: AddressTemplate,
  attributes: TemplateAttributes,
): { readonly ok: true; readonly address: string } | TemplateFailure {
  let local = "";
  for (const part of template.parts) {
    if (part.kind === "text") {
      local += part.text;
      continue;
    }
    const name = VARIABLE_NAMES[part.variable];
    const raw = (valueOf(part.variable, attributes) ?? "").trim();
    if (raw === "")
      return {
        ok: false,
        reason: "empty",
        offset: part.offset,
        message: `%${part.variable} reads the ${name}, which is empty`,
      };
    let value = raw;
    for (const [x, y] of part.replacements) value = value.split(x).join(x === y ? "" : y);
    value = [...value].filter((c) => /[^\x00-\x7f]/.test(c) || LOCAL_CHAR.test(c)).join("");
    if (part.count !== undefined) value = [...value].slice(0, part.count).join("");
    const foreign = [...new Set([...value].filter((c) => /[^\x00-\x7f]/.test(c)))];
    if (foreign.length > 0) {
      const first = foreign[0]!;
      return {
        ok: false,
        reason: "non-ascii",
        offset: part.offset,
        message: `%${part.variable} gives ${quote(value)}: the ${name} has the non-ASCII character${foreign.length > 1 ? "s" : ""} ${foreign.map((c) => quote(c)).join(", ")}, which Exchange Online does not accept before "@"; add a replacement before the variable, e.g. %r${first}${asciiHint(first)}`,
      };
    }
    if (value === "")
      return {
        ok: false,
        reason: "nothing",
        offset: part.offset,
        message: `%${part.variable} gives nothing: the ${name} ${quote(raw)} has no character an address can hold`,
      };
    local += value;
  }
  const result = normalizeAddress(`${local}@${template.domain}`);
  if (!result.ok)
    return {
      ok: false,
      reason: "invalid",
      offset: 0,
      message: `the template gives ${quote(`${local}@${template.domain}`)}, not an address: ${result.reason}`,
    };
  return { ok: true, address: result.address };
}

/** A plausible ASCII stand-in for a hint (the admin chooses the real one). */
function asciiHint(ch: string): string {
  const plain = ch.normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  return /^[A-Za-z0-9]$/.test(plain) ? plain : "-";
}
