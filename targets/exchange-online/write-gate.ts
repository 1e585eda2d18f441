// Paces Set-Mailbox calls across every resource the provider process serves, so a write budget
// (Graph's: 3,000 writes per 2.5 min per app and tenant) is used fully and fairly:
//  - first come, first served: a writer that was throttled keeps its place at the head;
//  - an adaptive number of writes in flight: halved on each 429, grown by one after four times as
//    many successes as are allowed in flight (AIMD), between 1 and the target's maxConcurrency.
//    Growing after one window only made every other write probe the budget with a 429 (the scale
//    benchmark: 2.99 Set-Mailbox requests per applied write; with four windows, fewer);
//  - nobody sends before the Retry-After of the last 429 has passed.
// Without it, writers throttled together retried together, and under a steady budget of 20 writes
// per second the unlucky ones ran out of attempts (the scale benchmark: 3 of 100 mailboxes).

export interface GateClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** Windows of successes (as many as the limit) before the limit grows by one. */
const GROWTH_WINDOWS = 4;

const REAL_CLOCK: GateClock = { now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };

/** How a write that held the gate ended: applied or refused ("done"), throttled, or unknown. */
export type WriteOutcome = "done" | "unknown" | { readonly throttledForMs: number };

export class WriteGate {
  readonly #max: number;
  readonly #clock: GateClock;
  #limit: number;
  #credit = 0;
  #inFlight = 0;
  #until = 0;
  #timer = false;
  #nextTicket = 0;
  /** Waiting writers, ordered by ticket (the time they first asked). */
  readonly #queue: { ticket: number; admit: () => void }[] = [];

  constructor(max: number, clock: GateClock = REAL_CLOCK) {
    this.#max = Math.max(1, max);
    this.#limit = this.#max;
    this.#clock = clock;
  }

  /** Writes allowed in flight now. */
  get limit(): number {
    return this.#limit;
  }

  /** A place in line for one write and all its retries. */
  ticket(): number {
    return this.#nextTicket++;
  }

  /** Waits for this ticket's turn; call `release` with the outcome once the answer is in. */
  async acquire(ticket: number): Promise<(outcome: WriteOutcome) => void> {
    await new Promise<void>((admit) => {
      const at = this.#queue.findIndex((w) => w.ticket > ticket);
      this.#queue.splice(at < 0 ? this.#queue.length : at, 0, { ticket, admit });
      this.#pump();
    });
    let released = false;
    return (outcome) => {
      if (released) return;
      released = true;
      this.#inFlight--;
      if (outcome === "done") {
        this.#credit += 1 / (GROWTH_WINDOWS * this.#limit);
        if (this.#credit >= 1) {
          this.#credit = 0;
          this.#limit = Math.min(this.#max, this.#limit + 1);
        }
      } else if (outcome !== "unknown") {
        this.#credit = 0;
        this.#limit = Math.max(1, Math.floor(this.#limit / 2));
        this.#until = Math.max(this.#until, this.#clock.now() + outcome.throttledForMs);
      }
      this.#pump();
    };
  }

  #pump(): void {
    while (this.#queue.length > 0 && this.#inFlight < this.#limit) {
      const wait = this.#until - this.#clock.now();
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
      this.#inFlight++;
      this.#queue.shift()!.admit();
    }
  }
}
