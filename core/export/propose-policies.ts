// `export --policies`: when most mailboxes whose primary is on one domain follow one pattern
// (primary `%m@domain`, aliases `%m@other` on the same domains, nothing else), write that pattern
// once as a policy and only the exceptions as explicit entries. The proposal is checked with the
// expansion and the planner themselves: every mailbox the policies manage must plan no change,
// else it becomes an explicit entry, so the result previews with zero changes. Pure.
import { domainOf, isMicrosoftRoutingAddress, parseProxyAddress } from "../address";
import { planMailbox } from "../plan/plan-mailbox";
import { expandPolicies } from "../policy/expand-policies";
import type { MailboxAttributes } from "../policy/policy-types";
import { loadSpecText } from "../desired/load-spec";
import { renderSpec, type ExportedMailbox, type RenderOptions } from "./render-spec";

/** A policy is proposed for a primary domain when at least this share of its mailboxes fit it, and at least MIN_FITTING. */
const MIN_SHARE = 0.5;
const MIN_FITTING = 3;

interface Proposal {
  readonly domain: string;
  readonly aliasDomains: readonly string[];
  readonly members: ReadonlySet<string>;
}

/** `%m@d` for the primary and each alias, or undefined when an address is not the alias at its domain. */
function signatureOf(
  mailbox: ExportedMailbox,
  alias: string | undefined,
): { domain: string; aliasDomains: string[] } | undefined {
  if (alias === undefined || alias === "" || mailbox.synced) return undefined;
  const smtp = mailbox.addresses
    .map(parseProxyAddress)
    .filter((p) => p.kind === "smtp" && !isMicrosoftRoutingAddress(p.value));
  const primary = smtp.find((p) => p.primary);
  if (primary === undefined) return undefined;
  const local = (address: string) => address.slice(0, address.lastIndexOf("@"));
  if (local(primary.value).toLowerCase() !== alias.toLowerCase()) return undefined;
  const aliasDomains: string[] = [];
  for (const p of smtp) {
    if (p.primary) continue;
    if (local(p.value).toLowerCase() !== alias.toLowerCase()) return undefined;
    aliasDomains.push(domainOf(p.value));
  }
  return { domain: domainOf(primary.value), aliasDomains: [...new Set(aliasDomains)].sort() };
}

function policiesText(proposals: readonly Proposal[]): string[] {
  if (proposals.length === 0) return [];
  const lines = ["policies:"];
  for (const p of proposals) {
    lines.push(
      `  - name: ${JSON.stringify(`primary-${p.domain}`)}  # ${p.members.size} mailboxes follow it`,
      `    match: {primaryDomains: [${JSON.stringify(p.domain)}]}`,
      `    primary: ${JSON.stringify(`%m@${p.domain}`)}`,
      ...(p.aliasDomains.length > 0
        ? [`    aliases: [${p.aliasDomains.map((d) => JSON.stringify(`%m@${d}`)).join(", ")}]`]
        : []),
      "    mode: strict",
      "    keepOldPrimary: false",
    );
  }
  return lines;
}

/** The spec text: policies, then explicit entries for the mailboxes the policies leave out. */
function render(
  mailboxes: readonly ExportedMailbox[],
  proposals: readonly Proposal[],
  acceptedDomains: readonly string[],
  options: RenderOptions,
) {
  const managed = new Set(proposals.flatMap((p) => [...p.members]));
  const exceptions = mailboxes.filter((m) => !managed.has(m.id.toLowerCase()));
  const rendered = renderSpec(exceptions, acceptedDomains, options);
  // allowedDomains must also cover the domains the policies write.
  const domains = new Set([
    ...(/^allowedDomains: \[(.*)\]$/m.exec(rendered.text)?.[1] ?? "").split(", ").filter(Boolean),
    ...proposals.flatMap((p) => [p.domain, ...p.aliasDomains]),
  ]);
  const text = rendered.text
    .replace(/^allowedDomains: \[.*\]$/m, `allowedDomains: [${[...domains].sort().join(", ")}]`)
    .replace(/^(mailboxes:.*)$/m, `${policiesText(proposals).join("\n")}${proposals.length > 0 ? "\n" : ""}$1`)
    .replace(
      "# Exported by mailbox-addresses export.",
      `# Exported by mailbox-addresses export --policies: ${managed.size} mailboxes by policy, ${rendered.exported} as entries.\n#`,
    );
  return { text, exported: rendered.exported + managed.size, skipped: rendered.skipped };
}

/**
 * Renders an export with policies where most mailboxes of a primary domain follow one pattern.
 * `attributes`: the mailboxes as the policies will read them (the backend's policyAttributes).
 */
export function renderSpecWithPolicies(
  mailboxes: readonly ExportedMailbox[],
  attributes: readonly MailboxAttributes[],
  acceptedDomains: readonly string[] = [],
  options: RenderOptions = {},
): { text: string; exported: number; skipped: string[]; policies: number } {
  const aliasOf = new Map(attributes.map((a) => [a.id.toLowerCase(), a.alias]));
  // Per primary domain, each mailbox's pattern: the alias domains of `%m@…` (undefined: it follows none).
  const byDomain = new Map<string, { signature: string | undefined; id: string }[]>();
  for (const mailbox of mailboxes) {
    const smtpPrimary = mailbox.addresses.map(parseProxyAddress).find((p) => p.kind === "smtp" && p.primary);
    if (smtpPrimary === undefined) continue;
    const domain = domainOf(smtpPrimary.value);
    const signature = signatureOf(mailbox, aliasOf.get(mailbox.id.toLowerCase()));
    const list = byDomain.get(domain) ?? [];
    list.push({
      signature: signature === undefined || signature.domain !== domain ? undefined : signature.aliasDomains.join(","),
      id: mailbox.id.toLowerCase(),
    });
    byDomain.set(domain, list);
  }
  let proposals: Proposal[] = [];
  for (const [domain, list] of [...byDomain].sort(([a], [b]) => a.localeCompare(b))) {
    const counts = new Map<string, number>();
    for (const { signature } of list)
      if (signature !== undefined) counts.set(signature, (counts.get(signature) ?? 0) + 1);
    const best = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0];
    if (best === undefined || best[1] < MIN_FITTING || best[1] / list.length < MIN_SHARE) continue;
    proposals.push({
      domain,
      aliasDomains: best[0] === "" ? [] : best[0].split(","),
      members: new Set(list.filter((l) => l.signature === best[0]).map((l) => l.id)),
    });
  }
  // Check with the expansion and the planner; a mailbox that would change becomes an explicit entry.
  const live = new Map(mailboxes.map((m) => [m.id.toLowerCase(), m.addresses]));
  for (let round = 0; round < 5 && proposals.length > 0; round++) {
    const { text } = render(mailboxes, proposals, acceptedDomains, options);
    const loaded = loadSpecText("export", text, { policies: true });
    if (!loaded.ok) break;
    const expansion = expandPolicies(loaded.spec, attributes);
    const policyManaged = expansion.entries.filter((e) => e.origin.kind === "policy");
    const changing = new Set(
      policyManaged
        .filter((e) => planMailbox(e.declaration, live.get(e.declaration.identity.toLowerCase()) ?? []).changed)
        .map((e) => e.declaration.identity.toLowerCase()),
    );
    // Matched by a policy but not a member: it must be an explicit entry too (members are the fitting ones).
    const members = new Set(proposals.flatMap((p) => [...p.members]));
    for (const e of policyManaged)
      if (!members.has(e.declaration.identity.toLowerCase())) changing.add(e.declaration.identity.toLowerCase());
    const failed = expansion.problems.length > 0;
    if (
      !failed &&
      changing.size === 0 &&
      [...members].every((id) => policyManaged.some((e) => e.declaration.identity.toLowerCase() === id))
    ) {
      const rendered = render(mailboxes, proposals, acceptedDomains, options);
      return { ...rendered, policies: proposals.length };
    }
    if (failed) break;
    proposals = proposals
      .map((p) => ({
        ...p,
        members: new Set(
          [...p.members].filter(
            (id) => !changing.has(id) && policyManaged.some((e) => e.declaration.identity.toLowerCase() === id),
          ),
        ),
      }))
      .filter((p) => p.members.size >= MIN_FITTING);
  }
  const plain = renderSpec(mailboxes, acceptedDomains, options);
  return { ...plain, policies: 0 };
}
