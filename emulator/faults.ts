// Fault injection for the emulator, set at start or at run time (PUT /_emulator/faults): latency,
// 429 with Retry-After (at a rate, or from a token bucket shaped like Graph's), 503, dropped
// connections, and 429 on single items inside a Graph $batch.

import { didYouMean } from "../core/did-you-mean";
import { MailboxAddressesError } from "../core/errors";

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
   * shows a recipient as it was before any write made within the lag (./propagation.ts). A range
   * gives each write its own lag within it, as objects reach Graph at different times.
   */
  readonly graphPropagationLagMs?: number | LagRange;
  /**
   * Reads of Exchange served by a replica that has not seen a recent write (./propagation.ts):
   * for `windowMs` after a write, a Get- cmdlet answers the recipient as it was before that write,
   * on a `rate` share of reads. Default off.
   */
  readonly exchangeStaleReads?: { readonly windowMs: number; readonly rate: number };
  /**
   * Answer a $batch's items in reverse order (default false). Graph may answer a batch's items in
   * any order (json-batching: "the responses might appear in a different order"): clients must
   * match answers by id.
   */
  readonly batchOutOfOrder?: boolean;
  /**
   * The release lag, in milliseconds (the fault profile of issue 30): for so long after an address
   * is removed from a recipient, any other recipient's add of it is refused with Exchange's
   * "already being used" (administrators report about an hour: MicrosoftDocs/OfficeDocs-Support#46).
   * Set on the tenant (tenant/tenant.ts setAddressReleaseLagMs), where it stays; absent: the
   * tenant's own setting (its seed's `addressReleaseLagMs`, off by default) is left as it is.
   */
  readonly addressReleaseLagMs?: number;
  /** Surfaces the faults apply to; default graph and exchange. */
  readonly surfaces?: readonly Surface[];
}

export interface LagRange {
  readonly min: number;
  readonly max: number;
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

/**
 * A repeatable source of numbers in [0, 1) from a 32-bit seed (the mulberry32 generator): the same
 * seed rolls the same faults for the same sequence of requests, so a test's fault counts do not
 * change from one run to the next.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
    if (wait !== undefined)
      return { kind: "throttle", retryAfterSeconds: Math.max(wait, this.#settings.retryAfterSeconds ?? 0) };
    if (this.#random() < (this.#settings.batchItemThrottleRate ?? 0)) {
      return { kind: "throttle", retryAfterSeconds: this.#settings.retryAfterSeconds ?? 1 };
    }
    return { kind: "none" };
  }
}

/** A map as an object, its keys in order. */
function sorted<T>(map: ReadonlyMap<string, T>): Record<string, T> {
  return Object.fromEntries([...map].sort(([a], [b]) => a.localeCompare(b)));
}

/** What the counters counted, second by second since they were last reset (GET /_emulator/counters/timeline). */
export interface CounterTimeline {
  /** When the counters were last reset (epoch milliseconds): second 0 starts here. */
  readonly since: number;
  /** Per counter, how many it counted in each second since `since` (index: the second). */
  readonly perSecond: Readonly<Record<string, readonly number[]>>;
  /** Per counter, milliseconds from `since` to its first and to its last count. */
  readonly first: Readonly<Record<string, number>>;
  readonly last: Readonly<Record<string, number>>;
}

/**
 * Request counters per endpoint, readable by tests and benchmarks (GET /_emulator/counters), and
 * the same counts second by second (GET /_emulator/counters/timeline): when a run's first write
 * came, how many writes were applied each second, where the pauses were.
 */
export class Counters {
  readonly #counts = new Map<string, number>();
  readonly #perSecond = new Map<string, number[]>();
  readonly #first = new Map<string, number>();
  readonly #last = new Map<string, number>();
  readonly #now: () => number;
  #since: number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
    this.#since = now();
  }

  add(name: string, by = 1): void {
    this.#counts.set(name, (this.#counts.get(name) ?? 0) + by);
    const at = Math.max(0, this.#now() - this.#since);
    const second = Math.floor(at / 1000);
    let seconds = this.#perSecond.get(name);
    if (seconds === undefined) this.#perSecond.set(name, (seconds = []));
    while (seconds.length <= second) seconds.push(0);
    seconds[second]! += by;
    if (!this.#first.has(name)) this.#first.set(name, at);
    this.#last.set(name, at);
  }

  get(name: string): number {
    return this.#counts.get(name) ?? 0;
  }

  snapshot(): Record<string, number> {
    return sorted(this.#counts);
  }

  timeline(): CounterTimeline {
    return {
      since: this.#since,
      perSecond: sorted(this.#perSecond),
      first: sorted(this.#first),
      last: sorted(this.#last),
    };
  }

  reset(): void {
    this.#counts.clear();
    this.#perSecond.clear();
    this.#first.clear();
    this.#last.clear();
    this.#since = this.#now();
  }
}

/** Fault settings that cannot be used, each problem named. */
export class FaultSettingsError extends MailboxAddressesError {
  override readonly name = "FaultSettingsError";
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`fault settings refused:\n  ${problems.join("\n  ")}`);
    this.problems = problems;
  }
}

const RATES = ["throttleRate", "serverErrorRate", "dropRate", "batchItemThrottleRate"] as const;

/** Every fault setting with a line for `emulator --help` (the one list: parsing and help both read it). */
export const FAULT_SETTING_HELP: { readonly [K in keyof Required<FaultSettings>]: string } = {
  latencyMs: '{"min": ms, "max": ms}: added delay per request',
  throttleRate: "fraction of requests answered 429 with Retry-After",
  retryAfterSeconds: "Retry-After of injected 429s, seconds (fractions allowed)",
  serverErrorRate: "fraction of requests answered 503",
  dropRate: "fraction of requests whose connection drops (half of dropped writes applied first)",
  batchItemThrottleRate: "fraction of $batch items answered 429 inside a 200 batch",
  tokenBucket: '{"capacity": n, "refillPerSecond": r}: a request budget per surface',
  writeBudget: '{"capacity": n, "refillPerSecond": r}: a Set-* write budget (Graph-like 20/s)',
  graphPropagationLagMs:
    'ms Graph shows a recipient as it was before a write (Exchange to Graph lag); {"min": ms, "max": ms}: each write its own lag',
  exchangeStaleReads:
    '{"windowMs": ms, "rate": r}: for ms after a write, a share r of Exchange reads answer as before it (another replica)',
  addressReleaseLagMs:
    "ms an address removed from a recipient is still refused to any other (Exchange's release lag; set on the tenant)",
  batchOutOfOrder: "true: a $batch's items answered in reverse order",
  surfaces: 'where faults apply: ["identity", "graph", "exchange"] (default graph and exchange)',
};
const FAULT_KEYS = Object.keys(FAULT_SETTING_HELP) as (keyof FaultSettings)[];
const SURFACES: readonly Surface[] = ["identity", "graph", "exchange"];

/**
 * Parses and checks fault settings (JSON text, as `--faults` and PUT /_emulator/faults take
 * them): known keys only (with the closest one for a typo), rates between 0 and 1 that add up to
 * at most 1, non-negative times, buckets that refill. Throws FaultSettingsError with every problem.
 */
export function parseFaultSettings(text: string): FaultSettings {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new FaultSettingsError([
      `not JSON (${(err as Error).message}); e.g. '{"throttleRate":0.3,"retryAfterSeconds":1}'`,
    ]);
  }
  return checkFaultSettings(value);
}

/** Checks parsed fault settings (see parseFaultSettings); throws FaultSettingsError with every problem. */
export function checkFaultSettings(value: unknown): FaultSettings {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new FaultSettingsError(["must be a JSON object, e.g. '{\"throttleRate\":0.3}'"]);
  const settings = value as Record<string, unknown>;
  const problems: string[] = [];
  const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
  const object = (key: string, fields: Record<string, (v: number) => boolean>, want: string) => {
    const v = settings[key];
    if (v === undefined) return;
    if (typeof v !== "object" || v === null || Array.isArray(v))
      return problems.push(`${key} must be an object ${want}`);
    for (const field of Object.keys(v))
      if (!(field in fields))
        problems.push(`${key}.${field} is not a setting${didYouMean(field, Object.keys(fields))}; ${key} is ${want}`);
    for (const [field, ok] of Object.entries(fields)) {
      const n = (v as Record<string, unknown>)[field];
      if (!isNumber(n) || !ok(n)) problems.push(`${key}.${field} is ${JSON.stringify(n)}; ${key} is ${want}`);
    }
  };
  for (const key of Object.keys(settings)) {
    if (!(FAULT_KEYS as readonly string[]).includes(key))
      problems.push(
        `"${key}" is not a fault setting${didYouMean(key, FAULT_KEYS)}; the settings are: ${FAULT_KEYS.join(", ")}`,
      );
  }
  for (const key of RATES) {
    const v = settings[key];
    if (v !== undefined && (!isNumber(v) || v < 0 || v > 1))
      problems.push(`${key} is ${JSON.stringify(v)}; use a fraction of requests between 0 and 1`);
  }
  const total = (["throttleRate", "serverErrorRate", "dropRate"] as const).reduce(
    (sum, key) => sum + (isNumber(settings[key]) ? (settings[key] as number) : 0),
    0,
  );
  if (total > 1)
    problems.push(
      `throttleRate + serverErrorRate + dropRate is ${total}; together they are a share of requests, at most 1`,
    );
  const lag = settings.graphPropagationLagMs;
  if (lag !== undefined && !(isNumber(lag) && lag >= 0)) {
    if (typeof lag === "object" && lag !== null && !Array.isArray(lag)) {
      object(
        "graphPropagationLagMs",
        { min: (n) => n >= 0, max: (n) => n >= 0 },
        '{"min": ms, "max": ms} with 0 <= min <= max, or milliseconds',
      );
      const range = lag as { min?: unknown; max?: unknown };
      if (isNumber(range.min) && isNumber(range.max) && range.min > range.max)
        problems.push(`graphPropagationLagMs.min (${range.min}) is above graphPropagationLagMs.max (${range.max})`);
    } else
      problems.push(
        `graphPropagationLagMs is ${JSON.stringify(lag)}; use milliseconds, 0 or more, or {"min": ms, "max": ms}`,
      );
  }
  object(
    "exchangeStaleReads",
    { windowMs: (n) => n >= 0, rate: (n) => n >= 0 && n <= 1 },
    '{"windowMs": ms, "rate": a share of reads between 0 and 1}',
  );
  const outOfOrder = settings.batchOutOfOrder;
  if (outOfOrder !== undefined && typeof outOfOrder !== "boolean")
    problems.push(`batchOutOfOrder is ${JSON.stringify(outOfOrder)}; use true or false`);
  const release = settings.addressReleaseLagMs;
  if (release !== undefined && (!isNumber(release) || release < 0))
    problems.push(
      `addressReleaseLagMs is ${JSON.stringify(release)}; use milliseconds, 0 or more (0: an address removed is free at once)`,
    );
  const retryAfter = settings.retryAfterSeconds;
  if (retryAfter !== undefined && (!isNumber(retryAfter) || retryAfter < 0))
    problems.push(`retryAfterSeconds is ${JSON.stringify(retryAfter)}; use seconds, 0 or more (fractions allowed)`);
  object("latencyMs", { min: (n) => n >= 0, max: (n) => n >= 0 }, '{"min": ms, "max": ms} with 0 <= min <= max');
  const latency = settings.latencyMs as { min?: unknown; max?: unknown } | undefined;
  if (latency && isNumber(latency.min) && isNumber(latency.max) && latency.min > latency.max)
    problems.push(`latencyMs.min (${latency.min}) is above latencyMs.max (${latency.max})`);
  object(
    "tokenBucket",
    { capacity: (n) => n >= 1, refillPerSecond: (n) => n > 0 },
    '{"capacity": 1 or more, "refillPerSecond": above 0}',
  );
  object(
    "writeBudget",
    { capacity: (n) => n >= 1, refillPerSecond: (n) => n > 0 },
    '{"capacity": 1 or more, "refillPerSecond": above 0}',
  );
  const surfaces = settings.surfaces;
  if (surfaces !== undefined) {
    if (!Array.isArray(surfaces)) problems.push(`surfaces must be a list of ${SURFACES.join(", ")}`);
    else
      for (const s of surfaces)
        if (!SURFACES.includes(s as Surface))
          problems.push(
            `surfaces has ${JSON.stringify(s)}${didYouMean(String(s), SURFACES)}; use ${SURFACES.join(", ")}`,
          );
  }
  if (problems.length > 0) throw new FaultSettingsError(problems);
  return settings as FaultSettings;
}
