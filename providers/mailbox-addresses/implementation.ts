// What the MailboxAddresses resource does, behind the small serialized provider in
// ./resource.ts. Loaded fresh from disk by the provider process, so Pulumi's state
// stores only a few lines of code per resource and never a client, a config value or a secret.
import { addressKey, isMicrosoftRoutingAddress, parseProxyAddress, primaryOf, sameAddressList } from "../../core/address";
import { planRelease } from "../../core/plan/plan-changes";
import { planMailbox, type DesiredAddresses, type MailboxPlan } from "../../core/plan/plan-mailbox";
import { readFileSync } from "node:fs";
import path from "node:path";
import { loadSpecBytes, type Spec } from "../../core/spec/load-spec";
import { ExchangeError } from "../../tenant/exchange-error";
import { findProjectRoot } from "../project-root";
import type { LiveMailbox } from "../backend";
import { backendFor } from "../backends/create-backend";
import { confirmChanged } from "../read-tenant";
import { remedyFor } from "../explain";
import { placeOf } from "../../core/spec/positions";
import { checkMailboxInputs, type CheckFailure, type MailboxAddressesInputs, type MailboxAddressesOutputs, type TakeFrom } from "./inputs";

/**
 * An error the provider reports: where the spec declares it (file:line:col), the mailbox, what
 * Exchange said and what to do.
 */
export class MailboxError extends Error {
  constructor(identity: string, message: string, remedy?: string, address?: string) {
    const where = specPlace(identity, address);
    super(`${where ? `${where}: ` : ""}mailbox "${identity}": ${message}${remedy ? `\n  what to do: ${remedy}` : ""}`);
    this.name = "MailboxError";
  }
}

function explain(identity: string, err: unknown): Error {
  if (ExchangeError.isInstance(err)) {
    const messages = err.violations.map((v) => v.message).join("\n  ");
    const remedy = remedyFor(err.code, { identity, address: err.address, owner: err.owner?.displayName });
    return new MailboxError(identity, `Exchange refused the change: ${messages}`, remedy, err.address);
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** `infra/mailboxes.yaml:14:9` for a mailbox (and address) of the stack's spec, if it can tell. */
function specPlace(identity: string, address: string | undefined): string | undefined {
  const spec = stackSpec();
  const mailbox = spec?.mailboxes.find((m) => addressKey(m.identity) === addressKey(identity));
  if (!mailbox || !spec) return undefined;
  const { position } = placeOf(mailbox, address);
  return `${spec.file}:${position.line}:${position.col}`;
}

const desiredOf = (inputs: MailboxAddressesInputs): DesiredAddresses => ({ primary: inputs.primary, aliases: inputs.aliases, mode: inputs.mode });
const releasesOf = (inputs: MailboxAddressesInputs) => new Map((inputs.releases ?? []).map((r) => [addressKey(r.address), r.to]));

function plan(inputs: MailboxAddressesInputs, live: readonly string[]): MailboxPlan {
  return planMailbox(desiredOf(inputs), live, { releaseTo: releasesOf(inputs) });
}

// ---- Refresh reads the whole spec at once ---------------------------------------------------
// The engine asks read() one resource at a time (a few in parallel), which would cost one request
// per mailbox. The first read() of a process instead reads every mailbox of the stack's spec in one
// batched sweep (ceil(N/20) Graph requests) and answers the others from it. Any write empties it.

let configuredSpec: string | undefined;
/** The stack's spec, loaded once per process for sweeps and messages; null when it cannot be. */
let loadedSpec: Spec | null | undefined;
const sweeps = new Map<string, Promise<Map<string, LiveMailbox | undefined> | undefined>>();

/** Remembers which spec the stack uses (every resource carries its path), for sweeps and messages. */
function remember(inputs: { spec?: string | undefined }): void {
  if (inputs.spec && inputs.spec !== configuredSpec) {
    configuredSpec = inputs.spec;
    loadedSpec = undefined;
  }
}

function stackSpec(): Spec | undefined {
  if (loadedSpec === undefined) {
    loadedSpec = null;
    try {
      if (configuredSpec !== undefined) {
        const loaded = loadSpecBytes(configuredSpec, readFileSync(path.resolve(findProjectRoot(), configuredSpec)));
        if (loaded.ok) loadedSpec = loaded.spec;
      }
    } catch {
      // without the spec: messages go without a position, and each read() reads its own mailbox
    }
  }
  return loadedSpec ?? undefined;
}

function sweep(target: MailboxAddressesInputs["target"]): Promise<Map<string, LiveMailbox | undefined> | undefined> {
  const key = JSON.stringify(target);
  let pending = sweeps.get(key);
  if (pending === undefined) {
    pending = (async () => {
      const spec = stackSpec();
      if (spec === undefined) return undefined;
      try {
        return await backendFor(target).readMailboxes(spec.mailboxes.map((m) => m.identity));
      } catch {
        return undefined; // each read() then reads its own mailbox
      }
    })();
    sweeps.set(key, pending);
  }
  return pending;
}

async function readLive(inputs: { identity: string; target: MailboxAddressesInputs["target"] }): Promise<LiveMailbox | undefined> {
  try {
    return (await backendFor(inputs.target).readMailboxes([inputs.identity])).get(inputs.identity);
  } catch (err) {
    throw explain(inputs.identity, err);
  }
}

/**
 * The live mailbox, read again from the source of truth when this read shows a change: Graph can
 * lag behind Exchange right after a write (../read-tenant.ts, confirmChanged).
 */
async function confirmIfChanged(inputs: { identity: string; target: MailboxAddressesInputs["target"] }, live: LiveMailbox | undefined, changed: (mailbox: LiveMailbox) => boolean): Promise<LiveMailbox | undefined> {
  try {
    return (await confirmChanged(backendFor(inputs.target), new Map([[inputs.identity, live]]), (_identity, mailbox) => changed(mailbox))).get(inputs.identity);
  } catch (err) {
    throw explain(inputs.identity, err);
  }
}

/**
 * EmailAddresses in a stable order (primary, then SMTP aliases, then other entries, each sorted),
 * so the state's array diffs line up entry by entry when the tenant reorders or changes one.
 */
function canonicalOrder(addresses: readonly string[]): string[] {
  const rank = (entry: string) => (entry.startsWith("SMTP:") ? 0 : parseProxyAddress(entry).kind === "smtp" ? 1 : 2);
  return [...addresses].sort((a, b) => rank(a) - rank(b) || a.toLowerCase().localeCompare(b.toLowerCase()));
}

function outputsOf(inputs: MailboxAddressesInputs, live: LiveMailbox): MailboxAddressesOutputs {
  return {
    ...inputs,
    objectId: live.id,
    userPrincipalName: live.upn ?? "",
    displayName: live.displayName,
    recipientType: live.type,
    emailAddresses: canonicalOrder(live.addresses),
    preservedAddresses: plan(inputs, live.addresses).preserve.map((p) => p.entry),
  };
}

/**
 * The first half of a cycle: makes the giver let go of the addresses this mailbox takes (with a
 * temporary primary if its primary goes). Idempotent: nothing is written once they are gone.
 */
async function takeAddresses(inputs: MailboxAddressesInputs, giver: TakeFrom): Promise<void> {
  const backend = backendFor(inputs.target);
  const released = (addresses: readonly string[]) => planRelease(giver.identity, { primary: giver.primary, aliases: giver.aliases, mode: "strict" }, addresses, giver.addresses);
  const giverInputs = { identity: giver.identity, target: inputs.target };
  const live = await confirmIfChanged(giverInputs, await readLive(giverInputs), (mailbox) => released(mailbox.addresses) !== undefined);
  if (live === undefined) return;
  const step = released(live.addresses);
  if (step === undefined) return;
  try {
    await backend.setEmailAddresses(giver.identity, step.list);
  } catch (err) {
    throw explain(giver.identity, err);
  }
}

/**
 * Reads the mailbox, plans, writes once if anything differs, and reads back. Used by create
 * (adopting an existing mailbox) and update. Idempotent: a retry after a write that landed finds
 * nothing left to do.
 */
async function converge(inputs: MailboxAddressesInputs, recorded?: readonly string[]): Promise<MailboxAddressesOutputs> {
  sweeps.clear(); // this process writes from now on: reads must be fresh
  const backend = backendFor(inputs.target);
  // Confirmed from Exchange only when the read differs from what the state recorded (a recent
  // write Graph has not caught up with, or a change by hand): the usual update costs no more.
  const stale = (mailbox: LiveMailbox) => recorded !== undefined && !sameAddressList(mailbox.addresses, recorded) && plan(inputs, mailbox.addresses).changed;
  const live = await confirmIfChanged(inputs, await readLive(inputs), stale);
  if (live === undefined) {
    throw new MailboxError(inputs.identity, `not found in the ${backend.description}`, remedyFor("NotFound", inputs));
  }
  const wantedBefore = plan(inputs, live.addresses);
  if (wantedBefore.changed) for (const giver of inputs.takeFrom ?? []) await takeAddresses(inputs, giver);
  try {
    if (inputs.cloudManaged && live.synced && !live.cloudManaged) await backend.setCloudManaged(inputs.identity);
    const wanted = plan(inputs, live.addresses);
    if (!wanted.changed) return outputsOf(inputs, live);
    const back = await backend.setEmailAddresses(inputs.identity, wanted.final);
    if (!sameAddressList(back.addresses, wanted.final)) {
      throw new MailboxError(
        inputs.identity,
        `the write was accepted but reading it back gives ${JSON.stringify(back.addresses)} instead of ${JSON.stringify(wanted.final)}`,
        "run `pulumi refresh` and `pulumi up` again; if it persists, something else is changing this mailbox",
      );
    }
    return outputsOf(inputs, back);
  } catch (err) {
    throw explain(inputs.identity, err);
  }
}

/**
 * The inputs that would produce the mailbox as it is: the live primary and aliases, spelled as
 * the spec spells them when they match, so `preview --refresh` shows drift address by address.
 */
function inputsFromLive(previous: MailboxAddressesInputs, live: LiveMailbox): MailboxAddressesInputs {
  const spelled = new Map([previous.primary, ...previous.aliases].map((a) => [addressKey(a), a]));
  const spell = (address: string) => spelled.get(addressKey(address)) ?? address;
  const livePrimary = primaryOf(live.addresses);
  const aliases = live.addresses
    .map(parseProxyAddress)
    .filter((p) => p.kind === "smtp" && !p.primary && !isMicrosoftRoutingAddress(p.value))
    .map((p) => spell(p.value))
    // Additive mode does not manage unlisted aliases: they are not drift.
    .filter((a) => previous.mode === "strict" || spelled.has(addressKey(a)));
  const order = new Map(previous.aliases.map((a, i) => [addressKey(a), i]));
  aliases.sort((a, b) => (order.get(addressKey(a)) ?? Infinity) - (order.get(addressKey(b)) ?? Infinity));
  return { ...previous, primary: livePrimary === undefined ? "" : spell(livePrimary), aliases };
}

// The provider's methods, called by ./resource.ts (short names: each is written into the state).

export async function check(_olds: unknown, news: MailboxAddressesInputs): Promise<{ inputs: MailboxAddressesInputs; failures: CheckFailure[] }> {
  remember(news);
  return { inputs: news, failures: checkMailboxInputs(news) };
}

export async function diff(_id: string, olds: MailboxAddressesOutputs, news: MailboxAddressesInputs) {
  remember(news);
  if (addressKey(olds.identity ?? "") !== addressKey(news.identity)) {
    return { changes: true, replaces: ["identity"], deleteBeforeReplace: true };
  }
  if (!Array.isArray(olds.emailAddresses)) return { changes: true };
  const targetChanged = JSON.stringify(olds.target) !== JSON.stringify(news.target);
  const cloudManagedChanged = news.cloudManaged && !olds.cloudManaged;
  return { changes: plan(news, olds.emailAddresses).changed || targetChanged || cloudManagedChanged };
}

export async function create(inputs: MailboxAddressesInputs) {
  remember(inputs);
  const outs = await converge(inputs);
  return { id: outs.objectId, outs };
}

export async function update(_id: string, olds: MailboxAddressesOutputs, news: MailboxAddressesInputs) {
  remember(news);
  return { outs: await converge(news, Array.isArray(olds.emailAddresses) ? olds.emailAddresses : undefined) };
}

export async function read(id: string, props: MailboxAddressesOutputs) {
  remember(props);
  const swept = await sweep(props.target);
  const read = swept?.has(props.identity) ? swept.get(props.identity) : await readLive(props);
  // What differs from the state is confirmed from the source before it counts as drift.
  const live = await confirmIfChanged(props, read, (mailbox) => !Array.isArray(props.emailAddresses) || !sameAddressList(mailbox.addresses, props.emailAddresses));
  // No id tells the engine the mailbox is gone; refresh drops it from the state.
  if (live === undefined) return {};
  const previous: MailboxAddressesInputs = {
    identity: props.identity,
    primary: props.primary,
    aliases: props.aliases,
    mode: props.mode,
    cloudManaged: props.cloudManaged,
    ...(props.spec ? { spec: props.spec } : {}),
    ...(props.releases ? { releases: props.releases } : {}),
    ...(props.takeFrom ? { takeFrom: props.takeFrom } : {}),
    target: props.target,
  };
  return { id: live.id || id, props: outputsOf(previous, live), inputs: inputsFromLive(previous, live) };
}
