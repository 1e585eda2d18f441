// The state a targeted plan reads from the file backend's checkpoint (cli/stack-checkpoint.ts) is
// the deployment the real `pulumi stack export` prints, in every layout the real pulumi writes:
// plain, gzip and zstd (PULUMI_DIY_BACKEND_GZIP / _ZSTD, and the older PULUMI_SELF_MANAGED_STATE_GZIP),
// the legacy layout without projects, a backend named by Pulumi.yaml (a relative path) or by the
// login in PULUMI_HOME, and a compression switched back. Each state is written by `pulumi stack
// import` of one deployment holding a secret output, which pulumi encrypts: the read must need no
// passphrase and give what the export gives, ciphertext and all.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { exportState, readState } from "../../cli/engine-run";
import { RESOURCE_TYPE, STACK_TYPE } from "../../cli/resource-urn";
import { locateCheckpoint, readCheckpoint } from "../../cli/stack-checkpoint";
import { anything } from "../../core/json-check";
import { requirePulumi } from "../../harness/pulumi-stack";

const dir = mkdtempSync(path.join(os.tmpdir(), "mbx-state-checkpoint-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The variables each case sets; the rest of the environment is this process's. */
const VARIABLES = [
  "PULUMI_BACKEND_URL",
  "PULUMI_HOME",
  "PULUMI_DIY_BACKEND_GZIP",
  "PULUMI_SELF_MANAGED_STATE_GZIP",
  "PULUMI_DIY_BACKEND_ZSTD",
  "PULUMI_DIY_BACKEND_LEGACY_LAYOUT",
  "PULUMI_DIY_BACKEND_IGNORE_DEPRECATION_ERROR",
];
const saved = Object.fromEntries(VARIABLES.map((v) => [v, process.env[v]]));
after(() => {
  for (const [v, value] of Object.entries(saved))
    if (value === undefined) delete process.env[v];
    else process.env[v] = value;
});

const urnOf = (type: string, name: string) => `urn:pulumi:dev::proj::${type}::${name}`;

/** The stack's deployment (its manifest and secrets provider) with the stack and a mailbox with a secret output (pulumi encrypts it on import). */
function deployment(base: object, version: string) {
  const stack = urnOf(STACK_TYPE, "proj-dev");
  return {
    ...base,
    resources: [
      { urn: stack, custom: false, type: STACK_TYPE, outputs: { spec: "mailboxes.yaml", version } },
      {
        urn: urnOf(RESOURCE_TYPE, "ada@contoso.com"),
        custom: true,
        id: "0b1c",
        type: RESOURCE_TYPE,
        parent: stack,
        inputs: {
          identity: "ada@contoso.com",
          addresses: { "ada@contoso.com": "SMTP:ada@contoso.com" },
          mode: "strict",
        },
        outputs: {
          identity: "ada@contoso.com",
          objectId: "0b1c",
          addresses: { "ada@contoso.com": "SMTP:ada@contoso.com" },
          applied: ["SMTP:ada@contoso.com"],
          token: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", plaintext: '"s3cret"' },
        },
      },
    ],
  };
}

let n = 0;
/** A project `proj` in a folder of its own; `backend` written into its Pulumi.yaml when given. */
function project(backend?: string): string {
  const root = path.join(dir, `p${++n}`);
  mkdirSync(root);
  writeFileSync(
    path.join(root, "Pulumi.yaml"),
    `name: proj\nruntime: nodejs\n${backend ? `backend:\n  url: ${backend}\n` : ""}`,
  );
  return root;
}

/** A backend's folder (pulumi creates what is inside it, not the folder). */
function folder(name: string): string {
  const backend = path.join(dir, name);
  mkdirSync(backend, { recursive: true });
  return backend;
}

/** Sets the case's variables (only those), as the user's shell would. */
function environment(env: Record<string, string>): void {
  for (const v of VARIABLES) delete process.env[v];
  Object.assign(process.env, env);
}

/** `pulumi <args>` in `root` with this process's environment; must succeed. What it printed. */
function pulumi(root: string, ...args: string[]): string {
  const ran = spawnSync("pulumi", [...args, "--non-interactive"], {
    cwd: root,
    env: { ...process.env, PULUMI_CONFIG_PASSPHRASE: "", PULUMI_SKIP_UPDATE_CHECK: "true" },
    encoding: "utf8",
  });
  assert.equal(ran.status, 0, `pulumi ${args.join(" ")}:\n${ran.stdout}${ran.stderr}`);
  return ran.stdout;
}

/** Imports a deployment into stack dev (created first when `init`). */
function importState(root: string, version: string, init = true): void {
  if (init) pulumi(root, "stack", "init", "dev");
  const { deployment: base } = JSON.parse(pulumi(root, "stack", "export", "--stack", "dev")) as { deployment: object };
  const file = path.join(root, `import-${version}.json`);
  writeFileSync(file, JSON.stringify({ version: 3, deployment: deployment(base, version) }));
  pulumi(root, "stack", "import", "--file", file, "--stack", "dev");
}

/** The file read, relative to `backend`; and that readState gives what `pulumi stack export` prints. */
async function readsAsExported(root: string, backend: string): Promise<string> {
  const place = await locateCheckpoint(root, "dev");
  const read = await readCheckpoint(place, "dev", root, anything);
  assert.ok("deployment" in read, `not read from the file: ${"unread" in read ? read.unread : ""}`);
  const exported = await exportState({ root, stack: "dev" });
  assert.deepEqual(await readState({ root, stack: "dev" }), exported);
  // The secret stays encrypted, as the export (without --show-secrets) leaves it.
  const mailbox = exported.resources?.find((r) => r.type === RESOURCE_TYPE);
  assert.match(JSON.stringify(mailbox?.outputs?.token), /"ciphertext":"v1:/);
  assert.doesNotMatch(JSON.stringify(exported), /s3cret/);
  return path.relative(backend, read.file);
}

describe("the checkpoint read is what `pulumi stack export` prints, in every layout pulumi writes", () => {
  requirePulumi();

  it("PULUMI_BACKEND_URL, project layout: plain, then gzip, then zstd, then plain again (the newest file)", async () => {
    const backend = folder("b-project");
    const root = project();
    environment({ PULUMI_BACKEND_URL: `file://${backend}` });
    importState(root, "plain");
    assert.equal(await readsAsExported(root, backend), ".pulumi/stacks/proj/dev.json");
    environment({ PULUMI_BACKEND_URL: `file://${backend}`, PULUMI_DIY_BACKEND_GZIP: "true" });
    importState(root, "gzip", false);
    assert.equal(await readsAsExported(root, backend), ".pulumi/stacks/proj/dev.json.gz");
    environment({ PULUMI_BACKEND_URL: `file://${backend}`, PULUMI_DIY_BACKEND_ZSTD: "true" });
    importState(root, "zstd", false);
    assert.equal(await readsAsExported(root, backend), ".pulumi/stacks/proj/dev.json.zst");
    environment({ PULUMI_BACKEND_URL: `file://${backend}` });
    importState(root, "plain again", false);
    assert.equal(await readsAsExported(root, backend), ".pulumi/stacks/proj/dev.json");
    const state = await readState({ root, stack: "dev" });
    assert.equal(state.resources?.[0]?.outputs?.version, "plain again");
  });

  it("PULUMI_SELF_MANAGED_STATE_GZIP (the older name), a stack named organization/proj/dev", async () => {
    const backend = folder("b-older-name");
    const root = project();
    environment({ PULUMI_BACKEND_URL: `file://${backend}`, PULUMI_SELF_MANAGED_STATE_GZIP: "true" });
    importState(root, "gzip");
    assert.equal(await readsAsExported(root, backend), ".pulumi/stacks/proj/dev.json.gz");
    const qualified = { root, stack: "organization/proj/dev" };
    assert.deepEqual(await readState(qualified), await exportState(qualified));
  });

  it("the legacy layout (no projects, no meta.yaml)", async () => {
    const backend = folder("b-legacy");
    const root = project();
    environment({
      PULUMI_BACKEND_URL: `file://${backend}`,
      PULUMI_DIY_BACKEND_LEGACY_LAYOUT: "true",
      PULUMI_DIY_BACKEND_IGNORE_DEPRECATION_ERROR: "true",
    });
    importState(root, "legacy");
    assert.ok(!readdirSync(path.join(backend, ".pulumi")).includes("meta.yaml"));
    assert.equal(await readsAsExported(root, backend), ".pulumi/stacks/dev.json");
  });

  it("the backend in Pulumi.yaml (a path relative to the project), and the login in PULUMI_HOME", async () => {
    const root = project("file://./state");
    mkdirSync(path.join(root, "state"));
    // No login anywhere: the project's backend decides, as for pulumi.
    environment({ PULUMI_HOME: path.join(dir, "no-login") });
    importState(root, "project backend");
    assert.equal(await readsAsExported(root, path.join(root, "state")), ".pulumi/stacks/proj/dev.json");

    const home = path.join(dir, "home");
    const backend = folder("b-login");
    const other = project();
    environment({ PULUMI_HOME: home });
    pulumi(other, "login", `file://${backend}`);
    importState(other, "login");
    assert.equal(await readsAsExported(other, backend), ".pulumi/stacks/proj/dev.json");
  });
});
