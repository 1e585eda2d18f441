// Planning across mailboxes: plans every mailbox, finds addresses that move from one managed
// mailbox to another, and orders the writes so each removal lands before its add. A cycle (two
// mailboxes swapping addresses) is broken by a release: one mailbox first lets go of what it gives
// away (the taker's write does that first, see TakeFrom in the provider), the others take it, then
// that mailbox takes what it receives. Pure.
import { addressKey, formatSmtp, isMicrosoftRoutingAddress, parseProxyAddress, primaryOf } from "../address";
import { planMailbox, type DesiredAddresses, type MailboxPlan } from "./plan-mailbox";

/** One managed mailbox: what the spec wants and what it holds now. */
export interface MailboxInput {
  readonly identity: string;
  readonly desired: DesiredAddresses;
  /** The live EmailAddresses; undefined when the mailbox was not found. */
  readonly live: readonly string[] | undefined;
}

/** An address that leaves one managed mailbox for another in this change. */
export interface Move {
  readonly address: string;
  readonly from: string;
  readonly to: string;
}

/**
 * A first write to a mailbox in a cycle: it drops the addresses it gives away (taking a
 * temporary primary if its primary is among them), so the other mailboxes can take them.
 */
export interface Release {
  readonly identity: string;
  /** The addresses let go of, as live spelled them. */
  readonly addresses: readonly string[];
  /** The EmailAddresses list the release writes. */
  readonly list: readonly string[];
}

/** A cycle that cannot be broken: the mailbox would be left without any address to be primary. */
export interface UnbreakableCycle {
  readonly identities: readonly string[];
  readonly identity: string;
  readonly message: string;
}

/** Every mailbox's plan, the moves between them, and the order to write in. */
export interface ChangePlan {
  readonly plans: ReadonlyMap<string, MailboxPlan>;
  readonly moves: readonly Move[];
  /** identity → the identities whose writes must land first. */
  readonly dependsOn: ReadonlyMap<string, readonly string[]>;
  /** identity → the mailboxes this one makes release their addresses before its own write. */
  readonly dependsOnRelease: ReadonlyMap<string, readonly string[]>;
  /** Releases, one per mailbox chosen to break a cycle. */
  readonly releases: ReadonlyMap<string, Release>;
  readonly problems: readonly UnbreakableCycle[];
}

/**
 * Plans the mailboxes of a spec (each entry is its own desired state) against what the tenant
 * holds: `live(identity)` gives the live EmailAddresses, undefined when not found.
 */
export function planEntries(
  entries: readonly (DesiredAddresses & { readonly identity: string })[],
  live: (identity: string) => readonly string[] | undefined,
): ChangePlan {
  return planChanges(
    entries.map((entry) => ({ identity: entry.identity, desired: entry, live: live(entry.identity) })),
  );
}

/** Plans all mailboxes together. Input order decides ties, so the result is deterministic. */
export function planChanges(inputs: readonly MailboxInput[]): ChangePlan {
  // Who claims each address in the spec, and who holds it now (among managed mailboxes).
  const claimedBy = new Map<string, string>();
  for (const input of inputs) {
    for (const address of [input.desired.primary, ...input.desired.aliases])
      claimedBy.set(addressKey(address), input.identity);
  }
  const plans = new Map<string, MailboxPlan>();
  const moves: Move[] = [];
  for (const input of inputs) {
    if (input.live === undefined) continue;
    const releaseTo = new Map<string, string>();
    for (const entry of input.live) {
      const parsed = parseProxyAddress(entry);
      if (parsed.kind !== "smtp") continue;
      const claimant = claimedBy.get(addressKey(parsed.value));
      if (claimant !== undefined && claimant !== input.identity) {
        releaseTo.set(addressKey(parsed.value), claimant);
        moves.push({ address: parsed.value, from: input.identity, to: claimant });
      }
    }
    plans.set(input.identity, planMailbox(input.desired, input.live, { releaseTo }));
  }

  // Edges giver → taker for every move; a taker's write waits for its givers'.
  const order = inputs.map((i) => i.identity);
  const gives = new Map<string, Set<string>>(order.map((id) => [id, new Set<string>()]));
  for (const move of moves) {
    if (plans.has(move.to)) gives.get(move.from)!.add(move.to);
  }

  const released = new Set<string>();
  const problems: UnbreakableCycle[] = [];
  for (;;) {
    const cycle = stronglyConnected(order, gives).find((component) => component.length > 1);
    if (cycle === undefined) break;
    // Break the cycle at the first mailbox (in spec order) that can release.
    const candidates = order.filter((id) => cycle.includes(id) && !released.has(id));
    const chosen = candidates.find(
      (id) =>
        releaseList(
          inputs.find((i) => i.identity === id)!,
          moves,
        ) !== undefined,
    );
    if (chosen === undefined) {
      const first = candidates[0] ?? cycle[0]!;
      problems.push({
        identities: cycle,
        identity: first,
        message: `the mailboxes ${cycle.map((c) => `"${c}"`).join(", ")} exchange addresses in a cycle, and none of them has another address to keep as primary while the others take theirs. Split the change: first give one of them a new primary (or add an alias to keep), apply, then make the exchange`,
      });
      for (const id of cycle) gives.get(id)!.clear();
      continue;
    }
    released.add(chosen);
    gives.set(chosen, new Set());
  }

  const dependsOn = new Map<string, string[]>();
  const dependsOnRelease = new Map<string, string[]>();
  const releases = new Map<string, Release>();
  for (const id of released) {
    const input = inputs.find((i) => i.identity === id)!;
    releases.set(id, releaseList(input, moves)!);
  }
  for (const move of moves) {
    if (!plans.has(move.to)) continue;
    const target = released.has(move.from) ? dependsOnRelease : dependsOn;
    const list = target.get(move.to) ?? [];
    if (!list.includes(move.from)) list.push(move.from);
    target.set(move.to, list);
  }
  return { plans, moves, dependsOn, dependsOnRelease, releases, problems };
}

function releaseList(input: MailboxInput, moves: readonly Move[]): Release | undefined {
  const giving = moves.filter((m) => m.from === input.identity).map((m) => m.address);
  return planRelease(input.identity, input.desired, input.live ?? [], giving);
}

/**
 * The list a release writes: the live list without the addresses the mailbox gives away. When
 * its primary goes, the spec's primary (if already on the mailbox), else a listed alias, else its
 * routing address becomes primary meanwhile. Undefined when nothing would change, or when nothing
 * could be primary.
 */
export function planRelease(
  identity: string,
  desired: DesiredAddresses,
  live: readonly string[],
  giving: readonly string[],
): Release | undefined {
  const givingKeys = new Set(giving.map(addressKey));
  const isGiven = (entry: string) => {
    const parsed = parseProxyAddress(entry);
    return parsed.kind === "smtp" && givingKeys.has(addressKey(parsed.value));
  };
  const kept = live.filter((entry) => !isGiven(entry));
  const addresses = live.filter(isGiven).map((entry) => parseProxyAddress(entry).value);
  if (addresses.length === 0) return undefined;
  const primary = primaryOf(live);
  if (primary !== undefined && !givingKeys.has(addressKey(primary))) return { identity, addresses, list: kept };

  const keptSmtp = kept
    .map(parseProxyAddress)
    .filter((p) => p.kind === "smtp")
    .map((p) => p.value);
  const wantedPrimary = keptSmtp.find((a) => addressKey(a) === addressKey(desired.primary));
  const listedAlias = keptSmtp.find((a) => desired.aliases.some((alias) => addressKey(alias) === addressKey(a)));
  const routing = keptSmtp.find(isMicrosoftRoutingAddress);
  const temporary = wantedPrimary ?? listedAlias ?? routing ?? keptSmtp[0];
  if (temporary === undefined) return undefined;
  const list = kept.map((entry) => {
    const parsed = parseProxyAddress(entry);
    if (parsed.kind !== "smtp") return entry;
    return formatSmtp(parsed.value, addressKey(parsed.value) === addressKey(temporary));
  });
  return { identity, addresses, list };
}

/** Tarjan's strongly connected components, iterative, in a deterministic order. */
function stronglyConnected(nodes: readonly string[], edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  for (const root of nodes) {
    if (index.has(root)) continue;
    const work: { node: string; next: string[] }[] = [];
    const enter = (node: string) => {
      index.set(node, counter);
      low.set(node, counter);
      counter++;
      stack.push(node);
      onStack.add(node);
      work.push({ node, next: [...(edges.get(node) ?? [])] });
    };
    enter(root);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const child = frame.next.shift();
      if (child !== undefined) {
        if (!index.has(child)) enter(child);
        else if (onStack.has(child)) low.set(frame.node, Math.min(low.get(frame.node)!, index.get(child)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === index.get(frame.node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        components.push(component);
      }
    }
  }
  return components;
}

/**
 * The mailboxes in an order where every giver comes before its takers, so a Pulumi program can
 * name them in dependsOn. Linear in mailboxes and dependencies; `dependsOn` is acyclic (the planner
 * breaks cycles with a release), and a cycle here is a bug.
 */
export function declarationOrder<T extends { readonly identity: string }>(
  mailboxes: readonly T[],
  dependsOn: ReadonlyMap<string, readonly string[]>,
): T[] {
  const unmet = new Map(mailboxes.map((m) => [m.identity, (dependsOn.get(m.identity) ?? []).length]));
  const takers = new Map<string, T[]>();
  for (const m of mailboxes) {
    for (const giver of dependsOn.get(m.identity) ?? []) {
      const list = takers.get(giver) ?? [];
      list.push(m);
      takers.set(giver, list);
    }
  }
  const order = mailboxes.filter((m) => unmet.get(m.identity) === 0);
  for (let i = 0; i < order.length; i++) {
    for (const taker of takers.get(order[i]!.identity) ?? []) {
      const left = unmet.get(taker.identity)! - 1;
      unmet.set(taker.identity, left);
      if (left === 0) order.push(taker);
    }
  }
  if (order.length !== mailboxes.length)
    throw new Error("declarationOrder: the dependencies between mailboxes form a cycle");
  return order;
}
