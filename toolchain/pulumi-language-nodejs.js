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
//
// What it does as Pulumi's own host does, and where it differs on purpose:
//   Cancel      the engine's Cancel (a first Ctrl-C of `pulumi up`, a cancelled CI job) reaches the
//               program as SIGINT: the engine starts this host in a process group of its own, so
//               the terminal's Ctrl-C never reaches the program otherwise.
//   nodeargs    the runtime option `nodeargs: "--flag ..."` of Pulumi.yaml: split on whitespace and
//               given to node before the runner, as Pulumi's host does.
//   typescript  refused when true (or when `main` is a .ts file): this project compiles with tsc
//               first (npm run build, toolchain/setup.sh) and runs JavaScript; ts-node is not used.
//   protocol    written for the pulumirpc.LanguageRuntime protocol of the pinned CLI
//               (toolchain/versions.env) and @pulumi/pulumi 3.x's stubs. An engine that starts it
//               without its address, or sends a RunRequest without ProgramInfo (older CLIs), or
//               calls a method this host lacks, gets an error that says so, not a crash or hang.
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

// The CLI release whose protocol this host was written for (toolchain/versions.env).
const PINNED_PULUMI = (() => {
  try {
    return /^PULUMI_VERSION=(\S+)/m.exec(fs.readFileSync(path.join(__dirname, "versions.env"), "utf8"))?.[1] ?? "3";
  } catch {
    return "3";
  }
})();
const PROTOCOL = `the pulumirpc.LanguageRuntime protocol of Pulumi ${PINNED_PULUMI} (toolchain/versions.env)`;

/** Why this host cannot serve: printed on stderr (the engine shows it) and exit 1. */
function refuseToStart(message) {
  process.stderr.write(`pulumi-language-nodejs (mailbox-addresses): ${message}\n`);
  process.exit(1);
}

// The gRPC stubs come from the project's @pulumi/pulumi: another major version is another protocol.
if (sdkVersion.split(".")[0] !== PINNED_PULUMI.split(".")[0]) {
  refuseToStart(
    `the project's @pulumi/pulumi is ${sdkVersion}, whose gRPC protocol this host does not speak: it is written for ${PROTOCOL}. Install @pulumi/pulumi ${PINNED_PULUMI} (npm ci)`,
  );
}

// The exit code @pulumi/pulumi's runner uses after it has already shown the user an actionable error.
const EXIT_AFTER_USER_MESSAGE = 32;

// Exit when the engine, our parent, is gone (it starts us in a process group of our own).
require("./exit-with-engine");

// The engine passes its own address as the last argument, after any flags (-tracing=..., -root=...).
let engineAddress =
  process.argv
    .slice(2)
    .filter((arg) => !arg.startsWith("-"))
    .at(-1) ?? "";
if (!/^[^\s:]*:\d+$/.test(engineAddress)) {
  refuseToStart(
    `started without the engine's address (got ${JSON.stringify(process.argv.slice(2))}): the pulumi CLI starts this host with its gRPC address as the last argument, as ${PROTOCOL} does. Run pulumi (scripts/pulumi), not this file`,
  );
}

function runPathFor(programDirectory) {
  return require.resolve("@pulumi/pulumi/cmd/run", { paths: [programDirectory, process.cwd()] });
}

/** Builds the runner's arguments from a RunRequest, flag for flag as Pulumi's Go host does. */
function runArguments(request, programDirectory, nodeArgs = []) {
  const args = [...nodeArgs, runPathFor(programDirectory)];
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

/** The runtime options of Pulumi.yaml (`runtime.options`), as the engine sends them in ProgramInfo. */
function runtimeOptions(info) {
  const options = info.getOptions();
  return options ? options.toJavaScript() : {};
}

/**
 * Checks a RunRequest against what this host serves: the protocol (ProgramInfo present), the
 * runtime options. Returns `{ error }` or `{ nodeArgs }` (the node flags of `nodeargs`).
 */
function checkRunRequest(request) {
  const info = request.getInfo();
  if (!info || !info.getProgramDirectory()) {
    return {
      error:
        `the engine sent a RunRequest without ProgramInfo (its program directory and entry point): it speaks an older protocol than this host, which is written for ${PROTOCOL}. ` +
        `Use that CLI: scripts/pulumi finds or builds it`,
    };
  }
  const options = runtimeOptions(info);
  const entryPoint = info.getEntryPoint() || request.getProgram() || ".";
  if (options.typescript === true || options.typescript === "true" || /\.[mc]?ts$/.test(entryPoint)) {
    return {
      error:
        `runtime option "typescript: true" (or a .ts main, here ${JSON.stringify(entryPoint)}) is not supported by this project's language host: ` +
        `the program is compiled with tsc first (npm run build; toolchain/setup.sh) and runs as JavaScript, without ts-node. ` +
        `Set "typescript: false" under runtime.options in Pulumi.yaml and point main at the compiled .js file (dist/...)`,
    };
  }
  let nodeArgs = [];
  if (options.nodeargs !== undefined && options.nodeargs !== null) {
    if (typeof options.nodeargs !== "string") {
      return {
        error: `runtime option "nodeargs" must be a string of node flags, e.g. "--max-old-space-size=4096"; got ${JSON.stringify(options.nodeargs)}`,
      };
    }
    nodeArgs = options.nodeargs.split(/\s+/).filter(Boolean);
  }
  return { nodeArgs };
}

/** The programs running now: the engine's Cancel interrupts each (SIGINT). */
const running = new Set();
const interrupted = new WeakSet();

/** SIGINT to every running program, once each. */
function interruptPrograms() {
  for (const child of running) {
    if (interrupted.has(child) || child.exitCode !== null || child.signalCode !== null) continue;
    interrupted.add(child);
    child.kill("SIGINT");
  }
}

// Right after Cancel the engine stops its plugins: SIGINT to this host's process group (which the
// program is in), then SIGKILL 5 s later (pkg/resource/plugin/plugin.go). Dying on that SIGINT at
// once would cut the program's cleanup short and leave the Run call unanswered, so the host waits
// for its programs to end (bounded below the engine's 5 s) and then exits.
let stopping = false;
function stopAfterPrograms(signal) {
  if (stopping) return;
  stopping = true;
  interruptPrograms();
  const exitWhenIdle = () => {
    if (running.size === 0) process.exit(signal === "SIGINT" ? 130 : 143);
  };
  for (const child of running) child.once("exit", () => setImmediate(exitWhenIdle));
  exitWhenIdle();
  setTimeout(() => process.exit(1), 4500).unref();
}
process.on("SIGINT", () => stopAfterPrograms("SIGINT"));
process.on("SIGTERM", () => stopAfterPrograms("SIGTERM"));

function run(call, callback) {
  const request = call.request;
  const checked = checkRunRequest(request);
  if (checked.error) {
    const response = new languageProto.RunResponse();
    response.setError(checked.error);
    callback(null, response);
    return;
  }
  const info = request.getInfo();
  const programDirectory = info.getProgramDirectory() || request.getPwd() || process.cwd();
  let args;
  try {
    args = runArguments(request, programDirectory, checked.nodeArgs);
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
  running.add(child);
  child.on("error", (err) => {
    running.delete(child);
    const response = new languageProto.RunResponse();
    response.setError(`could not start node to run the program: ${err.message}`);
    callback(null, response);
  });
  child.on("exit", (code, signal) => {
    running.delete(child);
    const response = new languageProto.RunResponse();
    if (code === EXIT_AFTER_USER_MESSAGE) response.setBail(true);
    else if (signal) response.setError(`Program exited on signal ${signal}`);
    else if (code !== 0) response.setError(`Program exited with non-zero exit code: ${code}`);
    callback(null, response);
  });
}

const handlers = {
  // Called by engines that attach to a running host (PULUMI_DEBUG_LANGUAGES); one started by the
  // engine has its address from the command line already.
  handshake(call, callback) {
    if (!call.request.getEngineAddress()) {
      callback({
        code: grpc.status.INVALID_ARGUMENT,
        details: `the engine's handshake names no engine address: this host is written for ${PROTOCOL}`,
      });
      return;
    }
    engineAddress = call.request.getEngineAddress();
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
  // Cancellation reaches the program as an interrupt, as a Ctrl-C would: @pulumi/pulumi's runner
  // (or the program's own SIGINT handler) then stops registering resources.
  cancel(call, callback) {
    interruptPrograms();
    callback(null, new emptyProto.Empty());
  },
};

// A method of the protocol this host does not implement answers UNIMPLEMENTED with a sentence,
// not grpc-js's bare "method not implemented" (the engine treats UNIMPLEMENTED as "not supported").
for (const [name, method] of Object.entries(languageRpc.LanguageRuntimeService)) {
  if (handlers[name]) continue;
  const details = `${method.path} is not implemented by mailbox-addresses' language host (toolchain/pulumi-language-nodejs.js), which serves compiled programs over ${PROTOCOL}`;
  handlers[name] = method.responseStream
    ? (call) => call.emit("error", { code: grpc.status.UNIMPLEMENTED, details })
    : (call, callback) => callback({ code: grpc.status.UNIMPLEMENTED, details });
}

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
