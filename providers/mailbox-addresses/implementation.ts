// What the MailboxAddresses resource does, behind the small serialized provider in ./resource.ts.
// Loaded fresh from disk by the provider process, so Pulumi's state stores only a few lines of
// code per resource and never a client, a config value or a secret.
//
// The provider is configured once per process from the stack's config (configure): which tenant,
// which app, which spec. Resources carry only what the spec wants for their mailbox.
import { addressKey, sameAddressList } from "../../core/address";
import {
  addressMapAsWritten,
  desiredFromMap,
  liveAddressMaps,
  liveListOf,
  recordOf,
  sameAddressMap,
} from "../../core/plan/address-map";
import { planRelease } from "../../core/plan/plan-changes";
import { planMailbox, type DesiredAddresses, type MailboxPlan } from "../../core/plan/plan-mailbox";
import { loadSpecBytes, type Spec } from "../../core/desired/load-spec";
import type { MailboxDeclaration } from "../../core/desired/rules";
import { placeOf } from "../../core/desired/positions";
import { ExchangeError } from "../../exchange/exchange-error";
import { holderRemedy } from "../../exchange/exchange-rules";
import { checkLiveMailbox, SCAN_THRESHOLD, type LiveMailbox, type TenantBackend } from "../../targets/tenant-backend";
import { createBackend } from "../../targets/registry";
import { remedyFor } from "../../reconcile/explain";
import { describeRecipient } from "../../reconcile/preflight";
import { DEFAULTS, readSettings, type ConfigReader, type ProgramSettings } from "../../reconcile/settings";
import { findProjectRoot } from "../../runtime/project-root";
import { readSpecFile } from "../../runtime/spec-file";
import { confirmChanged, readManyMailboxes } from "../../reconcile/read-tenant";
import { expandSpec, hasPolicies } from "../../reconcile/expand-spec";
import { changesUpn } from "../../reconcile/upn";
import {
  leaveForProgram,
  leaveHoldersForProgram,
  readFromProgram,
  recordForProgram,
} from "../../runtime/refresh-handoff";
import { stopWhenEngineIsGone, assertEngineAlive } from "../../runtime/engine-watchdog";
import { throttleReporter } from "./throttle-report";
import { describeExpected, isExpectedError, MailboxAddressesError } from "../../core/errors";
import {
  checkMailboxInputs,
  type CheckFailure,
  type MailboxAddressesInputs,
  type MailboxAddressesOutputs,
  type TakeFrom,
} from "./inputs";

/**
 * An error the provider reports: where the spec declares it (file:line:col), the mailbox, what
 * Exchange said and what to do.
 */
export class MailboxError extends MailboxAddressesError {
  constructor(where: string | undefined, identity: string, message: string, remedy?: string) {
    super(`${where ? `${where}: ` : ""}mailbox "${identity}": ${message}${remedy ? `\n  what to do: ${remedy}` : ""}`, {
      mailbox: identity,
      ...(where ? { file: where } : {}),
      ...(remedy ? { remedy } : {}),
    });
    this.name = "MailboxError";
  }
}

/** The provider process's settings, tenant connection and spec (for positions and refresh sweeps). */
class ProviderContext {
  readonly backend: TenantBackend;
  #spec: Spec | null | undefined;
  /** The spec with its policies expanded (reconcile/expand-spec.ts), once per process. */
  #expanded: Promise<Spec | undefined> | undefined;
  #sweep: Promise<Map<string, LiveMailbox | undefined> | undefined> | undefined;

  constructor(readonly settings: ProgramSettings) {
    // Waits a service's throttling imposes are told in the engine's output (./throttle-report.ts).
    this.backend = createBackend(settings.target, undefined, { onThrottle: throttleReporter() });
  }

  /** The stack's spec, loaded once; undefined when it cannot be (messages then go without a position). */
  spec(): Spec | undefined {
    if (this.#spec === undefined) {
      this.#spec = null;
      try {
        const bytes = readSpecFile(this.settings.spec, {
          root: process.env.MAILBOX_ADDRESSES_ROOT || findProjectRoot(),
          explicit: false,
        });
        const loaded = loadSpecBytes(this.settings.spec, bytes, { policies: true });
        if (loaded.ok) this.#spec = loaded.spec;
      } catch {
        // without the spec: messages go without a position, and each read() reads its own mailbox
      }
    }
    return this.#spec ?? undefined;
  }

  /** The spec's mailboxes, policy-managed ones included (keyed by object id); undefined when it cannot tell. */
  expandedSpec(): Promise<Spec | undefined> {
    this.#expanded ??= (async () => {
      const spec = this.spec();
      if (spec === undefined) return undefined;
      if (!hasPolicies(spec)) return spec;
      try {
        const expanded = await expandSpec(spec, this.backend);
        if (expanded.problems.length > 0) return undefined;
        this.#spec = expanded.spec;
        return expanded.spec;
      } catch {
        return undefined;
      }
    })();
    return this.#expanded;
  }

  /** `infra/mailboxes.yaml:14:9` for a mailbox (and address) of the stack's spec, if it can tell. */
  placeOf(identity: string, address?: string): string | undefined {
    const spec = this.spec();
    const mailbox = spec && declarationOf(spec, identity);
    if (!mailbox || !spec) return undefined;
    const { position } = placeOf(mailbox, address);
    return `${spec.file}:${position.line}:${position.col}`;
  }

  error(identity: string, message: string, remedy?: string, address?: string): MailboxError {
    return new MailboxError(this.placeOf(identity, address), identity, message, remedy);
  }

  explain(identity: string, err: unknown): Error {
    if (ExchangeError.isInstance(err)) {
      const messages = err.violations.map((v) => v.message).join("\n  ");
      // A holder that is not a recipient of the spec's kinds (a public folder, a deleted one…) has remedies of its own.
      const remedy =
        err.owner?.holder !== undefined && err.address !== undefined
          ? holderRemedy(err.owner, err.address)
          : remedyFor(err.code, { identity, address: err.address, owner: err.owner?.displayName });
      return this.error(identity, `Exchange refused the change: ${messages}`, remedy, err.address);
    }
    return err instanceof Error ? err : new Error(String(err));
  }

  // The engine asks read() one resource at a time (a few in parallel), which would cost one
  // request per mailbox. The first read() instead reads every mailbox of the stack's spec in one
  // sweep (batched, ceil(N/20) Graph requests; from SCAN_THRESHOLD on one paged listing,
  // ceil(N/999), as `drift`) and answers the others from it. Any write ends it for read(); the
  // writes of the same run take their mailbox's list from it once (takeSwept).
  sweep(): Promise<Map<string, LiveMailbox | undefined> | undefined> {
    this.#sweep ??= (async () => {
      const spec = await this.expandedSpec();
      if (spec === undefined) return undefined;
      try {
        const identities = spec.mailboxes.map((m) => m.identity);
        const live = await readManyMailboxes(this.backend, identities);
        leaveForProgram(this.settings.target, this.settings.spec, identities, live);
        // From SCAN_THRESHOLD on that was a listing of the whole directory: what it showed of the
        // holders of the spec's addresses goes to the program too, whose preview checks would
        // otherwise list the directory again (targets/exchange-online/hidden-holders.ts).
        const holders = this.backend.listedHolders?.(spec.mailboxes.flatMap((m) => [m.primary, ...m.aliases]));
        if (holders !== undefined) leaveHoldersForProgram(this.settings.target, this.settings.spec, holders);
        this.#swept = new Map(live);
        return live;
      } catch (err) {
        if (isRunWideError(err)) this.#runFailure = err;
        return undefined; // each read() then reads its own mailbox (or meets the run's failure)
      }
    })();
    return this.#sweep;
  }

  #fromProgram: Map<string, LiveMailbox | undefined> | undefined | null = null;

  /**
   * In a run that no refresh read for (a targeted run, an adoption into an empty state), the live
   * lists this run's program read for the mailboxes it declared (runtime/refresh-handoff.ts);
   * undefined when the refresh's sweep handed the program its read.
   */
  programLive(identity: string): LiveMailbox | undefined {
    if (this.#fromProgram === null)
      this.#fromProgram = readFromProgram(this.settings.target, this.settings.spec, checkLiveMailbox);
    return this.#fromProgram?.get(identity);
  }

  /** Mailboxes whose program read a write took already, or that another step wrote since. */
  readonly #takenFromProgram = new Set<string>();

  /**
   * The mailbox as this run's program read it, once (as {@link takeSwept}): what a create with
   * nothing to write starts from, instead of a read of its own. Undefined once taken or touched.
   */
  takeFromProgram(identity: string): LiveMailbox | undefined {
    if (this.#takenFromProgram.has(identity)) return undefined;
    this.#takenFromProgram.add(identity);
    return this.programLive(identity);
  }

  /**
   * The stack's spec asks nothing of this mailbox with this live list: no address to add, remove or
   * make primary (core/plan/plan-mailbox.ts). False when the spec cannot be loaded or does not
   * declare the mailbox (a program of one's own with an inline spec): the record then stays.
   */
  async agreesWithSpec(identity: string, live: readonly string[]): Promise<boolean> {
    const spec = await this.expandedSpec();
    const mailbox = spec && declarationOf(spec, identity);
    if (mailbox === undefined) return false;
    try {
      return !planMailbox(mailbox, live).changed;
    } catch {
      return false;
    }
  }

  /** From the first write on, reads must be fresh. */
  endSweep(): void {
    this.#sweep = Promise.resolve(undefined);
  }

  /** What this run's refresh read of each mailbox (confirmed where it differed from the state), for its one write. */
  #swept: Map<string, LiveMailbox | undefined> | undefined;

  /** read() confirmed a mailbox from the source: that is what its write starts from. */
  confirmedInSweep(identity: string, live: LiveMailbox | undefined): void {
    if (this.#swept?.has(identity)) this.#swept.set(identity, live);
  }

  /**
   * The mailbox as this run's refresh read it, once: an update plans and writes its delta from it
   * instead of reading the mailbox again (the refresh and the program's plan saw the same list).
   * Undefined without a refresh in this process (a targeted run) or once taken or written by
   * another step (a release to a taker): then the mailbox is read.
   */
  takeSwept(identity: string): LiveMailbox | undefined {
    const live = this.#swept?.get(identity);
    this.#swept?.delete(identity);
    return live;
  }

  /** Another step wrote this mailbox: what the refresh read of it is stale. */
  touched(identity: string): void {
    this.#swept?.delete(identity);
    this.#takenFromProgram.add(identity);
  }

  /**
   * A failure no call of this run gets past (the directory refused the bind account, is
   * unreachable…): met once, then every read and write that needs the tenant meets it at once,
   * without asking the tenant again, and it is told once ({@link toldOnce}).
   */
  #runFailure: Error | undefined;

  async readLive(identity: string): Promise<LiveMailbox | undefined> {
    if (this.#runFailure !== undefined) throw this.#runFailure;
    try {
      return (await this.backend.readMailboxes([identity])).get(identity);
    } catch (err) {
      if (isRunWideError(err)) this.#runFailure = err;
      throw this.explain(identity, err);
    }
  }

  /** Mailboxes of this refresh whose swept read differed from the state, so far. */
  #suspects = 0;
  /** From the (ONE_BY_ONE + 1)th such mailbox on: one source read of every mailbox of the sweep. */
  #confirmAll: Promise<Map<string, LiveMailbox>> | undefined;

  /**
   * refresh's read(), one mailbox at a time: what differs from the state is confirmed from the
   * source. Right after a large apply Graph can lag for many mailboxes at once; then, from the
   * 21st, one bulk confirmation of the whole sweep (backend.confirmMailboxes: a paged listing from
   * 500 on) answers the rest instead of one read each.
   */
  async confirmInRefresh(
    identity: string,
    live: LiveMailbox | undefined,
    changed: (mailbox: LiveMailbox) => boolean,
  ): Promise<LiveMailbox | undefined> {
    if (live === undefined || !changed(live)) return live;
    const swept = this.#swept;
    if (
      ++this.#suspects <= CONFIRM_ONE_BY_ONE ||
      swept === undefined ||
      swept.size < SCAN_THRESHOLD ||
      this.backend.confirmMailboxes === undefined
    )
      return this.confirmIfChanged(identity, live, changed);
    try {
      this.#confirmAll ??= this.backend.confirmMailboxes([...swept.keys()]);
      return (await this.#confirmAll).get(identity) ?? live;
    } catch (err) {
      throw this.explain(identity, err);
    }
  }

  /**
   * The live mailbox, read again from the source of truth when this read shows a change: Graph can
   * lag behind Exchange right after a write (../read-tenant.ts, confirmChanged).
   */
  async confirmIfChanged(
    identity: string,
    live: LiveMailbox | undefined,
    changed: (mailbox: LiveMailbox) => boolean,
  ): Promise<LiveMailbox | undefined> {
    try {
      return (
        await confirmChanged(this.backend, new Map([[identity, live]]), (_identity, mailbox) => changed(mailbox))
      ).get(identity);
    } catch (err) {
      throw this.explain(identity, err);
    }
  }
}

/** Each spec's mailboxes by their key (lower case), made once a spec. */
const declarationsByKey = new WeakMap<Spec, Map<string, MailboxDeclaration>>();

/**
 * The spec's mailbox of this key. Indexed: the refresh asks once per resource, and a scan of the
 * spec each time cost 10,000 × 10,000 comparisons at 10,000 (22 s of an `up`: docs/benchmarks.md,
 * "Wall time of `up`").
 */
function declarationOf(spec: Spec, identity: string): MailboxDeclaration | undefined {
  let byKey = declarationsByKey.get(spec);
  if (byKey === undefined) {
    byKey = new Map();
    // The first of a key, as Array.find gave: a spec with a key twice is refused before any run.
    for (const m of spec.mailboxes) {
      const key = addressKey(m.identity);
      if (!byKey.has(key)) byKey.set(key, m);
    }
    declarationsByKey.set(spec, byKey);
  }
  return byKey.get(addressKey(identity));
}

/** Mailboxes a refresh confirms one read each before it confirms the whole sweep at once. */
const CONFIRM_ONE_BY_ONE = 20;

let current: ProviderContext | undefined;
/**
 * Why configure could not set the provider up (a damaged local store, a bad setting): an expected
 * error, kept and told once, by the first call that needs the tenant (see {@link toldOnce}).
 */
let unconfigured: Error | undefined;

function context(): ProviderContext {
  if (unconfigured !== undefined) throw unconfigured;
  if (current === undefined)
    throw new Error("the mailbox-addresses provider was not configured (Pulumi calls configure first)");
  return current;
}

/**
 * An expected error that no call of this run can get past: a damaged local store, or a target
 * that says so on the error (`runWide`: an Active Directory that refuses the bind account, cannot
 * be reached or is not trusted, targets/active-directory/directory-client.ts). Told once per run
 * ({@link toldOnce}), not once per mailbox. A property, not a class: the provider and the program
 * may hold two copies of the error classes.
 */
function isRunWideError(err: unknown): err is Error {
  return isExpectedError(err) && (err.name === "TenantStoreError" || (err as { runWide?: unknown }).runWide === true);
}

/**
 * Pulumi's dynamic provider prints `${err}: ${err.stack}` for every error read, diff and check
 * throw, before returning the message to the engine (@pulumi/pulumi cmd/dynamic-provider): a
 * damaged local store gave ~52 trace lines through `pulumi preview`, the same message per
 * mailbox (issue 25). An expected error has its message shown by the engine on the resource; the
 * printed copy with its stack is dropped here.
 */
const quietLines = new Set<string>();
const printError = console.error.bind(console);
console.error = (...args: unknown[]) => {
  if (args.length === 1 && typeof args[0] === "string" && quietLines.delete(args[0])) return;
  printError(...args);
};

function quiet(err: unknown): unknown {
  if (isExpectedError(err)) quietLines.add(`${String(err)}: ${err.stack}`);
  return err;
}

/**
 * The store, settings or connection failure (isRunWideError: a damaged store, a directory that
 * refuses the bind account or cannot be reached) reaches the engine once per run, with its remedy:
 * the first call that meets it fails with it; every later read keeps its mailbox as the state has
 * it (the run has failed already, and nothing is read or written), so the output is one message,
 * not one per mailbox.
 */
let told = false;
function toldOnce(err: unknown): boolean {
  if (!isExpectedError(err) || (err !== unconfigured && !isRunWideError(err))) return false;
  if (!told) {
    told = true;
    return false;
  }
  return true;
}

const desiredOf = (inputs: MailboxAddressesInputs): DesiredAddresses => ({
  ...desiredFromMap(inputs.addresses),
  mode: inputs.mode,
});

function plan(inputs: MailboxAddressesInputs, live: readonly string[]): MailboxPlan {
  return planMailbox(desiredOf(inputs), live, { releaseTo: new Map(Object.entries(inputs.releases ?? {})) });
}

/**
 * What the state records of the mailbox (docs/ARCHITECTURE.md, "The resource's outputs"): the
 * inputs that would leave it as it is, and the entries kept; the live UPN only where it is not
 * already there (`upn`) and is not the identity. Not the move's orchestration (releases, takeFrom),
 * nor what the state holds elsewhere (the object id is the resource's id) or nothing reads (the
 * display name, the recipient's kind): every property is held by the program's SDK for each of
 * N resources while it resolves the engine's answers (docs/benchmarks.md, "Program memory").
 */
function outputsOf(inputs: MailboxAddressesInputs, live: LiveMailbox): MailboxAddressesOutputs {
  const maps = liveAddressMaps(desiredOf(inputs), live.addresses, Object.keys(inputs.releases ?? {}));
  const { releases: _releases, takeFrom: _takeFrom, ...wanted } = inputs;
  const upn = live.upn ?? "";
  return {
    ...wanted,
    addresses: maps.addresses,
    kept: maps.kept,
    ...(inputs.upn !== undefined ? { upn } : upn !== inputs.identity ? { userPrincipalName: upn } : {}),
  };
}

/** The mailbox's live UPN as the outputs record it (see {@link outputsOf}; a state before 0.2 has `userPrincipalName` always). */
function liveUpnOf(outputs: MailboxAddressesOutputs): string | undefined {
  return outputs.upn ?? outputs.userPrincipalName ?? outputs.identity;
}

/** The outputs with what the stack last applied, recorded only where it is not the live list they hold. */
function withApplied(outputs: MailboxAddressesOutputs, applied: readonly string[]): MailboxAddressesOutputs {
  const live = liveListOf(outputs);
  const same = applied.length === live.length && applied.every((entry, i) => entry === live[i]);
  return same ? outputs : { ...outputs, applied };
}

/** The inputs that would leave the mailbox as it is: what refresh records as the mailbox's inputs. */
function inputsOf(outputs: MailboxAddressesOutputs): MailboxAddressesInputs {
  return {
    identity: outputs.identity,
    addresses: outputs.addresses,
    mode: outputs.mode,
    ...(outputs.cloudManaged ? { cloudManaged: outputs.cloudManaged } : {}),
    ...(outputs.releases ? { releases: outputs.releases } : {}),
    ...(outputs.takeFrom ? { takeFrom: outputs.takeFrom } : {}),
    ...(outputs.upn !== undefined ? { upn: outputs.upn } : {}),
    ...(outputs.internationalForms !== undefined ? { internationalForms: outputs.internationalForms } : {}),
  };
}

/**
 * The first half of a cycle: makes the giver let go of the addresses this mailbox takes (with a
 * temporary primary if its primary goes). Idempotent: nothing is written once they are gone.
 */
async function takeAddresses(ctx: ProviderContext, giver: TakeFrom): Promise<void> {
  const released = (addresses: readonly string[]) =>
    planRelease(
      giver.identity,
      { primary: giver.primary, aliases: giver.aliases, mode: "strict" },
      addresses,
      giver.addresses,
    );
  const live = await ctx.confirmIfChanged(
    giver.identity,
    await ctx.readLive(giver.identity),
    (mailbox) => released(mailbox.addresses) !== undefined,
  );
  if (live === undefined) return;
  const step = released(live.addresses);
  if (step === undefined) return;
  ctx.touched(giver.identity);
  try {
    await assertEngineAlive();
    await ctx.backend.setEmailAddresses(giver.identity, step.list, live.addresses);
  } catch (err) {
    throw ctx.explain(giver.identity, err);
  }
}

/** A written (or adopted) mailbox: its object id, the resource's id, and its outputs. */
interface Converged {
  readonly id: string;
  readonly outs: MailboxAddressesOutputs;
}

/**
 * Reads the mailbox, plans, writes once if anything differs, and reads back. Used by create
 * (adopting an existing mailbox: nothing is created in the tenant) and update. Idempotent: a
 * retry after a write that landed finds nothing left to do.
 */
async function converge(inputs: MailboxAddressesInputs, recorded?: readonly string[]): Promise<Converged> {
  const ctx = context();
  ctx.endSweep();
  // Confirmed from Exchange only when the read differs from what the state recorded (a recent
  // write Graph has not caught up with, or a change by hand): the usual update costs no more.
  const stale = (mailbox: LiveMailbox) =>
    recorded !== undefined && !sameAddressList(mailbox.addresses, recorded) && plan(inputs, mailbox.addresses).changed;
  // This run's refresh read it already (every preview and up refreshes): one write, no read.
  // Without a refresh's read (an adoption into an empty state), the program's read of this run
  // answers a mailbox that needs no write (no read each, which the engine's one-by-one creates
  // would batch only a few at a time); one that needs a write is read again, fresh, for its delta.
  const live = await ctx.confirmIfChanged(
    inputs.identity,
    ctx.takeSwept(inputs.identity) ??
      nothingToWrite(inputs, ctx.takeFromProgram(inputs.identity)) ??
      (await ctx.readLive(inputs.identity)),
    stale,
  );
  if (live === undefined) {
    throw ctx.error(inputs.identity, `not found in the ${ctx.backend.description}`, remedyFor("NotFound", inputs));
  }
  if (plan(inputs, live.addresses).changed) for (const giver of inputs.takeFrom ?? []) await takeAddresses(ctx, giver);
  try {
    if (inputs.cloudManaged && live.synced && !live.cloudManaged) {
      // Preview refuses this first (reconcile/preflight.ts); a program of one's own may not have.
      const cloudManaged = ctx.backend.capabilities.cloudManaged;
      if (cloudManaged === undefined) {
        throw ctx.error(
          inputs.identity,
          `cloudManaged is set, but the ${ctx.backend.description} cannot move a mailbox's Exchange attributes to the cloud`,
          "remove `cloudManaged` from this mailbox in the spec",
        );
      }
      await assertEngineAlive();
      await cloudManaged.set(inputs.identity);
    }
    const wanted = plan(inputs, live.addresses);
    if (!wanted.changed) return await withUpn(ctx, inputs, live);
    await assertEngineAlive();
    // The write is a delta from the list just read (@{Add; Remove}), so an alias an admin adds
    // meanwhile stays; the read-back must then satisfy the plan, not equal the list planned.
    const back = await writeThroughReleaseLag(ctx, inputs.identity, live, () =>
      ctx.backend.setEmailAddresses(inputs.identity, wanted.final, live.addresses),
    );
    // Addresses the cloud still shows on a synced mailbox whose AD entry let go of them (target
    // hybrid) were left out of the write: the next run after the directory sync takes them.
    const waiting = new Set((back.waitingForSync ?? []).map(addressKey));
    const left = plan(inputs, back.addresses);
    const onlyWaiting =
      waiting.size > 0 &&
      !left.primary.changed &&
      left.remove.length === 0 &&
      left.add.every((a) => waiting.has(addressKey(a.address)));
    if (left.changed && !onlyWaiting) {
      throw ctx.error(
        inputs.identity,
        `the write was accepted but reading it back gives ${JSON.stringify(back.addresses)} instead of ${JSON.stringify(wanted.final)}`,
        "run `pulumi up` again; if it persists, something else is changing this mailbox",
      );
    }
    return await withUpn(ctx, inputs, back);
  } catch (err) {
    throw ctx.explain(inputs.identity, err);
  }
}

/** `live` when it already is as the spec asks (addresses, cloudManaged, UPN): nothing to write. */
function nothingToWrite(inputs: MailboxAddressesInputs, live: LiveMailbox | undefined): LiveMailbox | undefined {
  if (live === undefined || plan(inputs, live.addresses).changed || changesUpn(inputs.upn, live.upn)) return undefined;
  return inputs.cloudManaged && live.synced && !live.cloudManaged ? undefined : live;
}

/** The first wait after a refusal in the release lag, and the longest, in milliseconds. */
const RELEASE_RETRY_FIRST_MS = 2_000;
const RELEASE_RETRY_MAX_MS = 60_000;

/**
 * The write of a mailbox that takes an address, retried while Exchange still refuses it with
 * "already being used" although no recipient holds it any more: the release lag after another
 * mailbox let go of it (MicrosoftDocs/OfficeDocs-Support#46: about an hour). Each refusal asks
 * Exchange's owner lookup (one Get-Recipient) who holds the refused addresses: a holder is a real
 * conflict, reported at once; nobody is the lag, waited out with backoff (2 s doubling, at most
 * 60 s) for at most the stack's `releaseWaitSeconds`, saying what it waits for. Past the bound the
 * run stops with the move pending: the address is on neither mailbox, and the state (the giver's
 * write recorded, this one's not) says so; the next `pulumi up` adds it.
 */
async function writeThroughReleaseLag(
  ctx: ProviderContext,
  identity: string,
  live: LiveMailbox,
  write: () => Promise<LiveMailbox>,
): Promise<LiveMailbox> {
  const boundMs = (ctx.settings.releaseWaitSeconds ?? DEFAULTS.releaseWaitSeconds) * 1000;
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      if (!ExchangeError.isInstance(err) || err.code !== "ProxyAddressExists") throw err;
      const refused = [
        ...new Set(
          err.violations
            .filter((v) => v.code === "ProxyAddressExists" && v.address !== undefined)
            .map((v) => v.address!),
        ),
      ];
      if (refused.length === 0) throw err;
      const owners = await ctx.backend.ownersOf(refused);
      const held = refused.some((a) => {
        const owner = owners.get(addressKey(a));
        return owner !== undefined && owner.id.toLowerCase() !== live.id.toLowerCase();
      });
      if (held) throw err;
      const waited = Date.now() - started;
      const list = refused.map((a) => `"${a}"`).join(", ");
      if (waited >= boundMs) {
        // Name a holder Exchange's recipients do not show, if one has appeared since preview.
        const hidden = (await ctx.backend.hiddenHoldersOf?.(refused).catch(() => undefined)) ?? new Map();
        const holder = [...hidden.values()].find((o) => o.id.toLowerCase() !== live.id.toLowerCase());
        throw ctx.error(
          identity,
          `pending move: ${list} ${refused.length === 1 ? "is" : "are"} on no mailbox now: ${holder !== undefined ? `held by ${describeRecipient(holder)}` : "let go of by the mailbox it moves from, and Exchange has not freed it yet (the release lag)"}; ` +
            `this mailbox's write was refused for ${Math.round(waited / 1000)} s ("${err.violations.find((v) => v.code === "ProxyAddressExists")?.message ?? err.message}"), ` +
            `beyond the stack's releaseWaitSeconds (${boundMs / 1000}). Mail to ${list} bounces until the move is finished; nothing else of either mailbox changed`,
          `run \`pulumi up\` again to finish the move once Exchange frees the address (administrators report up to about an hour); to wait longer in one run, raise it: pulumi config set releaseWaitSeconds ${Math.max(boundMs / 1000, DEFAULTS.releaseWaitSeconds) * 2}`,
          refused[0],
        );
      }
      const delay = Math.min(RELEASE_RETRY_FIRST_MS * 2 ** (attempt - 1), RELEASE_RETRY_MAX_MS, boundMs - waited);
      // The engine shows a provider's stderr: the run says what it waits for.
      process.stderr.write(
        `mailbox-addresses: mailbox "${identity}": Exchange has not freed ${list} yet (the release lag after a move's giver let go of it); retrying in ${Math.ceil(delay / 1000)} s (waited ${Math.round(waited / 1000)} s of releaseWaitSeconds ${boundMs / 1000})\n`,
      );
      await new Promise((resolve) => setTimeout(resolve, delay));
      await assertEngineAlive();
    }
  }
}

/**
 * Writes the user principal name the spec asks for, after the addresses (the new UPN is usually
 * the new primary, which the mailbox then holds), and reads the mailbox back. Preview refuses what
 * Graph would (reconcile/upn.ts); a program of one's own may not have.
 */
async function withUpn(ctx: ProviderContext, inputs: MailboxAddressesInputs, live: LiveMailbox): Promise<Converged> {
  if (!changesUpn(inputs.upn, live.upn)) return { id: live.id, outs: outputsOf(inputs, live) };
  const capability = ctx.backend.capabilities.userPrincipalName;
  if (capability === undefined)
    throw ctx.error(
      inputs.identity,
      `userPrincipalName is set, but the ${ctx.backend.description} cannot write user principal names`,
      "remove userPrincipalName from the spec",
    );
  await assertEngineAlive();
  await capability.set(live.id, inputs.upn!);
  // Graph answered 204 to the PATCH: the mailbox now has that name (no read-back).
  return { id: live.id, outs: outputsOf(inputs, { ...live, upn: inputs.upn }) };
}

// The provider's methods, called by ./resource.ts (short names: each is written into the state).

/** Reads the stack's settings (the engine passes the whole stack config, secrets decrypted). */
export async function configure(config: { get(key: string): string | undefined }): Promise<void> {
  stopWhenEngineIsGone();
  // Keys are namespaced by the project (`mailbox-addresses:target`), whatever project uses the provider.
  const get = (key: string) => config.get(key.includes(":") ? key : `mailbox-addresses:${key}`);
  const reader: ConfigReader = {
    get,
    require: (key) => {
      const value = get(key);
      if (value === undefined) throw new Error(`missing setting ${key}: pulumi config set ${key} <value>`);
      return value;
    },
  };
  try {
    current = new ProviderContext(readSettings(reader));
  } catch (err) {
    // Thrown here, the engine would print it with its stack, then "not configured" per mailbox.
    if (!isExpectedError(err)) throw err;
    unconfigured = new MailboxAddressesError(describeExpected(err));
    unconfigured.name = err.name;
  }
}

/**
 * The inputs as `up` will leave the mailbox (core/plan/address-map.ts `addressMapAsWritten`): the
 * spelling the mailbox has for addresses it keeps, and a dropped MOERA (or, in additive mode, a
 * dropped alias) as the alias it stays. The engine diffs these against the state's inputs (the
 * live set after refresh), so `pulumi preview --diff` shows what the write does and nothing else.
 */
export async function check(
  olds: Partial<MailboxAddressesInputs> | undefined,
  news: MailboxAddressesInputs,
): Promise<{ inputs: MailboxAddressesInputs; failures: CheckFailure[] }> {
  const failures = checkMailboxInputs(news);
  if (
    failures.length > 0 ||
    olds?.addresses === undefined ||
    addressKey(olds.identity ?? "") !== addressKey(news.identity)
  )
    return { inputs: news, failures };
  const addresses = addressMapAsWritten(news.addresses, olds.addresses, {
    mode: news.mode,
    releases: Object.keys(news.releases ?? {}),
  });
  return { inputs: { ...news, addresses }, failures };
}

/**
 * No change when the mailbox's live list (in the state's outputs) already matches the spec.
 * Otherwise "unknown": the engine then diffs the old inputs (the live set, after refresh) with the
 * new ones key by key, which is what `preview --diff` and `--json` show, address by address
 * (dynamic providers cannot return a detailed diff themselves). When that generic diff would find
 * nothing (the state was not refreshed), report the change plainly.
 */
export async function diff(_id: string, olds: MailboxAddressesOutputs, news: MailboxAddressesInputs) {
  if (addressKey(olds.identity ?? "") !== addressKey(news.identity)) {
    return { changes: true, replaces: ["identity"], deleteBeforeReplace: true };
  }
  if (olds.addresses === undefined || olds.kept === undefined) return { changes: true }; // a state from before this shape
  // A run without a refresh (targeted) plans against what its program has just read, not the state.
  const live = current?.programLive(news.identity)?.addresses ?? liveListOf(olds);
  const changed =
    plan(news, live).changed ||
    (news.cloudManaged === true && !olds.cloudManaged) ||
    changesUpn(news.upn, liveUpnOf(olds));
  if (!changed) return { changes: false };
  // The state's inputs equal its outputs' live set after every create, update and refresh.
  return sameAddressMap(olds.addresses, news.addresses) ? { changes: true } : {};
}

/** A write after the store failed: the first failure said why and what to do; the rest say only that. */
async function writeOnce<T>(identity: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (toldOnce(err))
      throw new Error(
        `mailbox "${identity}": not written: the tenant cannot be used (the first error of this run says why and what to do)`,
        { cause: err },
      );
    throw err;
  }
}

// The mailbox as the spec's write left it: that list is also what the stack last applied, so the
// outputs hold no `applied` (recordOf: absent, it is the live list).
export async function create(inputs: MailboxAddressesInputs) {
  return writeOnce(inputs.identity, () => converge(inputs));
}

export async function update(_id: string, olds: MailboxAddressesOutputs, news: MailboxAddressesInputs) {
  const { outs } = await writeOnce(news.identity, () =>
    converge(news, olds.addresses && olds.kept ? liveListOf(olds) : undefined),
  );
  return { outs };
}

export async function read(
  id: string,
  props: MailboxAddressesOutputs | undefined,
): Promise<{ id?: string; props?: MailboxAddressesOutputs; inputs?: MailboxAddressesInputs }> {
  try {
    return await readMailbox(id, props);
  } catch (err) {
    if (toldOnce(err) && props !== undefined) return { id, props, inputs: inputsOf(props) };
    throw quiet(err);
  }
}

async function readMailbox(
  id: string,
  props: MailboxAddressesOutputs | undefined,
): Promise<{ id?: string; props?: MailboxAddressesOutputs; inputs?: MailboxAddressesInputs }> {
  if (props?.identity === undefined) {
    throw new Error(
      `mailbox ${id}: a mailbox is adopted by declaring it in the spec (\`pulumi up\` adopts it, writing nothing when it already matches), not by \`pulumi import\``,
    );
  }
  const ctx = context();
  const swept = await ctx.sweep();
  const fresh = swept?.has(props.identity) ? swept.get(props.identity) : await ctx.readLive(props.identity);
  // What differs from the state is confirmed from the source before it counts as drift.
  const recorded = props.addresses && props.kept ? liveListOf(props) : undefined;
  // What the stack last applied: the program tells the spec's changes from the tenant's by it
  // (core/plan/change-causes.ts). Never what an earlier refresh read: that would take a hand edit
  // for the spec's (issue 31: a refused `apply --plan`, a standalone `pulumi refresh`).
  const applied = recordOf(props);
  if (applied !== undefined) recordForProgram(ctx.settings.target, ctx.settings.spec, props.identity, applied);
  const live = await ctx.confirmInRefresh(
    props.identity,
    fresh,
    (mailbox) => recorded === undefined || !sameAddressList(mailbox.addresses, recorded),
  );
  if (live !== fresh) ctx.confirmedInSweep(props.identity, live);
  // No id tells the engine the mailbox is gone; refresh drops it from the state.
  if (live === undefined) return {};
  // What the tenant has, without the last run's move orchestration (releases, takeFrom): those
  // describe a change, not the mailbox, and would linger in later diffs.
  const { releases: _releases, takeFrom: _takeFrom, ...current } = inputsOf(props);
  const outputs = outputsOf(current, live);
  // The refresh reads `addresses` and `kept`; `applied` goes on as it was, unless the mailbox now
  // holds what the stack's spec asks (nothing to write: an `accept` merged, a hand edit undone),
  // which is then the record, as an apply that found nothing to write would have left it.
  const agreed = (await ctx.agreesWithSpec(props.identity, live.addresses)) || applied === undefined;
  return {
    id: live.id || id,
    props: agreed ? outputs : withApplied(outputs, applied),
    inputs: inputsOf(outputs),
  };
}
