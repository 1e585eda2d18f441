// Exchange → Graph propagation lag. Exchange Online dual-writes address changes to Entra, and
// Graph shows them "close to immediate" but with no SLA (docs/reference/exchange-online-
// addresses.md §3). With a lag set, Graph answers from the tenant as it was `lagMs` ago: a
// recipient written within the lag shows the list it had before its oldest such write. Exchange
// itself (InvokeCommand) always answers with the current state. Every kind Graph shows (users,
// groups, contacts) lags alike.
import type { DirectoryHolder, ListOptions, Recipient, Tenant } from "../tenant/tenant";
import type { GraphUserSource } from "./graph-endpoint";

export class LaggedGraphView implements GraphUserSource {
  readonly #tenant: Tenant;
  readonly #lagMs: () => number;

  constructor(tenant: Tenant, lagMs: () => number) {
    this.#tenant = tenant;
    this.#lagMs = lagMs;
  }

  /** The recipient as Graph shows it now. */
  #asSeen(r: Recipient): Recipient {
    const lag = this.#lagMs();
    if (lag <= 0) return r;
    const since = new Date(Date.now() - lag).toISOString();
    const recent = this.#tenant.writes(r.id).find((w) => w.at > since);
    return recent === undefined ? r : { ...r, addresses: recent.before };
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
