// Checks a parsed spec against schemas/mailboxes.schema.json (the only definition of the file's
// shape) and turns ajv's errors into problems an admin understands, at the right line.
import Ajv2020, { type ErrorObject } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import schema from "../../schemas/mailboxes.schema.json";
import { normalizeAddress, normalizeDomain } from "../address";
import type { DocumentPath, SpecProblem } from "../problems";
import { quote } from "../text";
import type { MailboxAddressesSpec } from "./spec-types.generated";
import type { YamlSource } from "./yaml-source";
import { MAX_PROXY_ADDRESSES } from "../address";

const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
addFormats(ajv, ["uuid"]);
const validate = ajv.compile<MailboxAddressesSpec>(schema);

const ADDRESS_LIMIT_NOTE = `Exchange keeps at most ${MAX_PROXY_ADDRESSES} addresses per recipient`;

function parsePointer(pointer: string, data: unknown): (string | number)[] {
  if (pointer === "") return [];
  const segments: (string | number)[] = [];
  let node: unknown = data;
  for (const raw of pointer.slice(1).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    const segment = Array.isArray(node) ? Number(key) : key;
    segments.push(segment);
    node = node !== null && typeof node === "object" ? (node as Record<string, unknown>)[key] : undefined;
  }
  return segments;
}

function valueAt(data: unknown, path: DocumentPath): unknown {
  let node = data;
  for (const segment of path) {
    node = node !== null && typeof node === "object" ? (node as Record<string | number, unknown>)[segment] : undefined;
  }
  return node;
}

function describeType(value: unknown): string {
  if (value === null) return "empty";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  // A short string is shown; a long one (a file that is not a spec: a key, a token) only counted.
  if (typeof value === "string")
    return value.length <= 40 ? `the string ${quote(value)}` : `a string of ${value.length} characters`;
  return `${typeof value} ${quote(JSON.stringify(value))}`;
}

const TYPE_NAMES: Record<string, string> = {
  array: "a list",
  object: "a mapping",
  string: "a string",
  boolean: "true or false",
  integer: "a whole number",
  number: "a number",
};

/** What each place in the document is, for messages: the last key decides. */
function kindOf(path: DocumentPath): "address" | "domain" | "template" | "other" {
  const last = path[path.length - 1];
  const parent = path[path.length - 2];
  // A policy's primary and aliases are templates (core/policy/template.ts), not addresses.
  if (path[0] === "policies") {
    if (path.length === 3 && last === "primary") return "template";
    if (path.length === 4 && parent === "aliases") return "template";
    if (parent === "primaryDomains") return "domain";
    return "other";
  }
  if (last === "primary" || parent === "aliases") return "address";
  if (parent === "allowedDomains" || parent === "internationalDomains") return "domain";
  return "other";
}

/** The keys the schema allows in the mapping at `path`. */
function allowedKeys(path: DocumentPath): string[] {
  if (path[0] === "mailboxes" && path.length === 2) return Object.keys(schema.$defs.mailbox.properties);
  if (path[0] === "defaults") return Object.keys(schema.properties.defaults.properties);
  if (path[0] === "policies" && path.length === 2) return Object.keys(schema.$defs.policy.properties);
  if (path[0] === "policies" && path[2] === "match" && path.length === 3)
    return Object.keys(schema.$defs.policyMatch.properties);
  return Object.keys(schema.properties);
}

function closest(word: string, candidates: string[]): string | undefined {
  const distance = (a: string, b: string) => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0]![j] = j;
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++)
        d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    return d[a.length]![b.length]!;
  };
  const lower = word.toLowerCase();
  const best = candidates.map((c) => ({ c, d: distance(lower, c.toLowerCase()) })).sort((x, y) => x.d - y.d)[0];
  return best && best.d <= Math.max(2, Math.floor(word.length / 3)) ? best.c : undefined;
}

interface Translated {
  readonly path: DocumentPath;
  readonly key: boolean;
  readonly message: string;
}

function translate(error: ErrorObject, data: unknown): Translated | undefined {
  const path = parsePointer(error.instancePath, data);
  const value = valueAt(data, path);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "required": {
      const missing = String(params.missingProperty);
      const hint: Record<string, string> = {
        primary: "every mailbox needs exactly one primary address",
        version: 'add "version: 1" at the top',
        allowedDomains: "list the domains addresses may use",
        mailboxes: "add a mailboxes: mapping (it may be empty: mailboxes: {})",
        name: "every policy needs a name, shown in plans and expand output",
        match: 'every policy needs a match: (e.g. "match: {all: true}")',
      };
      return { path, key: true, message: `"${missing}" is missing: ${hint[missing] ?? "add it"}` };
    }
    case "additionalProperties": {
      const extra = String(params.additionalProperty);
      const allowed = allowedKeys(path);
      const guess = closest(extra, allowed);
      const suggestion = guess ? `did you mean "${guess}"? ` : "";
      return {
        path: [...path, extra],
        key: true,
        message: `unknown key ${quote(extra)}; ${suggestion}allowed here: ${allowed.join(", ")}`,
      };
    }
    case "propertyNames": {
      const name = String(params.propertyName);
      return {
        path: [...path, name],
        key: true,
        message: `mailbox identity ${quote(name)} must be a user principal name or SMTP address (name@domain), an Entra object id (GUID) or an alias`,
      };
    }
    case "type": {
      const expected = String(params.type)
        .split(",")
        .map((t) => TYPE_NAMES[t] ?? t)
        .join(" or ");
      return { path, key: false, message: `must be ${expected}, not ${describeType(value)}` };
    }
    case "const":
      return {
        path,
        key: false,
        message: `must be ${JSON.stringify(params.allowedValue)}${path.length === 1 && path[0] === "version" ? " (the only version of this format)" : ""}, not ${typeof value === "string" ? quote(value) : quote(JSON.stringify(value) ?? String(value))}`,
      };
    case "enum":
      return {
        path,
        key: false,
        message: `${typeof value === "string" ? quote(value) : quote(JSON.stringify(value) ?? String(value))} is not allowed; use ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(" or ")}`,
      };
    case "minItems":
      return { path, key: false, message: `must list at least ${String(params.limit)} entry` };
    case "maxItems": {
      const note = path[path.length - 1] === "aliases" ? ` (${ADDRESS_LIMIT_NOTE})` : "";
      return {
        path,
        key: false,
        message: `has ${(value as unknown[]).length} entries; the limit is ${String(params.limit)}${note}`,
      };
    }
    case "minProperties":
      return {
        path,
        key: true,
        message: `needs at least one criterion: ${Object.keys(schema.$defs.policyMatch.properties).join(", ")} (all: true for every mailbox)`,
      };
    case "maxProperties":
      return {
        path,
        key: false,
        message: `has ${Object.keys(value as object).length} mailboxes; the limit is ${String(params.limit)} per file: split the spec`,
      };
    case "pattern":
    case "minLength":
    case "maxLength":
    case "format": {
      const text = String(value);
      if (kindOf(path) === "address") {
        const result = normalizeAddress(text);
        return {
          path,
          key: false,
          message: result.ok ? `${quote(text)} is not an email address Exchange accepts` : result.reason,
        };
      }
      if (kindOf(path) === "domain") {
        return {
          path,
          key: false,
          message: `${quote(text)} is not a domain name${normalizeDomain(text) ? "" : " (like contoso.com)"}`,
        };
      }
      if (kindOf(path) === "template")
        return { path, key: false, message: `${quote(text)} is not an address template (like "%g.%s@contoso.com")` };
      if (path[0] === "policies" && path[path.length - 1] === "name") {
        return {
          path,
          key: false,
          message: `${quote(text)} is not a policy name: up to 64 letters, digits, spaces, ".", "_" or "-", starting with a letter or digit`,
        };
      }
      if (path[path.length - 1] === "userPrincipalName") {
        return {
          path,
          key: false,
          message: `${quote(text)} is not "follows-primary" or a user principal name (name@domain)`,
        };
      }
      return { path, key: false, message: `${quote(text)} is not valid here` };
    }
    case "anyOf":
      // Only identities use anyOf; their errors come through "propertyNames".
      return undefined;
    default:
      return { path, key: false, message: error.message ?? `fails the schema rule "${error.keyword}"` };
  }
}

/** Validates `data` (the YAML as JavaScript) against the schema; every error, positioned. */
export function checkAgainstSchema(source: YamlSource, data: unknown): SpecProblem[] {
  if (validate(data)) return [];
  const seen = new Set<string>();
  const problems: SpecProblem[] = [];
  for (const error of validate.errors ?? []) {
    // Errors under a propertyNames failure repeat it with the object's path: skip them.
    if (error.propertyName !== undefined && error.keyword !== "propertyNames") continue;
    const translated = translate(error, data);
    if (!translated) continue;
    const id = `${JSON.stringify(translated.path)}|${translated.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    problems.push({
      file: source.file,
      position: source.positionOf(translated.path, translated.key),
      path: translated.path,
      message: translated.message,
    });
  }
  return problems;
}
