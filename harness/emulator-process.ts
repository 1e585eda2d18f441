// Runs the emulator as its own process, as a user runs it (`mailbox-addresses emulator`), for
// tests that block while pulumi runs: an emulator inside the test process could not answer then.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { CounterTimeline, FaultSettings } from "../emulator/faults";
import { Tenant } from "../tenant/tenant";
import { stackConfigForEndpoints } from "../targets/exchange-online/target";
import { PROJECT_ROOT } from "./pulumi-stack";

export class EmulatorProcess {
  readonly url: string;
  readonly stateDir: string;
  readonly #child: ChildProcess;
  readonly #secrets: { clientId: string; clientSecret: string; serverCert: string };

  private constructor(url: string, stateDir: string, child: ChildProcess) {
    this.url = url;
    this.stateDir = stateDir;
    this.#child = child;
    this.#secrets = JSON.parse(readFileSync(path.join(stateDir, "secrets.json"), "utf8"));
  }

  /** `options.args`: more command-line options (a directory to sync); `options.env`: more environment (its bind account). */
  static async start(
    faults: FaultSettings = {},
    options: { args?: readonly string[]; env?: NodeJS.ProcessEnv; seedFile?: string } = {},
  ): Promise<EmulatorProcess> {
    const secrets = process.env.MAILBOX_ADDRESSES_TEST_SECRETS;
    assert.ok(
      secrets && process.env.NODE_EXTRA_CA_CERTS,
      "run the tests through scripts/test: it prepares the emulator's certificate",
    );
    const stateDir = mkdtempSync(path.join(os.tmpdir(), "mbx-emulator-"));
    copyFileSync(path.join(secrets, "secrets.json"), path.join(stateDir, "secrets.json"));
    const child = spawn(
      process.execPath,
      [
        path.join(PROJECT_ROOT, "bin/mailbox-addresses.js"),
        "emulator",
        "--port",
        "0",
        "--state-dir",
        stateDir,
        "--faults",
        JSON.stringify(faults),
        ...(options.seedFile ? ["--seed", options.seedFile] : []),
        ...(options.args ?? []),
      ],
      {
        stdio: ["ignore", "pipe", "inherit"],
        env: { ...process.env, ...options.env },
      },
    );
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const match = /listening on (https:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (match) resolve(match[1]!);
      });
      child.once("exit", (code) => reject(new Error(`the emulator exited (${code}) before listening:\n${out}`)));
    });
    child.stdout!.resume();
    return new EmulatorProcess(url, stateDir, child);
  }

  get tenantDatabase(): string {
    return path.join(this.stateDir, "tenant.sqlite");
  }

  /** Opens the emulator's tenant database (shared with the emulator process through SQLite). */
  withTenant<T>(work: (tenant: Tenant) => T): T {
    return Tenant.withFile(this.tenantDatabase, work);
  }

  /** The control plane's token, which the emulator writes to its state folder. */
  get controlToken(): string {
    return readFileSync(path.join(this.stateDir, "control-token"), "utf8").trim();
  }

  get clientSecret(): string {
    return this.#secrets.clientSecret;
  }

  /** Environment for a client process (pulumi and the provider it starts). */
  environment(): Record<string, string> {
    return {
      NODE_EXTRA_CA_CERTS: path.join(this.stateDir, "emulator-ca.pem"),
      AZURE_CLIENT_SECRET: this.#secrets.clientSecret,
    };
  }

  stackConfig(): Record<string, string> {
    const tenantId = this.withTenant((t) => t.info().id);
    return stackConfigForEndpoints({
      tenantId,
      clientId: this.#secrets.clientId,
      authorityHost: this.url,
      graphBaseUrl: this.url,
      exchangeBaseUrl: this.url,
    });
  }

  /** A control request; retried once, since a kept-alive socket may have been closed meanwhile. */
  async #control(pathname: string, init: RequestInit = {}): Promise<unknown> {
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await fetch(`${this.url}${pathname}`, {
          ...init,
          headers: {
            ...(init.headers as Record<string, string> | undefined),
            authorization: `Bearer ${this.controlToken}`,
          },
        });
        return await response.json();
      } catch (err) {
        if (attempt >= 3) throw err;
      }
    }
  }

  async counters(): Promise<Record<string, number>> {
    return (await this.#control("/_emulator/counters")) as Record<string, number>;
  }

  /** The counters second by second since the last reset (emulator/faults.ts CounterTimeline). */
  async timeline(): Promise<CounterTimeline> {
    return (await this.#control("/_emulator/counters/timeline")) as CounterTimeline;
  }

  async resetCounters(): Promise<void> {
    await this.#control("/_emulator/counters/reset", { method: "POST" });
  }

  async setFaults(faults: FaultSettings): Promise<void> {
    await this.#control("/_emulator/faults", { method: "PUT", body: JSON.stringify(faults) });
  }

  /** POST /_emulator/sync: one directory sync cycle; its report. */
  async sync(): Promise<{
    read: number;
    matched: number;
    exported: number;
    errors: { upn?: string; message: string }[];
  }> {
    return (await this.#control("/_emulator/sync", { method: "POST" })) as {
      read: number;
      matched: number;
      exported: number;
      errors: { upn?: string; message: string }[];
    };
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.#child.once("exit", resolve));
    this.#child.kill("SIGTERM");
    await exited;
    rmSync(this.stateDir, { recursive: true, force: true });
  }
}
