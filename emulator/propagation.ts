// Reads that lag behind writes, as the real services' can.
// - Exchange → Graph: Exchange Online dual-writes address changes to Entra, and Graph shows them
//   "close to immediate" but with no SLA (docs/reference/exchange-online-addresses.md §3). With a
//   lag set, a recipient written within its lag shows in Graph the list it had before its oldest
//   such write; with a range, each write gets its own lag in it (derived from the write, so a
//   read is repeatable). Every kind Graph shows (users, groups, contacts) lags alike.
// - Exchange's own replicas: a Get- cmdlet may be answered by a replica that has not seen the
//   latest write yet (the module's clients pin a mailbox with X-AnchorMailbox for that reason).
//   With `exchangeStaleReads`, for `windowMs` after a write a share of reads answer as before it.
import { createHash } from "node:crypto";
import type { DirectoryHolder, ListOptions, Recipient, Tenant, WriteRecord } from "../tenant/tenant";
import type { LagRange } from "./faults";
import type { GraphUserSource } from "./graph-endpoint";

/** The lag of one write: the setting, or a point in its range picked from the write itself. */
export function lagOfWrite(
  lag: number | LagRange | undefined,
  write: Pick<WriteRecord, "recipientId" | "seq">,
): number {
  if (lag === undefined) return 0;
  if (typeof lag === "number") return lag;
  const spread = Math.max(0, lag.max - lag.min);
  const draw = createHash("sha1").update(`${write.recipientId}:${write.seq}`).digest().readUInt32BE(0) / 0x1_0000_0000;
  return lag.min + Math.round(draw * spread);
}

export class LaggedGraphView implements GraphUserSource {
  readonly #tenant: Tenant;
  readonly #lag: () => number | LagRange | undefined;

  constructor(tenant: Tenant, lag: () => number | LagRange | undefined) {
    this.#tenant = tenant;
    this.#lag = lag;
  }

  /** The recipient as Graph shows it now: before its oldest write still within that write's lag. */
  #asSeen(r: Recipient): Recipient {
    const lag = this.#lag();
    if (lag === undefined || lag === 0) return r;
    const now = Date.now();
    const unseen = this.#tenant.writes(r.id).find((w) => Date.parse(w.at) + lagOfWrite(lag, w) > now);
    return unseen === undefined ? r : { ...r, addresses: unseen.before };
  }

  find(identity: string): Recipient | undefined {
    const found = this.#tenant.find(identity);
    return found && this.#asSeen(found);
  }

  list(options: ListOptions): Recipient[] {
    return this.#tenant.list(options).map((r) => this.#asSeen(r));
  }

  /** Holders are not written through Exchange: Graph shows them as they are. */
  holders(kinds: readonly DirectoryHolder["kind"][]): DirectoryHolder[] {
    return this.#tenant.holders(kinds);
  }
}

/** Exchange's reads as a replica behind the latest write may answer them (see the top of this file). */
export class StaleExchangeReads {
  readonly #tenant: Tenant;
  readonly #settings: () => { readonly windowMs: number; readonly rate: number } | undefined;
  readonly #random: () => number;

  constructor(
    tenant: Tenant,
    settings: () => { readonly windowMs: number; readonly rate: number } | undefined,
    random: () => number = Math.random,
  ) {
    this.#tenant = tenant;
    this.#settings = settings;
    this.#random = random;
  }

  /** The recipient as this read sees it: before its latest write, when that write is recent and the replica is behind. */
  asRead(r: Recipient): Recipient {
    const stale = this.#settings();
    if (stale === undefined || stale.windowMs <= 0 || stale.rate <= 0) return r;
    const latest = this.#tenant.writes(r.id).at(-1);
    if (latest === undefined || Date.parse(latest.at) + stale.windowMs <= Date.now()) return r;
    return this.#random() < stale.rate ? { ...r, addresses: latest.before } : r;
  }
}
