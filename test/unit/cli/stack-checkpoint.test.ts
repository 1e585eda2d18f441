// The state read from the file backend's checkpoint (cli/stack-checkpoint.ts, through
// cli/engine-run.ts readState): in each layout Pulumi writes (project folders with meta.yaml
// version 1, the legacy one without it; plain, gzip and zstd, the newest of the three), the same
// deployment `pulumi stack export` would print. What it cannot be sure of goes to a stand-in
// `pulumi stack export` on PATH (whose output shows it was asked); a checkpoint there and not of
// its shape is an expected error naming the file, never skipped and never exported around.
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { after, before, describe, it } from "node:test";
import { readState } from "../../../cli/engine-run";
import { CheckpointFileError, locateCheckpoint, readCheckpoint } from "../../../cli/stack-checkpoint";
import { anything } from "../../../core/json-check";
import { RESOURCE_TYPE, STACK_TYPE } from "../../../cli/resource-urn";
import { isExpectedError } from "../../../core/errors";
import { fileBackendRoot, userHome } from "../../../runtime/stack-ownership";

const MAILBOX = {
  urn: `urn:pulumi:dev::proj::${RESOURCE_TYPE}::ada@contoso.com`,
  type: RESOURCE_TYPE,
  inputs: { identity: "ada@contoso.com", addresses: { "ada@contoso.com": "SMTP:ada@contoso.com" }, mode: "strict" },
  outputs: {
    objectId: "0b1c",
    addresses: { "ada@contoso.com": "SMTP:ada@contoso.com" },
    // A secret output stays encrypted in the file, as the export leaves it: nothing the CLI reads.
    note: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: "v1:abc" },
  },
};
const STACK = { urn: "urn:pulumi:dev::proj::pulumi:pulumi:Stack::proj-dev", type: STACK_TYPE, outputs: {} };
/** What the stand-in `pulumi stack export` prints: told apart from every file's deployment. */
const EXPORTED = { resources: [{ urn: "from-the-export", type: "t" }] };

const deploymentOf = (...resources: object[]) => ({ manifest: { version: "v3.260.0" }, resources });
const checkpoint = (stack: string, latest: unknown, version = 3, extra: object = {}) =>
  JSON.stringify({ version, ...extra, checkpoint: { stack, latest } });

describe("the state read from a file backend's checkpoint", () => {
  let dir: string;
  let savedPath: string | undefined;
  let savedBackend: string | undefined;
  let n = 0;

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "mbx-checkpoint-"));
    mkdirSync(path.join(dir, "bin"));
    // The stand-in for every case the file is not read: it prints EXPORTED as `stack export` does.
    writeFileSync(path.join(dir, "export.json"), JSON.stringify({ version: 3, deployment: EXPORTED }));
    writeFileSync(path.join(dir, "bin", "pulumi"), `#!/bin/sh\ncat "${dir}/export.json"\n`);
    chmodSync(path.join(dir, "bin", "pulumi"), 0o755);
    savedPath = process.env.PATH;
    savedBackend = process.env.PULUMI_BACKEND_URL;
    process.env.PATH = `${path.join(dir, "bin")}${path.delimiter}${process.env.PATH}`;
  });
  after(() => {
    process.env.PATH = savedPath;
    if (savedBackend === undefined) delete process.env.PULUMI_BACKEND_URL;
    else process.env.PULUMI_BACKEND_URL = savedBackend;
    rmSync(dir, { recursive: true, force: true });
  });

  /** A project `proj` with a file backend of its own (PULUMI_BACKEND_URL), `meta.yaml` as given. */
  const world = (meta: string | null = "version: 1\n") => {
    const root = path.join(dir, `world-${++n}`);
    const backend = path.join(root, "state");
    mkdirSync(path.join(backend, ".pulumi", "stacks", "proj"), { recursive: true });
    writeFileSync(path.join(root, "Pulumi.yaml"), "name: proj\nruntime: nodejs\n");
    if (meta !== null) writeFileSync(path.join(backend, ".pulumi", "meta.yaml"), meta);
    process.env.PULUMI_BACKEND_URL = `file://${backend}`;
    const stacks = path.join(backend, ".pulumi", "stacks");
    return { root, stacks, projectFile: (name: string) => path.join(stacks, "proj", name) };
  };

  it("project layout: the checkpoint's `latest`, as the export's `deployment`, encrypted secrets and all", async () => {
    const { root, projectFile } = world();
    const latest = deploymentOf(STACK, MAILBOX);
    writeFileSync(projectFile("dev.json"), checkpoint("organization/proj/dev", latest));
    assert.deepEqual(await readState({ root, stack: "dev" }), latest);
    // The same file under the stack's qualified names.
    assert.deepEqual(await readState({ root, stack: "organization/dev" }), latest);
    assert.deepEqual(await readState({ root, stack: "organization/proj/dev" }), latest);
    // Another project's stack of that name is not this one.
    assert.deepEqual(await readState({ root, stack: "organization/other/dev" }), EXPORTED);
    assert.deepEqual(await readState({ root, stack: "acme/dev" }), EXPORTED);
  });

  it("gzip and zstd: the most recently written of .json, .json.gz, .json.zst, told by its first bytes", async () => {
    const { root, projectFile } = world();
    const at = (file: string, seconds: number) => utimesSync(file, seconds, seconds);
    const plain = deploymentOf(STACK);
    const gzipped = deploymentOf(STACK, MAILBOX);
    const zstd = deploymentOf(MAILBOX);
    writeFileSync(projectFile("dev.json"), checkpoint("organization/proj/dev", plain));
    writeFileSync(projectFile("dev.json.gz"), zlib.gzipSync(checkpoint("organization/proj/dev", gzipped)));
    at(projectFile("dev.json"), 1000);
    at(projectFile("dev.json.gz"), 2000);
    assert.deepEqual(await readState({ root, stack: "dev" }), gzipped);
    at(projectFile("dev.json"), 3000);
    assert.deepEqual(await readState({ root, stack: "dev" }), plain);
    // Node 22.15 and later decompress zstd; the pinned Node (toolchain/versions.env) does.
    assert.equal(typeof zlib.zstdCompressSync, "function", "this Node has no zstd");
    writeFileSync(projectFile("dev.json.zst"), zlib.zstdCompressSync(checkpoint("organization/proj/dev", zstd)));
    at(projectFile("dev.json.zst"), 4000);
    assert.deepEqual(await readState({ root, stack: "dev" }), zstd);
    // A tie goes to the name Pulumi lists last; the content, not the name, says it is compressed.
    at(projectFile("dev.json.gz"), 4000);
    at(projectFile("dev.json"), 4000);
    assert.deepEqual(await readState({ root, stack: "dev" }), zstd);
    writeFileSync(projectFile("dev.json.zst"), checkpoint("organization/proj/dev", plain));
    at(projectFile("dev.json.zst"), 4000);
    assert.deepEqual(await readState({ root, stack: "dev" }), plain);
  });

  it("legacy layout (no meta.yaml): .pulumi/stacks/<stack>.json, which names the stack alone", async () => {
    const { root, stacks } = world(null);
    const latest = deploymentOf(STACK, MAILBOX);
    writeFileSync(path.join(stacks, "dev.json"), checkpoint("dev", latest));
    assert.deepEqual(await readState({ root, stack: "dev" }), latest);
    // meta.yaml's version 0 is the legacy layout too.
    writeFileSync(path.join(stacks, "..", "meta.yaml"), "version: 0\n");
    assert.deepEqual(await readState({ root, stack: "dev" }), latest);
    assert.deepEqual(await readState({ root, stack: "organization/proj/dev" }), EXPORTED);
  });

  it("what it cannot be sure of is left to `pulumi stack export`", async () => {
    const { root, projectFile, stacks } = world();
    const latest = deploymentOf(STACK, MAILBOX);
    const unread = async (why: RegExp) => {
      const read = await readCheckpoint(await locateCheckpoint(root, "dev"), "dev", root, anything);
      assert.ok("unread" in read, `read: ${why}`);
      assert.match(read.unread, why);
      assert.deepEqual(await readState({ root, stack: "dev" }), EXPORTED, `not left to the export: ${why}`);
    };
    await unread(/no checkpoint of stack "dev"/);
    // Versions Pulumi migrates (a stack made by `pulumi stack init` and never updated is version 0).
    writeFileSync(
      projectFile("dev.json"),
      JSON.stringify({ version: 0, checkpoint: { stack: "organization/proj/dev" } }),
    );
    await unread(/^a checkpoint of version 0$/);
    writeFileSync(projectFile("dev.json"), checkpoint("organization/proj/dev", latest, 2));
    await unread(/^a checkpoint of version 2$/);
    // A version 4 checkpoint with features: Pulumi checks them, and they may change what the state means.
    writeFileSync(
      projectFile("dev.json"),
      checkpoint("organization/proj/dev", latest, 4, { features: ["refBeforeReplace"] }),
    );
    await unread(/^a checkpoint of version 4 with features refBeforeReplace$/);
    // A checkpoint naming another stack is not certainly this one.
    writeFileSync(projectFile("dev.json"), checkpoint("organization/proj/prod", latest));
    await unread(/names stack "organization\/proj\/prod", not "organization\/proj\/dev"/);
    writeFileSync(projectFile("dev.json"), checkpoint("organization/proj/dev", null));
    await unread(/^the checkpoint holds no deployment$/);
    // Version 4 without features reads as 3 does.
    writeFileSync(projectFile("dev.json"), checkpoint("organization/proj/dev", latest, 4));
    assert.deepEqual(await readState({ root, stack: "dev" }), latest);
    // A meta.yaml of a version this reader does not know.
    writeFileSync(path.join(stacks, "..", "meta.yaml"), "version: 2\n");
    await unread(/meta\.yaml is not of a version this reader knows/);
    writeFileSync(path.join(stacks, "..", "meta.yaml"), "version: 1\n");
    // No project name to find the folder by.
    writeFileSync(path.join(root, "Pulumi.yaml"), "runtime: nodejs\n");
    await unread(/the project's name is not known/);
    writeFileSync(path.join(root, "Pulumi.yaml"), "name: proj\nruntime: nodejs\n");
    // Other backends: Azure Blob Storage, Pulumi Cloud.
    process.env.PULUMI_BACKEND_URL = "azblob://state";
    await unread(/the backend is not a folder \(azblob:\/\/state\)/);
    process.env.PULUMI_BACKEND_URL = "https://api.example.org";
    await unread(/the backend is not a folder/);
  });

  it("a checkpoint there and not of its shape is refused, naming the file and where", async () => {
    const { root, projectFile } = world();
    const refusal = async (file: string) => {
      try {
        await readState({ root, stack: "dev" });
      } catch (err) {
        assert.ok(err instanceof CheckpointFileError, `not a CheckpointFileError: ${String(err)}`);
        assert.ok(isExpectedError(err));
        assert.equal(err.file, file);
        assert.ok(err.message.startsWith(`the state of stack "dev" ("${file}") `), err.message);
        assert.match(err.message, /; run pulumi stack export --stack dev to see whether Pulumi reads it; /);
        return err.message;
      }
      assert.fail("the checkpoint was not refused");
    };
    const file = projectFile("dev.json");
    writeFileSync(file, "{");
    assert.match(await refusal(file), /\) is not JSON; /);
    writeFileSync(file, JSON.stringify({ version: "3", checkpoint: {} }));
    assert.match(
      await refusal(file),
      /is not of the shape mailbox-addresses reads: at version, a count expected, found "3"/,
    );
    writeFileSync(file, JSON.stringify({ version: 3, checkpoint: { stack: "organization/proj/dev", latest: [] } }));
    assert.match(await refusal(file), /at checkpoint\.latest, an object expected, found a list/);
    // A mailbox's fields are checked as the export's are (engine-run.ts, one check for both).
    const bad = { ...MAILBOX, outputs: { ...MAILBOX.outputs, addresses: ["SMTP:ada@contoso.com"] } };
    writeFileSync(file, checkpoint("organization/proj/dev", deploymentOf(STACK, bad)));
    assert.match(
      await refusal(file),
      /at checkpoint\.latest\.resources\[1\]\.outputs\.addresses, an object expected, found a list; /,
    );
    // Compressed and broken.
    const gz = projectFile("dev.json.gz");
    writeFileSync(gz, Buffer.concat([zlib.gzipSync("{}").subarray(0, 10), Buffer.from("broken")]));
    utimesSync(gz, Date.now() / 1000 + 10, Date.now() / 1000 + 10);
    assert.match(await refusal(gz), /cannot be decompressed/);
  });

  it("file:// URLs resolve as Pulumi resolves them", () => {
    assert.equal(fileBackendRoot("file://~", "/p"), userHome());
    assert.equal(fileBackendRoot("file://~/state", "/p"), path.join(userHome(), "state"));
    assert.equal(fileBackendRoot("file://./state?no_tmp_dir=false", "/p"), "/p/state");
    assert.equal(fileBackendRoot("file:///srv/state", "/p"), "/srv/state");
    // `file://` alone: the folder pulumi runs in (filepath.Abs of "").
    assert.equal(fileBackendRoot("file://", "/p"), "/p");
  });
});
