// The spec's rules beyond its shape: addresses as written (checked, never rewritten), one owner per address, allowed
// domains, one entry per mailbox. Turns a schema-valid document into the model the planner uses.
import {
  addressKey,
  checkAddress,
  checkDomain,
  domainOf,
  normalizationSteps,
  normalizeDomain,
  type AddressProblem,
  type AppliedNormalization,
} from "../address";
import { unicodeFormOf } from "../idn";
import { quote } from "../text";
import { formatPath, type DocumentPath, type SourcePosition, type SpecProblem } from "../problems";
import type { MailboxAddressesSpec, Mode, RecipientKind } from "./spec-types.generated";
import type { YamlSource } from "./yaml-source";
import { loadPolicies } from "../policy/load-policies";
import type { PolicyDeclaration } from "../policy/policy-types";

export type { Mode, RecipientKind };

/** Where each part of a mailbox's entry is written, for messages that point at it. */
export interface MailboxSource {
  readonly identity: SourcePosition;
  /** Where `kind` is written, when it is. */
  readonly kind?: SourcePosition;
  readonly primary: SourcePosition;
  readonly aliases: readonly SourcePosition[];
}

/** One mailbox as the spec declares it, normalised. */
export interface MailboxDeclaration {
  /** UPN, Entra object id, SMTP address or alias, as written (trimmed): resolved as Exchange resolves -Identity. */
  readonly identity: string;
  /**
   * Exchange's RecipientTypeDetails, when the spec says it (optional: the tenant tells the kind;
   * a recipient of another kind is an error at preview).
   */
  readonly kind?: RecipientKind;
  /** A mail user's or mail contact's external address, when the spec states it (never written). */
  readonly externalEmailAddress?: string;
  /**
   * The primary SMTP address, exactly as written (core/address.ts `checkAddress` changes nothing),
   * but for an opted-in international domain: its A-label, in lower case.
   */
  readonly primary: string;
  /** SMTP aliases, exactly as written, in the order written. */
  readonly aliases: readonly string[];
  /** The effective mode: the mailbox's own, else the file's default, else strict. */
  readonly mode: Mode;
  /** Opt-in: set IsExchangeCloudManaged on a synced mailbox before writing. */
  readonly cloudManaged: boolean;
  /**
   * `follows-primary`, or an explicit user principal name; undefined when the spec does not manage
   * the UPN. Written after the addresses by callers that load with `{ policies: true }`
   * (reconcile/upn.ts, docs/POLICIES.md).
   */
  readonly userPrincipalName?: string;
  readonly source: MailboxSource;
}

/** A valid spec file, ready to plan. */
export interface Spec {
  readonly file: string;
  /** Lower case; an international domain by its A-label. */
  readonly allowedDomains: readonly string[];
  /**
   * The international domains the spec opts in to (`internationalDomains`), by their A-label in
   * lower case; each is also in allowedDomains. Optional in the type, like `policies`.
   */
  readonly internationalDomains?: readonly string[];
  readonly defaultMode: Mode;
  readonly mailboxes: readonly MailboxDeclaration[];
  /**
   * Address policies in priority order (core/policy/). Optional in the type so specs built in code
   * stay valid; the loader always sets it.
   */
  readonly policies?: readonly PolicyDeclaration[];
  /**
   * Where a step of the one normalization applies (core/address.ts `ADDRESS_NORMALIZATIONS`):
   * each address or domain as written, its place and what the steps give, for `validate --explain`.
   * Optional in the type, like `policies`.
   */
  readonly normalizations?: readonly SpecNormalization[];
}

/** An address or domain of the spec that a normalization step applies to. */
export interface SpecNormalization {
  readonly path: DocumentPath;
  readonly position: SourcePosition;
  /** As written in the spec. */
  readonly written: string;
  readonly steps: readonly AppliedNormalization[];
}

/** `file:line` of a position, for messages that point at another place in the file. */
export function lineRef(position: SourcePosition): string {
  return `line ${position.line}`;
}

/** `"info@xn--bcher-kva.example" ("info@bücher.example")`: quoted, and for an international domain in both forms. */
const quoteBoth = (address: string) => {
  const unicode = unicodeFormOf(address);
  return unicode === undefined ? quote(address) : `${quote(address)} (${quote(unicode)})`;
};

/** A step of a domain's normalization, said of the domain (`compared as contoso.com`), not of `postmaster@…`. */
const domainStep = (step: AppliedNormalization): AppliedNormalization => ({
  ...step,
  result: step.result.replace("postmaster@", ""),
});

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);
const stringsOf = (value: unknown): (string | undefined)[] =>
  Array.isArray(value) ? value.map((v) => (typeof v === "string" ? v : undefined)) : [];

/**
 * Applies the rules to a document. Runs on schema-invalid documents too (skipping values of the
 * wrong type), so one run reports every problem; the model is meaningful only without problems.
 */
export function applySpecRules(source: YamlSource, document: unknown): { spec: Spec; problems: SpecProblem[] } {
  const data = (isObject(document) ? document : {}) as Partial<MailboxAddressesSpec>;
  const problems: SpecProblem[] = [];
  const normalizations: SpecNormalization[] = [];
  const noteSteps = (path: DocumentPath, written: string, steps: AppliedNormalization[]) => {
    if (steps.length > 0) normalizations.push({ path, position: source.positionOf(path), written, steps });
  };
  const problem = (path: DocumentPath, message: string, key = false) =>
    problems.push({ file: source.file, position: source.positionOf(path, key), path, message });
  // An address problem points at the character or construct at fault (its file column), where the
  // scalar is written without escapes; otherwise at the value, with the character's place in it.
  const addressProblem = (path: DocumentPath, result: AddressProblem) => {
    const start = source.positionOf(path);
    if (result.index === undefined || result.at === undefined)
      return problems.push({ file: source.file, position: start, path, message: result.reason });
    const position = source.positionInScalar(path, result.index);
    const exact = result.index === 0 || position.line !== start.line || position.col !== start.col;
    problems.push({
      file: source.file,
      position,
      path,
      message: exact ? result.at(`column ${position.col}`) : result.reason,
    });
  };

  // The international domains opted in to, by A-label (core/idn.ts checks each for look-alikes).
  const international = new Map<string, number>();
  const internationalNames = new Map<string, string>();
  stringsOf(data.internationalDomains).forEach((raw, i) => {
    if (raw === undefined) return;
    const checked = checkDomain(raw, { internationalDomains: "any" });
    if (!checked.ok) return addressProblem(["internationalDomains", i], checked);
    if (checked.unicode === undefined) {
      return problem(
        ["internationalDomains", i],
        `${quote(raw)} is not an international domain name; an ASCII domain needs only allowedDomains, remove it here`,
      );
    }
    const first = international.get(checked.domain);
    if (first !== undefined)
      return problem(
        ["internationalDomains", i],
        `${quote(raw)} is listed twice (also internationalDomains[${first}], ${quote(checked.domain)}); keep one`,
      );
    international.set(checked.domain, i);
    internationalNames.set(checked.domain, checked.unicode);
  });
  const addressOptions = { internationalDomains: new Set(international.keys()) };

  const allowedDomains: string[] = [];
  const domainIndex = new Map<string, number>();
  stringsOf(data.allowedDomains).forEach((raw, i) => {
    if (raw === undefined) return;
    let domain = normalizeDomain(raw);
    if (domain !== undefined)
      noteSteps(
        ["allowedDomains", i],
        raw,
        normalizationSteps(`postmaster@${raw}`, { ok: true, address: `postmaster@${raw}` }).map(domainStep),
      );
    if (domain === undefined) {
      const checked = checkDomain(raw, addressOptions);
      if (!checked.ok) addressProblem(["allowedDomains", i], checked);
      else if (checked.unicode !== undefined) {
        domain = checked.domain;
        noteSteps(
          ["allowedDomains", i],
          raw,
          normalizationSteps(`postmaster@${raw}`, { ok: true, address: `postmaster@${checked.domain}` }).map(
            domainStep,
          ),
        );
      } else problem(["allowedDomains", i], `${quote(raw)} is not a domain name (like contoso.com)`);
      if (domain === undefined) return;
    }
    const first = domainIndex.get(domain);
    if (first !== undefined) {
      problem(["allowedDomains", i], `${quote(domain)} is listed twice (also allowedDomains[${first}]); keep one`);
      return;
    }
    domainIndex.set(domain, i);
    allowedDomains.push(domain);
  });
  for (const [domain, i] of international) {
    if (!domainIndex.has(domain))
      problem(
        ["internationalDomains", i],
        `${quote(domain)} (${quote(internationalNames.get(domain)!)}) is not in allowedDomains; add it there too (in either form), or remove it here`,
      );
  }

  const defaultMode: Mode = isObject(data.defaults) && data.defaults.mode === "additive" ? "additive" : "strict";
  const identities = new Map<string, string>();
  /** address key → the place that claimed it first */
  const claims = new Map<string, { identity: string; path: DocumentPath; position: SourcePosition }>();
  const mailboxes: MailboxDeclaration[] = [];

  for (const [rawIdentity, entry] of Object.entries(isObject(data.mailboxes) ? data.mailboxes : {})) {
    if (!isObject(entry)) continue;
    const identity = rawIdentity.trim();
    const base: DocumentPath = ["mailboxes", rawIdentity];
    const identityPosition = source.positionOf(base, true);
    const identityKey = identity.toLowerCase();
    const firstIdentity = identities.get(identityKey);
    if (firstIdentity !== undefined) {
      const firstPosition = source.positionOf(["mailboxes", firstIdentity], true);
      problem(
        base,
        `the same mailbox is declared twice (also ${quote(firstIdentity)} at ${lineRef(firstPosition)}; identities compare case-insensitively); merge the two entries`,
        true,
      );
      continue;
    }
    identities.set(identityKey, rawIdentity);

    // A mail user's or contact's external address is outside the organization by design.
    const external =
      typeof entry.externalEmailAddress === "string"
        ? checkAddress(entry.externalEmailAddress, addressOptions)
        : undefined;
    if (external !== undefined && !external.ok) addressProblem([...base, "externalEmailAddress"], external);
    if (external?.ok)
      noteSteps(
        [...base, "externalEmailAddress"],
        entry.externalEmailAddress as string,
        normalizationSteps(entry.externalEmailAddress as string, external),
      );
    const externalKey = external?.ok ? addressKey(external.address) : undefined;
    const claimAddress = (raw: string, path: DocumentPath, role: "primary" | "alias"): string | undefined => {
      const result = checkAddress(raw, addressOptions);
      if (!result.ok) {
        addressProblem(path, result);
        return undefined;
      }
      noteSteps(path, raw, normalizationSteps(raw, result));
      const domain = domainOf(result.address);
      if (!domainIndex.has(domain) && addressKey(result.address) !== externalKey) {
        problem(
          path,
          `the domain ${quote(domain)} of ${role} ${quoteBoth(result.address)} is not in allowedDomains (${allowedDomains.join(", ")}); add the domain there or fix the address`,
        );
      }
      const key = addressKey(result.address);
      const claim = claims.get(key);
      if (claim !== undefined && claim.identity !== identity) {
        problem(
          path,
          `${quoteBoth(result.address)} is also claimed by ${formatPath(claim.path)} at ${lineRef(claim.position)}; an address belongs to one mailbox, remove it from one of them`,
        );
      } else if (claim === undefined) {
        claims.set(key, { identity, path, position: source.positionOf(path) });
      }
      return result.address;
    };

    const primary =
      typeof entry.primary === "string" ? claimAddress(entry.primary, [...base, "primary"], "primary") : undefined;
    const aliases: string[] = [];
    const aliasPositions: SourcePosition[] = [];
    const seenInMailbox = new Map<string, number>();
    stringsOf(entry.aliases).forEach((raw, i) => {
      if (raw === undefined) return;
      const path: DocumentPath = [...base, "aliases", i];
      const normalized = checkAddress(raw, addressOptions);
      if (normalized.ok && primary !== undefined && addressKey(normalized.address) === addressKey(primary)) {
        problem(path, `${quoteBoth(normalized.address)} repeats the primary address; list it once, as primary`);
        return;
      }
      if (normalized.ok) {
        const first = seenInMailbox.get(addressKey(normalized.address));
        if (first !== undefined) {
          problem(
            path,
            `${quoteBoth(normalized.address)} is listed twice in this mailbox (also aliases[${first}]); keep one`,
          );
          return;
        }
        seenInMailbox.set(addressKey(normalized.address), i);
      }
      const address = claimAddress(raw, path, "alias");
      if (address !== undefined) {
        aliases.push(address);
        aliasPositions.push(source.positionOf(path));
      }
    });

    if (primary === undefined) continue;
    mailboxes.push({
      identity,
      ...(typeof entry.kind === "string" ? { kind: entry.kind } : {}),
      ...(external?.ok ? { externalEmailAddress: external.address } : {}),
      primary,
      aliases,
      mode: entry.mode === "strict" || entry.mode === "additive" ? entry.mode : defaultMode,
      cloudManaged: entry.cloudManaged === true,
      ...(typeof entry.userPrincipalName === "string" ? { userPrincipalName: entry.userPrincipalName.trim() } : {}),
      source: {
        identity: identityPosition,
        ...(typeof entry.kind === "string" ? { kind: source.positionOf([...base, "kind"]) } : {}),
        primary: source.positionOf([...base, "primary"]),
        aliases: aliasPositions,
      },
    });
  }

  const loaded = loadPolicies(source, data.policies, allowedDomains);
  problems.push(...loaded.problems);
  return {
    spec: {
      file: source.file,
      allowedDomains,
      internationalDomains: [...international.keys()],
      defaultMode,
      mailboxes,
      policies: loaded.policies,
      normalizations,
    },
    problems,
  };
}
