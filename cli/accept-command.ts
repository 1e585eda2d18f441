// `mailbox-addresses accept <identity>...`: accepts drift into the spec. For each named mailbox,
// reads it from the stack's tenant and rewrites its entry in the spec file in place (comments and
// order kept) so the spec says what the tenant has; the pull request that commits it is the
// review. The other remedy, reverting the tenant, is `pulumi up`. Exit 0 accepted (or nothing to
// accept), 1 problems.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { addressKey } from "../core/address";
import { formatProblem } from "../core/problems";
import { acceptedAddresses, acceptLive } from "../core/desired/accept-live";
import { loadSpecBytes } from "../core/desired/load-spec";
import { acceptDrift, causesOf, changeText, causeWords } from "../core/plan/change-causes";
import { planMailbox } from "../core/plan/plan-mailbox";
import { readSpecMailboxes } from "../reconcile/read-tenant";
import { readRecorded } from "./cause-context";
import { toolCommands } from "../runtime/commands-here";
import { CliError } from "./cli-error";
import { createBackend } from "../targets/registry";
import { readStackSettings, readStackSpec, type StackFlags } from "./stack-settings";

export interface AcceptOptions extends StackFlags {
  readonly all?: boolean;
}

export async function runAccept(positionals: readonly string[], options: AcceptOptions): Promise<number> {
  const settings = await readStackSettings(options);
  const root = settings.root;
  const file = path.resolve(root, settings.spec);
  const text = readStackSpec(settings).toString("utf8");
  // Explicit entries are rewritten; a mailbox a policy manages is changed by changing the policy.
  const loaded = loadSpecBytes(settings.spec, Buffer.from(text), { policies: true });
  if (!loaded.ok) {
    for (const problem of loaded.problems) process.stderr.write(`${formatProblem(problem)}\n`);
    return 1;
  }
  const byKey = new Map(loaded.spec.mailboxes.map((m) => [addressKey(m.identity), m]));
  const unknown = positionals.filter((identity) => !byKey.has(addressKey(identity)));
  if (unknown.length > 0) {
    const policies =
      (loaded.spec.policies ?? []).length > 0
        ? `; a mailbox a policy manages is accepted by changing the policy, or by giving it an explicit entry (see ${toolCommands(root).tool} expand)`
        : "";
    throw new CliError(
      `not in ${settings.spec}: ${unknown.join(", ")}; accept names mailboxes the spec declares (export adopts new ones)${policies}`,
    );
  }
  if (positionals.length === 0 && !options.all)
    throw new CliError("name the mailboxes to accept (as `drift` lists them), or --all");
  const chosen = options.all ? loaded.spec.mailboxes : positionals.map((identity) => byKey.get(addressKey(identity))!);
  const backend = createBackend(settings.target, root);
  try {
    const live = await readSpecMailboxes(
      backend,
      chosen.map((m) => m.identity),
    );
    // With the state's record, only what changed outside git is accepted; the spec's own changes
    // not applied yet stay (the same causes `plan` and `drift` show: core/plan/change-causes.ts).
    const recorded = await readRecorded(settings);
    const accepted = [];
    const keptChanges: string[] = [];
    for (const mailbox of chosen) {
      const addresses = live.get(mailbox.identity)?.addresses;
      const record = recorded?.get(mailbox.identity);
      let wanted = addresses && acceptedAddresses(mailbox, addresses);
      if (addresses && wanted && record !== undefined) {
        const causes = causesOf({ plan: planMailbox(mailbox, addresses), recorded: record });
        wanted = acceptDrift(mailbox, causes, addresses);
        for (const c of causes.filter((x) => x.cause !== "drift"))
          keptChanges.push(`${mailbox.identity}: ${changeText(c)} kept (${causeWords(c)}; \`pulumi up\` applies it)`);
      }
      if (wanted === undefined) {
        process.stderr.write(
          `mailbox "${mailbox.identity}": not found in the ${backend.description} (or it has no primary); nothing to accept\n`,
        );
        return 1;
      }
      accepted.push({ mailbox, ...wanted });
    }
    const result = acceptLive(text, accepted);
    for (const line of keptChanges) process.stdout.write(`${line}\n`);
    if (result.changes.length === 0) {
      process.stdout.write(
        `nothing to accept: ${settings.spec} already matches the ${backend.description} for ${chosen.length === 1 ? "this mailbox" : "these mailboxes"}\n`,
      );
      return 0;
    }
    writeFileSync(file, result.text);
    for (const change of result.changes) {
      const parts = [
        ...(change.primary ? [`primary ${change.primary.from} → ${change.primary.to}`] : []),
        ...change.added.map((a) => `+ ${a}`),
        ...change.removed.map((r) => `- ${r}`),
      ];
      process.stdout.write(`${settings.spec}: ${change.identity}: ${parts.join("; ")}\n`);
    }
    process.stdout.write(`accepted ${result.changes.length} of ${chosen.length}; review and commit ${settings.spec}\n`);
    return 0;
  } finally {
    await backend.close();
  }
}
