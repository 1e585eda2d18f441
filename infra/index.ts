// The Pulumi program: loads the spec, checks it (every problem at once, with file:line:col),
// reads the managed mailboxes, checks the change against the tenant, and declares one
// MailboxAddresses resource per mailbox, ordered so an address leaves one mailbox before it
// joins another. Nothing is declared, so nothing is written, when any check fails.
import * as pulumi from "@pulumi/pulumi";
import { describePlan } from "../core/plan/describe-plan";
import { declarationOrder, type ChangePlan } from "../core/plan/plan-changes";
import { formatProblem, type SpecProblem } from "../core/problems";
import { loadSpecBytes } from "../core/spec/load-spec";
import type { Spec } from "../core/spec/rules";
import { createBackend } from "../providers/backends/create-backend";
import { MailboxAddresses } from "../providers/mailbox-addresses/resource";
import { assessSpec } from "../providers/assess";
import { describeExpected, isExpectedError } from "../providers/expected-errors";
import { findProjectRoot } from "../providers/project-root";
import { readSpecFile, SpecFileError } from "../providers/spec-file";
import { readSettings } from "./settings";

function fail(problems: readonly SpecProblem[], what: string): never {
  for (const problem of problems) pulumi.log.error(formatProblem(problem));
  const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
  throw new pulumi.RunError(`${count} ${what}; nothing was changed (see the errors above)`);
}

function readSpec(file: string): Spec {
  let bytes: Buffer;
  try {
    // The project as the engine knows it (a linked dist/ resolves elsewhere): the spec stays inside it.
    const root = process.env.MAILBOX_ADDRESSES_ROOT || pulumi.runtime.getRootDirectory() || findProjectRoot();
    bytes = readSpecFile(file, { root, explicit: false });
  } catch (err) {
    if (!SpecFileError.isInstance(err)) throw err;
    throw new pulumi.RunError(`the spec ${err.message}`);
  }
  const result = loadSpecBytes(file, bytes);
  if (!result.ok) fail(result.problems, "in the spec");
  return result.spec;
}

function declare(spec: Spec, change: ChangePlan, settings: ReturnType<typeof readSettings>) {
  const resources = new Map<string, MailboxAddresses>();
  const declared = new Map(spec.mailboxes.map((m) => [m.identity, m]));
  const movesFrom = new Map<string, ChangePlan["moves"][number][]>();
  for (const move of change.moves) movesFrom.set(move.from, [...(movesFrom.get(move.from) ?? []), move]);
  // Givers are declared before takers, so dependsOn can name them.
  const order = declarationOrder(spec.mailboxes, change.dependsOn);
  for (const mailbox of order) {
    const dependsOn = (change.dependsOn.get(mailbox.identity) ?? []).map((d) => resources.get(d)!);
    const releasesOut = (movesFrom.get(mailbox.identity) ?? []).map((m) => ({ address: m.address, to: m.to }));
    // In a cycle, this mailbox makes the giver let go of its addresses first (see TakeFrom).
    const takeFrom = (change.dependsOnRelease.get(mailbox.identity) ?? []).map((giver) => {
      const declaration = declared.get(giver)!;
      const addresses = (movesFrom.get(giver) ?? []).filter((m) => m.to === mailbox.identity).map((m) => m.address);
      return { identity: giver, addresses, primary: declaration.primary, aliases: [...declaration.aliases] };
    });
    const resource = new MailboxAddresses(
      mailbox.identity,
      {
        identity: mailbox.identity,
        primary: mailbox.primary,
        aliases: [...mailbox.aliases],
        mode: mailbox.mode,
        cloudManaged: mailbox.cloudManaged,
        ...(releasesOut.length > 0 ? { releases: releasesOut } : {}),
        ...(takeFrom.length > 0 ? { takeFrom } : {}),
        target: settings.target,
        spec: settings.spec,
      },
      { dependsOn },
    );
    resources.set(mailbox.identity, resource);
    const plan = change.plans.get(mailbox.identity);
    if (plan?.changed) pulumi.log.info(`live tenant → spec: ${describePlan(plan)}`, resource);
  }
  return resources;
}

export = async () => {
  try {
    return await program();
  } catch (err) {
    // An expected error (unreachable host, unknown tenant, damaged store...) reads as a message.
    if (isExpectedError(err)) throw new pulumi.RunError(describeExpected(err));
    throw err;
  }
};

async function program() {
  const settings = readSettings(new pulumi.Config());
  const spec = readSpec(settings.spec);
  const backend = createBackend(settings.target);
  try {
    // The same assessment `drift` makes (providers/assess.ts): keys resolved, plan, preview checks.
    const { change, problems } = await assessSpec(spec, backend);
    if (problems.length > 0) fail(problems, `between the spec and the ${backend.description}`);
    const resources = declare(spec, change, settings);
    return {
      spec: settings.spec,
      target: backend.description,
      mailboxes: resources.size,
    };
  } finally {
    await backend.close();
  }
}
