// Drives the real `pulumi` binary on this project for end-to-end tests: one throwaway stack per
// test, in a temp project folder that links this project's build (dist/) and node_modules, with
// its own state backend, stack config, spec and local tenant, so tests never touch the checkout's
// own stacks and can run side by side. A missing pulumi fails the test; it never skips.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync,
  mkdirSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { Tenant } from "../tenant/tenant";
import { loadSeedFile } from "../tenant/load-seed";

export const PROJECT_ROOT = path.resolve(__dirname, "../..");

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr together, for assertions on what a user sees. */
  readonly output: string;
}

/** Finds pulumi on PATH (toolchain/setup.sh puts it there) or fails with what to do. */
/**
 * The engine's "Diagnostics:" section of a pulumi run's output, up to its "Resources:" summary
 * (empty when there is none): each diagnostic once, where the progress rows may repeat it.
 */
export function diagnosticsOf(output: string): string {
  const start = output.indexOf("\nDiagnostics:");
  if (start < 0) return "";
  const end = output.indexOf("\nResources:", start);
  return output.slice(start, end < 0 ? undefined : end);
}

export function requirePulumi(): string {
  const found = spawnSync("pulumi", ["version"], { encoding: "utf8" });
  assert.equal(
    found.status,
    0,
    "the pulumi CLI is not on PATH: run the tests through scripts/test, which builds or finds it",
  );
  return found.stdout.trim();
}

export class TestStack {
  readonly dir: string;
  readonly stack: string;
  readonly configFile: string;
  readonly specFile: string;
  readonly database: string;
  readonly #env: NodeJS.ProcessEnv;

  /**
   * `program` replaces the project's `main` (a path relative to this project, e.g. the
   * benchmarks' no-op program); the stack still links this project's dist/ and node_modules.
   */
  constructor(
    name: string,
    extraConfig: Record<string, string> = {},
    extraEnv: NodeJS.ProcessEnv = {},
    program?: string,
  ) {
    requirePulumi();
    this.dir = mkdtempSync(path.join(os.tmpdir(), `mbx-${name}-`));
    this.stack = `${name}-${path.basename(this.dir).slice(-6).toLowerCase()}`;
    this.configFile = path.join(this.dir, `Pulumi.${this.stack}.yaml`);
    this.specFile = path.join(this.dir, "mailboxes.yaml");
    this.database = path.join(this.dir, "tenant.sqlite");
    mkdirSync(path.join(this.dir, "state"));
    let project = readFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), "utf8").replace(/\nbackend:[\s\S]*$/, "\n");
    if (program !== undefined) project = project.replace(/\nmain: .*\n/, `\nmain: ${program}\n`);
    writeFileSync(path.join(this.dir, "Pulumi.yaml"), project);
    symlinkSync(path.join(PROJECT_ROOT, "dist"), path.join(this.dir, "dist"));
    symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(this.dir, "node_modules"));
    this.#env = {
      ...process.env,
      PULUMI_BACKEND_URL: `file://${path.join(this.dir, "state")}`,
      PULUMI_CONFIG_PASSPHRASE: "",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      MAILBOX_ADDRESSES_LANGUAGE_HOST: path.join(PROJECT_ROOT, "toolchain", "pulumi-language-nodejs.js"),
      NO_COLOR: "1",
      ...extraEnv,
    };
    this.run(["stack", "init", this.stack], { check: true });
    const config = { spec: this.specFile, target: "local", localDatabase: this.database, ...extraConfig };
    appendFileSync(
      this.configFile,
      `config:\n${Object.entries(config)
        .map(([k, v]) => `  mailbox-addresses:${k}: ${JSON.stringify(v)}`)
        .join("\n")}\n`,
    );
  }

  /** The command line, folder and environment of `pulumi <args>` for this stack. */
  command(
    args: readonly string[],
    env: NodeJS.ProcessEnv = {},
  ): { file: string; args: string[]; cwd: string; env: NodeJS.ProcessEnv } {
    const full =
      args[0] === "stack" && args[1] === "init" ? [...args] : [...args, "--stack", this.stack, "--non-interactive"];
    return { file: "pulumi", args: full, cwd: this.dir, env: { ...this.#env, ...env } };
  }

  /** Runs `pulumi <args>` for this stack; `check` asserts success. */
  run(args: readonly string[], options: { check?: boolean; env?: NodeJS.ProcessEnv } = {}): CommandResult {
    const { file, args: full, cwd, env } = this.command(args, options.env);
    const result = spawnSync(file, full, {
      cwd,
      env,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
      timeout: 10 * 60 * 1000,
    });
    const out = {
      code: result.status ?? -1,
      stdout: result.stdout ?? "",
      stderr: result.stderr ?? "",
      output: `${result.stdout ?? ""}${result.stderr ?? ""}`,
    };
    if (options.check) assert.equal(out.code, 0, `pulumi ${full.join(" ")} failed:\n${out.output}`);
    return out;
  }

  /** Runs `mailbox-addresses <args>` in this stack's project, with the stack's environment. */
  cli(args: readonly string[], env: NodeJS.ProcessEnv = {}): CommandResult {
    const stackFlag =
      ["export", "drift", "plan", "accept"].includes(args[0]!) && !args.includes("--stack")
        ? ["--stack", this.stack]
        : [];
    const result = spawnSync(
      process.execPath,
      [path.join(PROJECT_ROOT, "bin/mailbox-addresses.js"), ...args, ...stackFlag],
      {
        cwd: this.dir,
        env: { ...this.#env, ...env },
        encoding: "utf8",
        maxBuffer: 256 * 1024 * 1024,
        timeout: 10 * 60 * 1000,
      },
    );
    return {
      code: result.status ?? -1,
      stdout: result.stdout ?? "",
      stderr: result.stderr ?? "",
      output: `${result.stdout ?? ""}${result.stderr ?? ""}`,
    };
  }

  up(...extra: string[]): CommandResult {
    return this.run(["up", "--yes", "--skip-preview", ...extra]);
  }

  preview(...extra: string[]): CommandResult {
    return this.run(["preview", ...extra]);
  }

  writeSpec(text: string): void {
    writeFileSync(this.specFile, text);
  }

  /** Seeds this stack's local tenant from the shipped fixture. */
  seedTenant(): void {
    Tenant.withFile(this.database, (tenant) => tenant.seed(loadSeedFile()));
  }

  /** Opens this stack's local tenant (close it after use: tests share the file with pulumi). */
  withTenant<T>(work: (tenant: Tenant) => T): T {
    return Tenant.withFile(this.database, work);
  }

  /** The stack's state file, as JSON. */
  state(): {
    checkpoint: {
      latest?: {
        resources?: {
          type: string;
          id?: string;
          urn: string;
          inputs?: Record<string, unknown>;
          outputs?: Record<string, unknown>;
        }[];
      };
    };
  } {
    return JSON.parse(this.stateText());
  }

  /** The stack's state file, as text (to look for what must not be there). */
  stateText(): string {
    return readFileSync(this.stateFile, "utf8");
  }

  get stateFile(): string {
    return path.join(this.dir, "state", ".pulumi", "stacks", "mailbox-addresses", `${this.stack}.json`);
  }

  /**
   * The processes still running for this stack (pid and command line): every process of a run
   * inherits the stack's state backend URL, whatever process group the engine put it in.
   */
  processes(): string[] {
    const found: string[] = [];
    for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)) {
      try {
        if (
          !readFileSync(`/proc/${pid}/environ`, "utf8")
            .split("\0")
            .includes(`PULUMI_BACKEND_URL=file://${path.join(this.dir, "state")}`)
        )
          continue;
        found.push(`${pid} ${readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim()}`);
      } catch {
        // gone meanwhile, or not ours to read
      }
    }
    return found;
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
