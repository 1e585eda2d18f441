// Fault injection for the emulator, set at start or at run time (PUT /_emulator/faults): latency,
// 429 with Retry-After (at a rate, or from a token bucket shaped like Graph's), 503, dropped
// connections, and 429 on single items inside a Graph $batch.

/** Which part of the emulator a request belongs to. */
export type Surface = "identity" | "graph" | "exchange";

export interface FaultSettings {
  /** Added delay per request, picked uniformly between min and max milliseconds. */
  readonly latencyMs?: { readonly min: number; readonly max: number };
  /** Fraction of requests answered 429 with Retry-After. */
  readonly throttleRate?: number;
  /** Retry-After, in seconds, on injected 429s (may be fractional: "0.2"). */
  readonly retryAfterSeconds?: number;
  /** Fraction of requests answered 503 Service Unavailable. */
  readonly serverErrorRate?: number;
  /** Fraction of requests whose connection is dropped without an answer. */
  readonly dropRate?: number;
  /** Fraction of items inside a $batch answered 429 (the batch itself answers 200). */
  readonly batchItemThrottleRate?: number;
  /** A token bucket per surface: each request (and each $batch item) takes one token. */
  readonly tokenBucket?: TokenBucket;
  /**
   * A write budget shaped like Graph's write quota (3,000 writes per 2.5 min per app and tenant,
   * i.e. 20 per second): each Set-Mailbox takes a token; without one it is answered 429 with the
   * Retry-After of the next token. Reads are not charged.
   */
  readonly writeBudget?: TokenBucket;
  /**
   * Exchange → Graph propagation lag in milliseconds (default 0: Graph sees writes at once): Graph
   * shows a recipient as it was before any write made within the lag (./propagation.ts).
   */
  readonly graphPropagationLagMs?: number;
  /** Surfaces the faults apply to; default graph and exchange. */
  readonly surfaces?: readonly Surface[];
}

export interface TokenBucket {
  readonly capacity: number;
  readonly refillPerSecond: number;
}

export type FaultDecision =
  | { readonly kind: "none" }
  | { readonly kind: "throttle"; readonly retryAfterSeconds: number }
  | { readonly kind: "server-error" }
  | { readonly kind: "drop"; readonly afterApply: boolean };

/** Decides, request by request, which fault (if any) to inject. `random` is injectable for tests. */
export class FaultInjector {
  #settings: FaultSettings;
  readonly #buckets = new Map<Surface | "writes", { tokens: number; at: number }>();
  readonly #random: () => number;

  constructor(settings: FaultSettings = {}, random: () => number = Math.random) {
    this.#settings = settings;
    this.#random = random;
  }

  get settings(): FaultSettings {
    return this.#settings;
  }

  set settings(settings: FaultSettings) {
    this.#settings = settings;
    this.#buckets.clear();
  }

  #applies(surface: Surface): boolean {
    return (this.#settings.surfaces ?? ["graph", "exchange"]).includes(surface);
  }

  /** Milliseconds to wait before answering. */
  latency(surface: Surface): number {
    const latency = this.#settings.latencyMs;
    if (!latency || !this.#applies(surface)) return 0;
    return latency.min + this.#random() * Math.max(0, latency.max - latency.min);
  }

  /** Takes a token; undefined when there was one, else the seconds until the next one. */
  #takeToken(surface: Surface | "writes", bucket = this.#settings.tokenBucket): number | undefined {
    if (!bucket) return undefined;
    const nowMs = Date.now();
    const state = this.#buckets.get(surface) ?? { tokens: bucket.capacity, at: nowMs };
    state.tokens = Math.min(bucket.capacity, state.tokens + ((nowMs - state.at) / 1000) * bucket.refillPerSecond);
    state.at = nowMs;
    this.#buckets.set(surface, state);
    if (state.tokens >= 1) {
      state.tokens -= 1;
      return undefined;
    }
    return (1 - state.tokens) / bucket.refillPerSecond;
  }

  /** The fault for one request. `mutates` lets a drop happen after the change was applied. */
  decide(surface: Surface, mutates = false): FaultDecision {
    if (!this.#applies(surface)) return { kind: "none" };
    const s = this.#settings;
    const wait = this.#takeToken(surface) ?? (mutates ? this.#takeToken("writes", s.writeBudget) : undefined);
    if (wait !== undefined) return { kind: "throttle", retryAfterSeconds: Math.max(wait, s.retryAfterSeconds ?? 0) };
    const roll = this.#random();
    let edge = s.throttleRate ?? 0;
    if (roll < edge) return { kind: "throttle", retryAfterSeconds: s.retryAfterSeconds ?? 1 };
    edge += s.serverErrorRate ?? 0;
    if (roll < edge) return { kind: "server-error" };
    edge += s.dropRate ?? 0;
    // Half the drops of a write happen after it was applied: the client must read before rewriting.
    if (roll < edge) return { kind: "drop", afterApply: mutates && this.#random() < 0.5 };
    return { kind: "none" };
  }

  /** The fault for one item inside a $batch. */
  decideBatchItem(): FaultDecision {
    if (!this.#applies("graph")) return { kind: "none" };
    const wait = this.#takeToken("graph");
    if (wait !== undefined) return { kind: "throttle", retryAfterSeconds: Math.max(wait, this.#settings.retryAfterSeconds ?? 0) };
    if (this.#random() < (this.#settings.batchItemThrottleRate ?? 0)) {
      return { kind: "throttle", retryAfterSeconds: this.#settings.retryAfterSeconds ?? 1 };
    }
    return { kind: "none" };
  }
}

/** Request counters per endpoint, readable by tests and benchmarks (GET /_emulator/counters). */
export class Counters {
  readonly #counts = new Map<string, number>();

  add(name: string, by = 1): void {
    this.#counts.set(name, (this.#counts.get(name) ?? 0) + by);
  }

  get(name: string): number {
    return this.#counts.get(name) ?? 0;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.#counts].sort(([a], [b]) => a.localeCompare(b)));
  }

  reset(): void {
    this.#counts.clear();
  }
}
