#!/usr/bin/env node
// The Pulumi Node.js language host, for machines where Pulumi's own (Go) host cannot be built.
//
// Why this exists: the Go module proxy these machines reach refuses
// github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3 at every version (403, "This
// module version is not available"), so the pinned CLI is built from source without it. The
// engine talks to a language host over gRPC (pulumirpc.LanguageRuntime); this one implements the
// calls a compiled-JavaScript program needs and runs the program exactly as Pulumi's host does:
// `node node_modules/@pulumi/pulumi/cmd/run ... <program>`, with the stack config in PULUMI_CONFIG.
// Where Pulumi is installed normally, its own host is used and this file is not.
//
// It uses only what @pulumi/pulumi ships (its gRPC stubs and @grpc/grpc-js), resolved from the
// project directory the engine starts it in.
"use strict";

const childProcess = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const projectRequire = (id) => require(require.resolve(id, { paths: [process.cwd(), __dirname] }));
const grpc = projectRequire("@grpc/grpc-js");
const languageProto = projectRequire("@pulumi/pulumi/proto/language_pb");
const languageRpc = projectRequire("@pulumi/pulumi/proto/language_grpc_pb");
const pluginProto = projectRequire("@pulumi/pulumi/proto/plugin_pb");
const emptyProto = projectRequire("google-protobuf/google/protobuf/empty_pb");
const sdkVersion = projectRequire("@pulumi/pulumi/package.json").version;

// The exit code @pulumi/pulumi's runner uses after it has already shown the user an actionable error.
const EXIT_AFTER_USER_MESSAGE = 32;

// Exit when the engine, our parent, is gone (it starts us in a process group of our own).
require("./exit-with-engine");

// The engine passes its own address as the first non-flag argument (flags: -tracing, -root, ...).
let engineAddress = process.argv.slice(2).find((arg) => !arg.startsWith("-")) ?? "";

function runPathFor(programDirectory) {
  return require.resolve("@pulumi/pulumi/cmd/run", { paths: [programDirectory, process.cwd()] });
}

/** Builds the runner's arguments from a RunRequest, flag for flag as Pulumi's Go host does. */
function runArguments(request, programDirectory) {
  const args = [runPathFor(programDirectory)];
  const add = (flag, value) => {
    if (value !== undefined && value !== "") args.push(`--${flag}`, String(value));
  };
  const info = request.getInfo();
  add("monitor", request.getMonitorAddress());
  add("engine", engineAddress);
  add("organization", request.getOrganization());
  add("project", request.getProject());
  add("stack", request.getStack());
  add("pwd", request.getPwd());
  add("root-directory", info ? info.getRootDirectory() : "");
  if (request.getDryrun()) args.push("--dry-run");
  add("parallel", request.getParallel());
  const entryPoint = info && info.getEntryPoint() ? info.getEntryPoint() : request.getProgram() || ".";
  args.push(path.resolve(programDirectory, entryPoint));
  args.push(...request.getArgsList());
  return args;
}

/** The config map in the `<namespace>:<key>` form @pulumi/pulumi reads from PULUMI_CONFIG. */
function configJson(request) {
  const config = {};
  for (const [key, value] of request.getConfigMap().entries()) config[key] = value;
  return JSON.stringify(config);
}

function run(call, callback) {
  const request = call.request;
  const info = request.getInfo();
  const programDirectory = (info && info.getProgramDirectory()) || request.getPwd() || process.cwd();
  let args;
  try {
    args = runArguments(request, programDirectory);
  } catch (err) {
    const response = new languageProto.RunResponse();
    response.setError(`could not find @pulumi/pulumi from ${programDirectory}: run npm install there (${err.message})`);
    callback(null, response);
    return;
  }
  const env = {
    ...process.env,
    PULUMI_CONFIG: configJson(request),
    PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(request.getConfigsecretkeysList()),
  };
  const child = childProcess.spawn(process.execPath, args, { stdio: ["ignore", "inherit", "inherit"], env });
  child.on("error", (err) => {
    const response = new languageProto.RunResponse();
    response.setError(`could not start node to run the program: ${err.message}`);
    callback(null, response);
  });
  child.on("exit", (code, signal) => {
    const response = new languageProto.RunResponse();
    if (code === EXIT_AFTER_USER_MESSAGE) response.setBail(true);
    else if (signal) response.setError(`Program exited on signal ${signal}`);
    else if (code !== 0) response.setError(`Program exited with non-zero exit code: ${code}`);
    callback(null, response);
  });
}

const handlers = {
  handshake(call, callback) {
    if (call.request.getEngineAddress()) engineAddress = call.request.getEngineAddress();
    callback(null, new languageProto.LanguageHandshakeResponse());
  },
  // A compiled program that uses only @pulumi/pulumi needs no plugin but the bundled pulumi-nodejs.
  getRequiredPlugins(call, callback) {
    callback(null, new languageProto.GetRequiredPluginsResponse());
  },
  getRequiredPackages(call, callback) {
    callback(null, new languageProto.GetRequiredPackagesResponse());
  },
  run,
  getPluginInfo(call, callback) {
    const info = new pluginProto.PluginInfo();
    info.setVersion(sdkVersion);
    callback(null, info);
  },
  // Dependencies are installed by the project's own setup (npm ci), never by the engine.
  installDependencies(call) {
    call.end();
  },
  runtimeOptionsPrompts(call, callback) {
    callback(null, new languageProto.RuntimeOptionsResponse());
  },
  about(call, callback) {
    const response = new languageProto.AboutResponse();
    response.setExecutable(process.execPath);
    response.setVersion(process.version);
    callback(null, response);
  },
  getProgramDependencies(call, callback) {
    callback(null, new languageProto.GetProgramDependenciesResponse());
  },
  cancel(call, callback) {
    callback(null, new emptyProto.Empty());
  },
};

const server = new grpc.Server();
server.addService(languageRpc.LanguageRuntimeService, handlers);
server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) {
    process.stderr.write(`pulumi-language-nodejs: could not listen: ${err.message}\n`);
    process.exit(1);
  }
  // The engine reads the port from the plugin's first line of output.
  fs.writeSync(1, `${port}\n`);
});
