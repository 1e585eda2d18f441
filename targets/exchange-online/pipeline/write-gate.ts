// Paces Set-Mailbox calls across every resource the provider process serves, so a write budget
// (Graph's: 3,000 writes per 2.5 min per app and tenant) is used fully, fairly and without
// sending until refused:
//  - first come, first served: a writer that was throttled keeps its place at the head;
//  - one rate, in writes per second, shared by every concurrent write of the run. Unknown at
//    first (writes go as fast as maxConcurrency allows, using the budget's burst); the first 429
//    sets it just under the rate the service accepted, each later 429 cuts it by a tenth (once per
//    round: answers to writes sent before the last cut do not cut again, and not before twenty
//    successes since), and every success while writers wait raises it by a thousandth. A budget's rate is thus approached from below and
//    probed about once every hundred writes, instead of every other write (the scale benchmark
//    before: 2.0 Set-Mailbox requests per applied write, half of them answered 429);
//  - what the service says of its budget overrides the guess: remaining requests and seconds to
//    the reset (Rate-Limit-Remaining/Rate-Limit-Reset, which the Exchange admin API sends, or the
//    RateLimit-* names) set the rate to spread the rest evenly, none left holds every writer until
//    the reset; Graph's x-ms-throttle-limit-percentage from 0.9 on stops the growth and cuts
//    (docs/reference/exchange-online-addresses.md, throttling);
//  - nobody sends before the Retry-After of the last 429 has passed;
//  - the first guess is then measured: over the first second (and ten answers) of writes sent after
//    the first 429, if a tenth or more were 429s, the rate becomes just under what the service
//    accepted in that second, once. The first guess counts the burst a budget allows before it
//    throttles (at N = 1,000 under 20 a second with a burst of 20, up to twice the budget: cutting
//    a tenth per twenty successes then cost about a hundred 429s, 9.8% of the writes); and it is
//    never under ten writes a second, however few were accepted before the first 429 (a run's
//    first writes answered 429 at random set a pace of about one a second).
// Without it, writers throttled together retried together, and under a steady budget of 20 writes
// per second the unlucky ones ran out of attempts (the scale benchmark: 3 of 100 mailboxes).

export interface GateClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** Each later 429 keeps this much of the rate. */
const CUT = 0.9;
/**
 * Successes between two cuts: 429s that come whatever the pace (a service throttling at random,
 * the acceptance test's 30%) must not drive the rate to the floor; a budget overrun meanwhile
 * costs a few 429s more.
 */
const SUCCESSES_BETWEEN_CUTS = 20;
/** Each success while writers wait raises the rate by this fraction. */
const GROWTH = 0.001;
/** The slowest pace the gate keeps (writes per second): a budget is never below it. */
const MIN_RATE = 0.2;
/** Over how long the accepted rate is measured at the first 429. */
const MEASURE_MS = 1000;
/** x-ms-throttle-limit-percentage from which the rate stops growing and is cut. */
const NEAR_LIMIT = 0.9;
/** The first guess is measured over at least this long… */
const PERIOD_MS = 1000;
/** …and at least this many answers; nor is it below this many writes a second. */
const PERIOD_ANSWERS = 10;
/** The measurement sets the rate if at least this fraction of its answers were 429s. */
const MEASURED_FRACTION = 0.1;
/** The measured rate is this fraction of what the service accepted. */
const UNDER = 0.95;

const REAL_CLOCK: GateClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** How a write that held the gate ended: applied or refused ("done"), throttled, or unknown. */
export type WriteOutcome = "done" | "unknown" | { readonly throttledForMs: number };

/** What an answer said about the budget (any of them may be missing). */
export interface RateHint {
  /** Requests left in the current window. */
  readonly remaining?: number;
  /** Milliseconds until the window resets. */
  readonly resetMs?: number;
  /** How much of the limit is used, 0..1 (Graph's x-ms-throttle-limit-percentage). */
  readonly usedFraction?: number;
}

/** What the gate is doing now, for progress lines: why writers wait and how many. */
export interface GateState {
  /** Writers waiting for their turn. */
  readonly waiting: number;
  /** Milliseconds until anybody may send again (a Retry-After or a reset being waited out); 0 if none. */
  readonly heldForMs: number;
  /** The pace, writes per second; undefined while no budget has been met. */
  readonly rate: number | undefined;
  /** Writes admitted and not yet answered. */
  readonly inFlight: number;
  /** Writes asked for so far (tickets), and attempts admitted so far (each retry again). */
  readonly asked: number;
  readonly admitted: number;
}

export class WriteGate {
  readonly #max: number;
  readonly #clock: GateClock;
  #rate: number | undefined;
  /** When the last cut was made. */
  #lastCut = Number.NEGATIVE_INFINITY;
  /** Cuts so far: a 429 to a write sent before the last one says nothing new. */
  #round = 0;
  /** Successes since the last cut. */
  #sinceCut = 0;
  #nextStart = 0;
  #inFlight = 0;
  #until = 0;
  #timer = false;
  #nextTicket = 0;
  #admitted = 0;
  /** Answers to writes sent after the first 429, until the first guess is measured; "done" once it is. */
  #period: { start: number; accepted: number; throttled: number } | "done" | undefined;
  /** When recent writes were accepted (for the rate measured at the first 429). */
  readonly #accepted: number[] = [];
  /** Waiting writers, ordered by ticket (the time they first asked). */
  readonly #queue: { ticket: number; admit: () => void }[] = [];

  constructor(max: number, clock: GateClock = REAL_CLOCK) {
    this.#max = Math.max(1, max);
    this.#clock = clock;
  }

  /** Writes allowed in flight at once (the target's maxConcurrency). */
  get limit(): number {
    return this.#max;
  }

  /** The pace in writes per second; undefined until a budget has been met. */
  get rate(): number | undefined {
    return this.#rate;
  }

  get state(): GateState {
    return {
      waiting: this.#queue.length,
      heldForMs: Math.max(0, this.#until - this.#clock.now()),
      rate: this.#rate,
      inFlight: this.#inFlight,
      asked: this.#nextTicket,
      admitted: this.#admitted,
    };
  }

  /** A place in line for one write and all its retries. */
  ticket(): number {
    return this.#nextTicket++;
  }

  /** Waits for this ticket's turn; call `release` with the outcome (and what the answer said of the budget) once it is in. */
  async acquire(ticket: number): Promise<(outcome: WriteOutcome, hint?: RateHint) => void> {
    await new Promise<void>((admit) => {
      const at = this.#queue.findIndex((w) => w.ticket > ticket);
      this.#queue.splice(at < 0 ? this.#queue.length : at, 0, { ticket, admit });
      this.#pump();
    });
    const round = this.#round;
    const sent = this.#clock.now();
    let released = false;
    return (outcome, hint) => {
      if (released) return;
      released = true;
      this.#inFlight--;
      const now = this.#clock.now();
      if (outcome === "done") {
        this.#accepted.push(now);
        this.#sinceCut++;
        while (this.#accepted.length > 0 && this.#accepted[0]! < now - MEASURE_MS) this.#accepted.shift();
        if (this.#rate !== undefined && this.#queue.length > 0 && (hint?.usedFraction ?? 0) < NEAR_LIMIT)
          this.#rate *= 1 + GROWTH;
      } else if (outcome !== "unknown") {
        this.#until = Math.max(this.#until, now + outcome.throttledForMs);
        if (round === this.#round && (this.#rate === undefined || this.#sinceCut >= SUCCESSES_BETWEEN_CUTS))
          this.#cut(now);
      }
      if (hint !== undefined) this.#heed(hint, now);
      if (outcome !== "unknown") this.#measure(outcome === "done", sent, now);
      this.#pump();
    };
  }

  /** The first guess measured once (see the header): answers to writes sent after the first 429. */
  #measure(accepted: boolean, sent: number, now: number): void {
    if (this.#period === "done") return;
    if (this.#period === undefined) {
      if (!accepted) this.#period = { start: now, accepted: 0, throttled: 0 };
      return;
    }
    const period = this.#period;
    // Sent before the first 429 was known, at the first guess's pace or none.
    if (sent <= period.start) return;
    if (accepted) period.accepted++;
    else period.throttled++;
    const answers = period.accepted + period.throttled;
    if (now - period.start < PERIOD_MS || answers < PERIOD_ANSWERS || this.#rate === undefined) return;
    this.#period = "done";
    if (period.throttled / answers < MEASURED_FRACTION) return;
    this.#rate = Math.max(MIN_RATE, (UNDER * period.accepted) / ((now - period.start) / 1000));
    this.#lastCut = now;
    this.#round++;
    this.#sinceCut = 0;
  }

  #cut(now: number): void {
    this.#lastCut = now;
    this.#round++;
    this.#sinceCut = 0;
    // The first 429: just under what was accepted over the last second (the burst included).
    const measured =
      Math.max(this.#accepted.filter((t) => t >= now - MEASURE_MS).length, PERIOD_ANSWERS) / (MEASURE_MS / 1000);
    this.#rate = Math.max(MIN_RATE, (this.#rate ?? measured) * CUT);
    this.#nextStart = Math.max(this.#nextStart, this.#until);
  }

  /** The service's own word on its budget. */
  #heed(hint: RateHint, now: number): void {
    if (hint.remaining !== undefined && hint.resetMs !== undefined && hint.resetMs > 0) {
      // Spread what is left evenly until the reset; with nothing left, wait for it.
      if (hint.remaining <= 0) this.#until = Math.max(this.#until, now + hint.resetMs);
      else this.#rate = Math.max(MIN_RATE, hint.remaining / (hint.resetMs / 1000));
    }
    if (hint.usedFraction !== undefined && hint.usedFraction >= NEAR_LIMIT && now - this.#lastCut >= MEASURE_MS) {
      this.#lastCut = now;
      this.#round++;
      const measured = Math.max(this.#accepted.length, 1) / (MEASURE_MS / 1000);
      this.#rate = Math.max(MIN_RATE, (this.#rate ?? measured) * CUT);
    }
  }

  #pump(): void {
    while (this.#queue.length > 0 && this.#inFlight < this.#max) {
      const now = this.#clock.now();
      const wait = Math.max(this.#until, this.#rate === undefined ? 0 : this.#nextStart) - now;
      if (wait > 0) {
        if (!this.#timer) {
          this.#timer = true;
          void this.#clock.sleep(wait).then(() => {
            this.#timer = false;
            this.#pump();
          });
        }
        return;
      }
      if (this.#rate !== undefined) this.#nextStart = Math.max(this.#nextStart, now) + 1000 / this.#rate;
      this.#inFlight++;
      this.#admitted++;
      this.#queue.shift()!.admit();
    }
  }
}
