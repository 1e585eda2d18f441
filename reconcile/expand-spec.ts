// Address policies in the product: the spec's policies expanded, from the tenant's attributes read
// in bulk (one pass: the backend's policyAttributes capability), into the per-mailbox declarations
// the planner takes (core/policy/expand-policies.ts). The program, the provider's spec read,
// `drift`, `plan` and `expand` share this step, so they reach the same expanded spec.
import { expandPolicies, type Expansion } from "../core/policy/expand-policies";
import type { MailboxAttributes } from "../core/policy/policy-types";
import type { SpecProblem } from "../core/problems";
import type { Spec } from "../core/desired/rules";
import type { TenantBackend } from "../targets/tenant-backend";

/** A spec with its policies expanded: `spec.mailboxes` are explicit entries, then policy-managed mailboxes (keyed by object id). */
export interface ExpandedSpec {
  readonly spec: Spec;
  /** Absent when the spec has no policies (nothing was read). */
  readonly expansion: Expansion | undefined;
  /** The mailboxes as read in bulk (for a caller that plans from them too). */
  readonly attributes: readonly MailboxAttributes[] | undefined;
  readonly problems: readonly SpecProblem[];
}

/** True when the spec has policies to expand. */
export function hasPolicies(spec: Spec): boolean {
  return (spec.policies?.length ?? 0) > 0;
}

/**
 * Expands the spec's policies against the tenant. A spec without policies comes back as it is
 * (explicit entries still get their `userPrincipalName` target). Problems (a template that gives no
 * valid address, two mailboxes given one address, a target that cannot read attributes) are at the
 * policy's file:line:col.
 */
export async function expandSpec(spec: Spec, backend: TenantBackend): Promise<ExpandedSpec> {
  if (!hasPolicies(spec)) {
    const expansion = spec.mailboxes.some((m) => m.userPrincipalName !== undefined)
      ? expandPolicies(spec, [])
      : undefined;
    return { spec, expansion, attributes: undefined, problems: [] };
  }
  const capability = backend.capabilities.policyAttributes;
  if (capability === undefined) {
    const first = spec.policies![0]!;
    return {
      spec,
      expansion: undefined,
      attributes: undefined,
      problems: [
        {
          file: spec.file,
          position: first.source.policy,
          path: ["policies"],
          message: `the ${backend.description} cannot read the attributes policies match (given name, surname, department…): use explicit entries under mailboxes with this target, or a target that reads them (local, exchange-online)`,
        },
      ],
    };
  }
  const attributes = await capability.readAll();
  const expansion = expandPolicies(spec, attributes);
  return { spec: { ...spec, mailboxes: expansion.mailboxes }, expansion, attributes, problems: expansion.problems };
}
