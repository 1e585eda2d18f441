// Renders the scale benchmark's results as the Markdown of docs/benchmarks.md: the tables, the
// machine, and the command that produced them.
import { execFileSync } from "node:child_process";
import os from "node:os";
import { EXCHANGE_ONLINE_DEFAULTS } from "../../targets/exchange-online/target";

export interface BenchOptions {
  readonly sizes: readonly number[];
  readonly targets: readonly ("local" | "emulator")[];
  /** Set-Mailbox calls per second the emulator allows (token bucket, burst of one second). */
  readonly writeBudget: number;
  /** Latency added to every Graph and Exchange request of the emulator. */
  readonly latencyMs: number;
  /** `--parallel` for pulumi up; empty: the engine's default. */
  readonly parallel: string;
  /** The exchange-online target's maxConcurrency (requests in flight per process); empty: its default. */
  readonly maxConcurrency: string;
  /** Whether the no-op provider runs too. */
  readonly floor: boolean;
  /** Sizes at which adoption also runs with the file backend's checkpoints on. */
  readonly checkpointSizes: readonly number[];
  readonly out: string;
  readonly command: string;
  /**
   * A build of another checkout (its folder) whose emulator runs go beside ours, same sizes, same
   * run: the "before" of a before/after comparison; `baselineLabel` names it (a commit).
   */
  readonly baseline?: string | undefined;
  readonly baselineLabel?: string | undefined;
}

/** HTTP requests the emulator counted during one command. */
export interface Requests {
  readonly total: number;
  readonly graph: number;
  readonly exchange: number;
  readonly tokens: number;
  readonly setMailbox: number;
  readonly applied: number;
  readonly throttled: number;
  /** Every counter the emulator kept (per route, cmdlet and status), for finding where requests go. */
  readonly counters?: Readonly<Record<string, number>> | undefined;
}

/** One measured command. */
export interface Run {
  readonly seconds: number;
  readonly providerMb?: number | undefined;
  readonly programMb?: number | undefined;
  readonly engineMb?: number | undefined;
  readonly requests?: Requests | undefined;
}

export interface TargetResult {
  /** "before": the emulator runs of the baseline checkout (BenchOptions.baseline). */
  readonly target: "no-op" | "local" | "emulator" | "before";
  readonly adopt: Run;
  readonly adoptWithCheckpoints?: Run | undefined;
  readonly preview: Run;
  readonly previewRefresh: Run;
  readonly refresh: Run;
  readonly previewChanged: Run;
  readonly upChanged: Run;
  readonly export?: Run | undefined;
  readonly drift?: Run | undefined;
  readonly stateBytes: number;
  readonly bytesPerMailbox: number;
  readonly providerBytesPerMailbox: number;
}

export interface SizeResult {
  readonly count: number;
  readonly targets: readonly TargetResult[];
}

const OPERATIONS = [
  ["adopt", "`up`, adopting N mailboxes (no writes)"],
  ["preview", "`preview`, no changes"],
  ["previewRefresh", "`preview --refresh`, no changes"],
  ["refresh", "`refresh`"],
  ["previewChanged", "`preview`, every mailbox changed"],
  ["upChanged", "`up`, every mailbox changed"],
] as const;

const s = (seconds: number | undefined) => (seconds === undefined ? "—" : seconds.toFixed(1));
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined || b === 0 ? "—" : `${(a / b).toFixed(2)}×`;
const n = (value: number) => value.toLocaleString("en-US");
const row = (cells: readonly (string | number)[]) => `| ${cells.join(" | ")} |`;

function pulumiVersion(): string {
  try {
    return execFileSync("pulumi", ["version"], { encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

export function renderBenchmarks(sizes: readonly SizeResult[], options: BenchOptions): string {
  const out: string[] = [];
  const get = (size: SizeResult, target: TargetResult["target"]) => size.targets.find((t) => t.target === target);
  const cpus = os.cpus();
  out.push(
    "# Benchmarks",
    "",
    "Measured by the scale benchmark (`bench/scale/`), every column of a table in the same run, one command after the other on the same machine. Regenerate with:",
    "",
    "```",
    options.command,
    "```",
    "",
    `Machine: ${cpus.length} × ${cpus[0]?.model ?? "CPU"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB; Node ${process.version}; pulumi ${pulumiVersion()}; file state backend. ` +
      `Emulator: write budget ${options.writeBudget} Set-Mailbox/s (token bucket, burst ${options.writeBudget}), added latency ${options.latencyMs} ms. ` +
      `\`--parallel\`: ${options.parallel || process.env.PULUMI_PARALLEL || "the engine's default (4 × CPUs)"}; maxConcurrency: ${options.maxConcurrency || `the default (${EXCHANGE_ONLINE_DEFAULTS.maxConcurrency})`}. \`up\` and \`refresh\` run with \`PULUMI_SKIP_CHECKPOINTS=true\` (see [Checkpoints](#checkpoints)).`,
    "",
    "Tenants: the shipped Contoso seed plus N generated user mailboxes; the spec names the N mailboxes as they are, then rebrands all of them (primary to @fabrikam.com, the old address kept as an alias).",
    "",
    "## Time against the engine's floor",
    "",
    "Seconds of wall time; the ratio is ours over the no-op `pulumi.dynamic` provider (same N, same inputs, no I/O).",
    "",
    row(["N", "command", "no-op provider", ...options.targets.flatMap((t) => [t, "ratio"])]),
    row(["--:", ":--", "--:", ...options.targets.flatMap(() => ["--:", "--:"])]),
  );
  for (const size of sizes) {
    const noop = get(size, "no-op");
    for (const [key, label] of OPERATIONS) {
      const cells = options.targets.flatMap((t) => {
        const value = get(size, t)?.[key].seconds;
        return [s(value), ratio(value, noop?.[key].seconds)];
      });
      out.push(row([n(size.count), label, s(noop?.[key].seconds), ...cells]));
    }
  }

  if (options.targets.includes("emulator")) {
    out.push(
      "",
      "## `up` of N changed mailboxes under the write budget (emulator)",
      "",
      `The floor is N / budget = N / ${options.writeBudget} s. Requests are HTTP requests the emulator answered (429s included).`,
      "",
      row([
        "N",
        "wall s",
        "N / budget s",
        "ratio",
        "Set-Mailbox requests per changed mailbox",
        "applied per changed mailbox",
        "429 answers",
        "all requests",
      ]),
      row(["--:", "--:", "--:", "--:", "--:", "--:", "--:", "--:"]),
    );
    for (const size of sizes) {
      const em = get(size, "emulator");
      if (!em) continue;
      const r = em.upChanged.requests!;
      const floor = size.count / options.writeBudget;
      out.push(
        row([
          n(size.count),
          s(em.upChanged.seconds),
          s(floor),
          ratio(em.upChanged.seconds, floor),
          (r.setMailbox / size.count).toFixed(2),
          (r.applied / size.count).toFixed(2),
          n(r.throttled),
          n(r.total),
        ]),
      );
    }
    out.push(
      "",
      "## HTTP requests for reads (emulator)",
      "",
      "All requests of the command (Graph, Exchange admin API, tokens); the target is ceil(N/20) plus a small constant below 500 mailboxes, ceil(N/999) plus a small constant from 500 on (paged listings, as `drift`).",
      "",
      row([
        "N",
        "ceil(N/20)",
        "`preview`",
        "`refresh`",
        "`preview --refresh`",
        "`preview`, every mailbox changed",
        "requests per mailbox read (`refresh`)",
        "`up`, every mailbox changed, per mailbox",
      ]),
      row(["--:", "--:", "--:", "--:", "--:", "--:", "--:", "--:"]),
    );
    for (const size of sizes) {
      const em = get(size, "emulator");
      if (!em) continue;
      const req = (run: Run) => n(run.requests?.total ?? 0);
      const perMailbox = (run: Run) => ((run.requests?.total ?? 0) / size.count).toFixed(3);
      out.push(
        row([
          n(size.count),
          n(Math.ceil(size.count / 20)),
          req(em.preview),
          req(em.refresh),
          req(em.previewRefresh),
          req(em.previewChanged),
          perMailbox(em.refresh),
          ((em.upChanged.requests?.total ?? 0) / size.count).toFixed(2),
        ]),
      );
    }
    const before = sizes.filter((size) => get(size, "before") !== undefined && get(size, "emulator") !== undefined);
    if (before.length > 0) {
      out.push(
        "",
        "## Requests per phase, before / after (emulator)",
        "",
        `HTTP requests the emulator answered per command (Graph, Exchange admin API, tokens; 429s included), “before” being ${options.baselineLabel ?? "the baseline"} and “after” this checkout, one after the other in the same run. For \`up\`: also the 429 answers and the wall time against the write budget's floor (N / ${options.writeBudget} s).`,
        "",
        row(["N", "command", "before", "after", "after ÷ before", "before 429s", "after 429s", "before s", "after s"]),
        row(["--:", ":--", "--:", "--:", "--:", "--:", "--:", "--:", "--:"]),
      );
      for (const size of before) {
        const [b, a] = [get(size, "before")!, get(size, "emulator")!];
        for (const [key, label] of OPERATIONS) {
          const [rb, ra] = [b[key].requests, a[key].requests];
          const up = key === "upChanged";
          out.push(
            row([
              n(size.count),
              label,
              n(rb?.total ?? 0),
              n(ra?.total ?? 0),
              ratio(ra?.total, rb?.total),
              up ? n(rb?.throttled ?? 0) : "",
              up ? n(ra?.throttled ?? 0) : "",
              s(b[key].seconds),
              s(a[key].seconds),
            ]),
          );
        }
        for (const key of ["export", "drift"] as const) {
          const [rb, ra] = [b[key]?.requests, a[key]?.requests];
          if (rb && ra)
            out.push(
              row([
                n(size.count),
                `\`${key}\``,
                n(rb.total),
                n(ra.total),
                ratio(ra.total, rb.total),
                "",
                "",
                s(b[key]?.seconds),
                s(a[key]?.seconds),
              ]),
            );
        }
      }
    }
    out.push(
      "",
      "## `export` and `drift` (emulator, no added latency)",
      "",
      row(["N", "`export` s", "requests", "`drift` s", "requests"]),
      row(["--:", "--:", "--:", "--:", "--:"]),
    );
    for (const size of sizes) {
      const em = get(size, "emulator");
      if (!em?.export || !em.drift) continue;
      out.push(
        row([
          n(size.count),
          s(em.export.seconds),
          n(em.export.requests?.total ?? 0),
          s(em.drift.seconds),
          n(em.drift.requests?.total ?? 0),
        ]),
      );
    }
  }

  out.push(
    "",
    "## State and memory",
    "",
    "State after the last `up`; `__provider` counts both copies Pulumi keeps per resource (inputs and outputs). Peak RSS is the highest over all commands of that column.",
    "",
    row([
      "N",
      "provider",
      "state bytes",
      "bytes per mailbox",
      "`__provider` bytes per mailbox",
      "provider process peak MB",
      "program peak MB",
      "engine peak MB",
    ]),
    row(["--:", ":--", "--:", "--:", "--:", "--:", "--:", "--:"]),
  );
  for (const size of sizes) {
    for (const t of size.targets) {
      const runs = [t.adopt, t.preview, t.previewRefresh, t.refresh, t.previewChanged, t.upChanged];
      const peak = (pick: (r: Run) => number | undefined) =>
        String(Math.max(0, ...runs.map((r) => pick(r) ?? 0)) || "—");
      out.push(
        row([
          n(size.count),
          t.target,
          n(t.stateBytes),
          n(t.bytesPerMailbox),
          n(t.providerBytesPerMailbox),
          peak((r) => r.providerMb),
          peak((r) => r.programMb),
          peak((r) => r.engineMb),
        ]),
      );
    }
  }

  const withCheckpoints = sizes.flatMap((size) =>
    size.targets.filter((t) => t.adoptWithCheckpoints).map((t) => ({ size, t })),
  );
  if (withCheckpoints.length > 0) {
    out.push(
      "",
      "## Checkpoints",
      "",
      "The same adoption into an empty state, with the file backend's checkpoints (the engine's default) and with `PULUMI_SKIP_CHECKPOINTS=true`.",
      "",
      row(["N", "provider", "checkpoints on, s", "skipped, s", "ratio"]),
      row(["--:", ":--", "--:", "--:", "--:"]),
    );
    for (const { size, t } of withCheckpoints)
      out.push(
        row([
          n(size.count),
          t.target,
          s(t.adoptWithCheckpoints!.seconds),
          s(t.adopt.seconds),
          ratio(t.adoptWithCheckpoints!.seconds, t.adopt.seconds),
        ]),
      );
  }
  return `${out.join("\n")}\n`;
}
