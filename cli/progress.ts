// Progress of a long command on stderr, drawn by cli-progress. On a terminal: one line of
// counters redrawn in place from the start ("read 1,200 mailboxes, 2 waits (3 s)"). Elsewhere (CI,
// a pipe): nothing for a short run, then a status line every few seconds, so a log shows the run
// is alive without being flooded. --quiet: nothing at all. A service's throttling is shown as it
// happens: which service, how long, how many wait (`throttled`, from the backend's onThrottle or
// from the provider's message in the engine's events, `fromEngine`).
import { SingleBar } from "cli-progress";
import { describeThrottle, type ThrottleWait } from "../targets/target-definition";

/** How long a throttling note stays on the line after its wait (the next one replaces it). */
const NOTE_AFTER_MS = 2000;

/** The provider's throttling message (providers/mailbox-addresses/throttle-report.ts) in an engine event, if it is one. */
export function throttleOf(event: {
  readonly diagnosticEvent?: { readonly message: string; readonly severity: string };
}): string | undefined {
  const d = event.diagnosticEvent;
  if (d === undefined || d.severity !== "info") return undefined;
  const message = d.message.trim();
  return / is throttling: waiting [\d.]+ s, [\d,]+ (?:writes?|reads?) waiting$/.test(message) ? message : undefined;
}

/** One counter: its value and how to say it ("12 mailboxes read"). */
interface Counter {
  value: number;
  readonly say: (value: number) => string;
}

export interface ProgressOptions {
  readonly quiet?: boolean;
  /** Default stderr. */
  readonly stream?: NodeJS.WriteStream;
  /** Seconds between status lines when the stream is not a terminal; default 5. */
  readonly statusEverySeconds?: number;
}

/** The interval of status lines outside a terminal: MAILBOX_ADDRESSES_STATUS_EVERY seconds, default 5. */
export function statusEverySeconds(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.MAILBOX_ADDRESSES_STATUS_EVERY);
  return Number.isFinite(value) && value > 0 ? value : 5;
}

export class Progress {
  readonly #title: string;
  readonly #counters = new Map<string, Counter>();
  readonly #bar: SingleBar | undefined;
  readonly #startedAt = Date.now();
  #shown = false;
  #delay: NodeJS.Timeout | undefined;
  /** The last throttling wait, shown until it has passed. */
  #note: { text: string; until: number } | undefined;

  constructor(title: string, options: ProgressOptions = {}) {
    this.#title = title;
    if (options.quiet) return;
    const stream = options.stream ?? process.stderr;
    const everyMs = (options.statusEverySeconds ?? statusEverySeconds()) * 1000;
    this.#bar = new SingleBar({
      stream,
      format: () => this.line(),
      // Outside a terminal cli-progress writes a full line each time instead of redrawing.
      noTTYOutput: true,
      notTTYSchedule: everyMs,
      fps: 10,
      hideCursor: false,
      linewrap: false,
      gracefulExit: true,
    });
    // On a terminal, drawn as soon as the caller has declared its counters (this tick).
    this.#delay = setTimeout(() => this.#show(), stream.isTTY ? 0 : everyMs);
    this.#delay.unref();
  }

  #show(): void {
    this.#shown = true;
    this.#bar!.start(0, 0);
  }

  /** Declares a counter, shown in declaration order. */
  counter(name: string, say: (value: number) => string): this {
    this.#counters.set(name, { value: 0, say });
    return this;
  }

  set(name: string, value: number): void {
    const counter = this.#counters.get(name);
    if (counter) counter.value = value;
    if (this.#shown) this.#bar!.update(0);
  }

  add(name: string, by = 1): void {
    this.set(name, (this.#counters.get(name)?.value ?? 0) + by);
  }

  get(name: string): number {
    return this.#counters.get(name)?.value ?? 0;
  }

  /** A service throttles: the line says which, how long and how many wait, until the wait is over. */
  throttled(wait: ThrottleWait): void {
    this.#noteFor(describeThrottle(wait), wait.waitMs);
  }

  /** An engine event (Automation API): the provider's throttling message goes on the line. */
  fromEngine(event: Parameters<typeof throttleOf>[0]): void {
    const text = throttleOf(event);
    if (text === undefined) return;
    const seconds = Number(/waiting ([\d.]+) s/.exec(text)?.[1] ?? 0);
    this.#noteFor(text, seconds * 1000);
  }

  #noteFor(text: string, waitMs: number): void {
    this.#note = { text, until: Date.now() + waitMs + NOTE_AFTER_MS };
    if (this.#shown) this.#bar!.update(0);
  }

  /** The status line: "drift: 120 mailboxes read, 2 waits (3 s) [4 s]"; a throttling wait in progress at the end. */
  line(): string {
    const parts = [...this.#counters.values()].filter((c, i) => i === 0 || c.value > 0).map((c) => c.say(c.value));
    const note = this.#note !== undefined && this.#note.until > Date.now() ? ` (${this.#note.text})` : "";
    return `${this.#title}: ${parts.join(", ")} [${Math.round((Date.now() - this.#startedAt) / 1000)} s]${note}`;
  }

  /** Draws the last state (when anything was shown) and ends the line. */
  stop(): void {
    if (this.#delay) clearTimeout(this.#delay);
    if (this.#shown) this.#bar!.stop();
    this.#shown = false;
  }
}

/** "1 mailbox" / "2 mailboxes", with thousands separated. */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;
}
