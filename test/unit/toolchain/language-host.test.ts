// The project's Node.js language host (toolchain/pulumi-language-nodejs.js) spoken to directly
// over gRPC, as the engine does: it checks the protocol it is spoken to in (the engine's address,
// the handshake, ProgramInfo in a RunRequest, the SDK's major version), refuses runtime options it
// cannot honour, and answers methods it lacks with a sentence. test/e2e/language-host.test.ts
// covers what needs the real pulumi binary (Cancel, nodeargs reaching node, typescript refused).
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { PROJECT_ROOT } from "../../../harness/pulumi-stack";

/* eslint-disable @typescript-eslint/no-require-imports */
const grpc = require("@grpc/grpc-js") as typeof import("@grpc/grpc-js");
// The generated stubs have loose typings: used through `any` here, as the host itself does.
const languageRpc = require("@pulumi/pulumi/proto/language_grpc_pb") as any;
const languageProto = require("@pulumi/pulumi/proto/language_pb") as any;
type Client = any;

const HOST = path.join(PROJECT_ROOT, "toolchain/pulumi-language-nodejs.js");
const dir = mkdtempSync(path.join(os.tmpdir(), "mbx-langhost-"));
const hosts: ChildProcess[] = [];
after(() => {
  for (const host of hosts) host.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

/** Starts the host as the engine does (its address last) and connects to the port it prints. */
async function startHost(
  env: NodeJS.ProcessEnv = {},
  engine = "127.0.0.1:1",
): Promise<{ host: ChildProcess; client: Client }> {
  const host = spawn(process.execPath, [HOST, engine], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  hosts.push(host);
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    host.stdout!.on("data", (d) => {
      out += d;
      if (out.includes("\n")) resolve(Number(out.trim()));
    });
    host.on("exit", (code) => reject(new Error(`the host exited (${code}) before printing its port`)));
  });
  return {
    host,
    client: new languageRpc.LanguageRuntimeClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure()),
  };
}

/** Calls a unary method; resolves with [error, response]. */
function call(
  client: Client,
  method: string,
  request: unknown,
): Promise<[({ code: number; details: string } & Error) | null, Client]> {
  return new Promise((resolve) =>
    client[method](request, (err: ({ code: number; details: string } & Error) | null, response: Client) =>
      resolve([err, response]),
    ),
  );
}

function programInfo(entryPoint: string, options: Record<string, unknown> = {}): Client {
  const info = new languageProto.ProgramInfo();
  info.setRootDirectory(PROJECT_ROOT);
  info.setProgramDirectory(PROJECT_ROOT);
  info.setEntryPoint(entryPoint);
  const { Struct } = require("google-protobuf/google/protobuf/struct_pb") as {
    Struct: { fromJavaScript(v: unknown): unknown };
  };
  info.setOptions(Struct.fromJavaScript({ typescript: false, ...options }));
  return info;
}

describe("the language host's protocol checks", () => {
  it("started without the engine's address, it refuses with what to do", () => {
    const result = spawnSync(process.execPath, [HOST], { encoding: "utf8" });
    assert.equal(result.status, 1);
    assert.match(
      result.stderr,
      /started without the engine's address \(got \[\]\): the pulumi CLI starts this host with its gRPC address as the last argument, as the pulumirpc\.LanguageRuntime protocol of Pulumi 3\.260\.0 \(toolchain\/versions\.env\) does/,
    );
  });

  it("a project whose @pulumi/pulumi is another major version is refused at start (another protocol)", () => {
    const project = path.join(dir, "sdk4");
    const sdk = path.join(project, "node_modules/@pulumi/pulumi");
    mkdirSync(sdk, { recursive: true });
    writeFileSync(path.join(sdk, "package.json"), JSON.stringify({ name: "@pulumi/pulumi", version: "4.0.0" }));
    const real = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
    symlinkSync(path.join(real, "proto"), path.join(sdk, "proto"));
    const result = spawnSync(process.execPath, [HOST, "127.0.0.1:1"], {
      cwd: project,
      encoding: "utf8",
      timeout: 20_000,
    });
    assert.equal(result.status, 1, result.stderr);
    assert.match(
      result.stderr,
      /the project's @pulumi\/pulumi is 4\.0\.0, whose gRPC protocol this host does not speak: it is written for the pulumirpc\.LanguageRuntime protocol of Pulumi 3\.260\.0/,
    );
  });

  it("a handshake without the engine's address is refused; with it, accepted", async () => {
    const { client } = await startHost();
    const [err] = await call(client, "handshake", new languageProto.LanguageHandshakeRequest());
    assert.equal(err?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(err!.details, /the engine's handshake names no engine address/);
    const request = new languageProto.LanguageHandshakeRequest();
    request.setEngineAddress("127.0.0.1:2");
    const [ok] = await call(client, "handshake", request);
    assert.equal(ok, null);
    client.close();
  });

  it("a RunRequest without ProgramInfo (an older engine) gets an error naming the protocol, not a crash", async () => {
    const { client, host } = await startHost();
    const request = new languageProto.RunRequest();
    request.setProgram("dist/infra/index.js");
    request.setPwd(PROJECT_ROOT);
    const [err, response] = await call(client, "run", request);
    assert.equal(err, null);
    assert.match(
      response.getError(),
      /^the engine sent a RunRequest without ProgramInfo \(its program directory and entry point\): it speaks an older protocol than this host, which is written for the pulumirpc\.LanguageRuntime protocol of Pulumi 3\.260\.0/,
    );
    assert.equal(host.exitCode, null, "the host still serves");
    client.close();
  });

  it("runtime options: typescript refused with the reason, nodeargs must be a string", async () => {
    const { client } = await startHost();
    const run = async (entry: string, options: Record<string, unknown>) => {
      const request = new languageProto.RunRequest();
      request.setInfo(programInfo(entry, options));
      const [err, response] = await call(client, "run", request);
      assert.equal(err, null);
      return response.getError() as string;
    };
    assert.match(
      await run("dist/infra/index.js", { typescript: true }),
      /runtime option "typescript: true" .* is not supported by this project's language host: the program is compiled with tsc first/,
    );
    assert.match(await run("infra/index.ts", {}), /or a \.ts main, here "infra\/index\.ts"/);
    assert.match(
      await run("dist/infra/index.js", { nodeargs: ["--inspect"] }),
      /runtime option "nodeargs" must be a string of node flags/,
    );
    client.close();
  });

  it("a method it does not implement answers UNIMPLEMENTED with a sentence", async () => {
    const { client } = await startHost();
    const [err] = await call(client, "generateProject", new languageProto.GenerateProjectRequest());
    assert.equal(err?.code, grpc.status.UNIMPLEMENTED);
    assert.match(
      err!.details,
      /\/pulumirpc\.LanguageRuntime\/GenerateProject is not implemented by mailbox-addresses' language host/,
    );
    client.close();
  });
});
