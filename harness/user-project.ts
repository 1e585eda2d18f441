// A repository of one's own, outside this checkout, that depends on this package as a user's does:
// the package installed from `npm pack` of this checkout (built code only, no link back), the
// Pulumi CLI and the tool run from that folder (`pulumi …`, `npx mailbox-addresses …`), state in
// a folder of its own. Used by the tests of the layouts a user works in (test/e2e/user-layouts.test.ts).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { CommandResult } from "./pulumi-stack";
import { PROJECT_ROOT, requirePulumi } from "./pulumi-stack";
import { RUN_CHANNEL_VARIABLES } from "../runtime/run-channel";

/** The spec the tests of a repository of one's own start from: two mailboxes of the seeded tenant, one with an alias. */
export const TWO_MAILBOX_SPEC = `version: 1
allowedDomains: [contoso.com, fabrikam.com]
mailboxes:
  lee.chen@contoso.com:
    primary: lee.chen@contoso.com
    aliases: [lee.chen@fabrikam.com]
  priya.patel@contoso.com:
    primary: priya.patel@contoso.com
`;

let packed: { dir: string; tarball: string } | undefined;

/** `npm pack` of this checkout (its current build), once per test process. */
export function packThisCheckout(): string {
  if (packed === undefined) {
    const dir = mkdtempSync(path.join(os.tmpdir(), "mbx-pack-"));
    const result = spawnSync("npm", ["pack", "--ignore-scripts", "--pack-destination", dir, "--json"], {
      cwd: PROJECT_ROOT,
      encoding: "utf8",
    });
    assert.equal(result.status, 0, result.stderr);
    packed = { dir, tarball: path.join(dir, (JSON.parse(result.stdout) as { filename: string }[])[0]!.filename) };
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  }
  return packed.tarball;
}

/** This checkout's pinned @pulumi/pulumi, as a repository of one's own pins it. */
export function pinnedPulumiSdk(): string {
  return (
    JSON.parse(readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    }
  ).dependencies["@pulumi/pulumi"]!;
}

export class UserProject {
  readonly dir: string;
  readonly #env: NodeJS.ProcessEnv;

  /** A temp folder outside this checkout; `name` is the repository's folder inside it. */
  constructor(name: string) {
    requirePulumi();
    const parent = mkdtempSync(path.join(os.tmpdir(), `mbx-${name}-`));
    this.dir = path.join(parent, name);
    mkdirSync(this.dir);
    mkdirSync(path.join(parent, "state"));
    this.#env = {
      ...process.env,
      NO_COLOR: "1",
      PULUMI_BACKEND_URL: `file://${path.join(parent, "state")}`,
      PULUMI_CONFIG_PASSPHRASE: "",
      PULUMI_SKIP_UPDATE_CHECK: "true",
    };
    // Nothing of this checkout's own setup leaks in: the project is found from the folder.
    for (const key of ["MAILBOX_ADDRESSES_ROOT", "PULUMI_STACK", ...RUN_CHANNEL_VARIABLES]) delete this.#env[key];
  }

  /** Runs a command in the repository's folder, as a user at its shell would. */
  exec(file: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): CommandResult {
    const result = spawnSync(file, [...args], {
      cwd: this.dir,
      env: { ...this.#env, ...env },
      encoding: "utf8",
      timeout: 10 * 60 * 1000,
      maxBuffer: 256 * 1024 * 1024,
    });
    return {
      code: result.status ?? -1,
      stdout: result.stdout ?? "",
      stderr: result.stderr ?? "",
      output: `${result.stdout ?? ""}${result.stderr ?? ""}`,
    };
  }

  pulumi(args: readonly string[]): CommandResult {
    return this.exec("pulumi", [...args, "--non-interactive"]);
  }

  /** `npx mailbox-addresses <args>`: the installed package's bin. */
  tool(args: readonly string[]): CommandResult {
    return this.exec("npx", ["--no-install", "mailbox-addresses", ...args]);
  }

  write(file: string, text: string): void {
    mkdirSync(path.dirname(path.join(this.dir, file)), { recursive: true });
    writeFileSync(path.join(this.dir, file), text);
  }

  read(file: string): string {
    return readFileSync(path.join(this.dir, file), "utf8");
  }

  /** `npm install` from the local cache where it can (the registry otherwise). */
  install(): void {
    const result = this.exec("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"]);
    assert.equal(result.code, 0, result.output);
  }

  dispose(): void {
    rmSync(path.dirname(this.dir), { recursive: true, force: true });
  }
}
