// The `policies` list of a spec: names, matches and templates checked before any tenant is read,
// each problem at its file:line:col (a template's token at its own column). Runs on documents the
// schema rejected too, skipping values of the wrong type, so one run reports every problem. Pure.
import { addressKey, normalizeAddress, normalizeDomain } from "../address";
import type { DocumentPath, SourcePosition, SpecProblem } from "../problems";
import type { Mode } from "../desired/spec-types.generated";
import type { YamlSource } from "../desired/yaml-source";
import { quote } from "../text";
import { globToRegExp } from "./match-policy";
import type { CollisionRule, PlacedTemplate, PolicyDeclaration, PolicyMatch } from "./policy-types";
import { isLiteral, parseTemplate } from "./template";

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);
const strings = (value: unknown): string[] | undefined =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : undefined;
const lowerSet = (value: unknown): Set<string> | undefined => {
  const list = strings(value);
  return list === undefined ? undefined : new Set(list.map((v) => v.trim().toLowerCase()));
};

/** `policy "name"`, the prefix of every message about a policy. */
export function policyLabel(name: string): string {
  return `policy ${quote(name)}`;
}

/**
 * Checks and models `policies`. `allowedDomains` are the spec's, normalised: a template's domain
 * must be one of them, as an explicit address's must.
 */
export function loadPolicies(
  source: YamlSource,
  raw: unknown,
  allowedDomains: readonly string[],
): { policies: PolicyDeclaration[]; problems: SpecProblem[] } {
  const problems: SpecProblem[] = [];
  const policies: PolicyDeclaration[] = [];
  if (!Array.isArray(raw)) return { policies, problems };
  const allowed = new Set(allowedDomains);
  const names = new Map<string, { index: number; position: SourcePosition }>();
  const problemAt = (path: DocumentPath, position: SourcePosition, message: string) =>
    problems.push({ file: source.file, position, path, message });

  raw.forEach((entry, index) => {
    if (!isObject(entry) || typeof entry.name !== "string") return;
    const base: DocumentPath = ["policies", index];
    const name = entry.name.trim();
    const label = policyLabel(name);
    const namePosition = source.positionOf([...base, "name"]);
    let valid = true;
    const problem = (path: DocumentPath, message: string, position = source.positionOf(path)) => {
      valid = false;
      problemAt(path, position, `${label}: ${message}`);
    };

    const first = names.get(name.toLowerCase());
    if (first !== undefined) {
      problem(
        [...base, "name"],
        `the name is used twice (also policies[${first.index}] at line ${first.position.line}); names compare case-insensitively, rename one`,
      );
    } else {
      names.set(name.toLowerCase(), { index, position: namePosition });
    }

    const placeTemplate = (
      text: unknown,
      path: DocumentPath,
      role: "primary" | "alias",
    ): PlacedTemplate | undefined => {
      if (typeof text !== "string") {
        valid = false;
        return undefined;
      }
      const parsed = parseTemplate(text);
      if (!parsed.ok) {
        problem(path, parsed.message, source.positionInScalar(path, parsed.offset));
        return undefined;
      }
      const { template } = parsed;
      if (!allowed.has(template.domain)) {
        problem(
          path,
          `the domain ${quote(template.domain)} of the ${role} template ${quote(template.text)} is not in allowedDomains (${allowedDomains.join(", ")}); add the domain there or fix the template`,
          source.positionInScalar(path, template.domainOffset),
        );
        return undefined;
      }
      if (isLiteral(template)) {
        const literal = normalizeAddress(template.text);
        if (!literal.ok) {
          problem(path, literal.reason);
          return undefined;
        }
      }
      return {
        template,
        path,
        position: source.positionOf(path),
        partPositions: template.parts.map((part) => source.positionInScalar(path, part.offset)),
      };
    };

    const primary =
      entry.primary === undefined ? undefined : placeTemplate(entry.primary, [...base, "primary"], "primary");
    const aliases: PlacedTemplate[] = [];
    const seen = new Map<string, number>();
    (Array.isArray(entry.aliases) ? entry.aliases : []).forEach((text, i) => {
      const path: DocumentPath = [...base, "aliases", i];
      const placed = placeTemplate(text, path, "alias");
      if (placed === undefined) return;
      const key = addressKey(placed.template.text);
      const again = seen.get(key);
      if (again !== undefined) {
        problem(path, `the template ${quote(placed.template.text)} is listed twice (also aliases[${again}]); keep one`);
        return;
      }
      if (primary !== undefined && addressKey(primary.template.text) === key) {
        problem(
          path,
          `the template ${quote(placed.template.text)} repeats the primary template; list it once, as primary`,
        );
        return;
      }
      seen.set(key, i);
      aliases.push(placed);
    });
    if (entry.primary === undefined && (!Array.isArray(entry.aliases) || entry.aliases.length === 0)) {
      problem(base, `gives no address: add a primary template, aliases, or both`, namePosition);
    }

    const mode: Mode = entry.mode === "strict" ? "strict" : "additive";
    const keepOldPrimary = entry.keepOldPrimary !== false;
    if (mode === "strict" && keepOldPrimary && entry.primary !== undefined) {
      // Once written, the old primary is an ordinary alias: strict would remove it at the next run,
      // so the change would not stay put. The remedy makes the kept address a rule of its own.
      problem(
        [...base, entry.keepOldPrimary === undefined ? "mode" : "keepOldPrimary"],
        `mode strict cannot keep the old primary: once it is an alias, strict removes it at the next run; set keepOldPrimary: false and list the old address's template under aliases, or use mode: additive`,
      );
    }

    const match = loadMatch(entry.match, [...base, "match"], (path, message) => problem(path, message));
    if (!valid || match === undefined) return;
    policies.push({
      name,
      index,
      match,
      primary,
      aliases,
      mode,
      keepOldPrimary,
      adds: entry.adds === true,
      onCollision: (entry.onCollision === "append-number" ? "append-number" : "error") as CollisionRule,
      userPrincipalName: entry.userPrincipalName === "follows-primary" ? "follows-primary" : undefined,
      source: {
        policy: source.positionOf(base),
        name: namePosition,
        keepOldPrimary: source.positionOf([...base, entry.keepOldPrimary === undefined ? "name" : "keepOldPrimary"]),
      },
    });
  });
  return { policies, problems };
}

function loadMatch(
  raw: unknown,
  path: DocumentPath,
  problem: (path: DocumentPath, message: string) => void,
): PolicyMatch | undefined {
  if (!isObject(raw)) return undefined;
  let ok = true;
  const primaryDomains = strings(raw.primaryDomains)?.map((d, i) => {
    const domain = normalizeDomain(d);
    if (domain === undefined) {
      ok = false;
      problem([...path, "primaryDomains", i], `${quote(d)} is not a domain name (like contoso.com)`);
    }
    return domain ?? "";
  });
  if (!ok) return undefined;
  const upn = strings(raw.upn)?.map(globToRegExp);
  const addresses = strings(raw.addresses)?.map(globToRegExp);
  const types = strings(raw.recipientTypes);
  return {
    all: raw.all === true,
    ...(types ? { recipientTypes: new Set(types) } : {}),
    ...(primaryDomains ? { primaryDomains: new Set(primaryDomains) } : {}),
    ...(upn ? { upn } : {}),
    ...(addresses ? { addresses } : {}),
    ...(raw.identities !== undefined ? { identities: lowerSet(raw.identities)! } : {}),
    ...(raw.department !== undefined ? { department: lowerSet(raw.department)! } : {}),
    ...(raw.company !== undefined ? { company: lowerSet(raw.company)! } : {}),
    ...(raw.country !== undefined ? { country: lowerSet(raw.country)! } : {}),
  };
}
