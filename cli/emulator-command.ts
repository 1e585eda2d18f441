// `mailbox-addresses emulator`: runs the HTTPS emulator of the Microsoft endpoints on 127.0.0.1
// and prints what a shell and a stack need to use it. Stops on Ctrl-C.
import path from "node:path";
import { startEmulator } from "../emulator/server";
import { FaultSettingsError, parseFaultSettings, type FaultSettings } from "../emulator/faults";
import { findProjectRoot } from "../runtime/project-root";
import { stackConfigForEndpoints } from "../targets/exchange-online/target";
import { CliError } from "./cli-error";
import { toolCommands } from "../runtime/commands-here";

import { EMULATOR_DEFAULT_PORT } from "./emulator-defaults";

export { EMULATOR_DEFAULT_PORT, EMULATOR_DEFAULT_STACK } from "./emulator-defaults";

export interface EmulatorCommandOptions {
  readonly port: number;
  readonly stateDir?: string;
  readonly seed?: string;
  readonly faults?: string;
  readonly stack: string;
  /** An on-premises AD to sync users from (emulator/directory-sync.ts). */
  readonly adUrl?: string;
  readonly adCaFile?: string;
  readonly adBaseDn?: string;
  /** Seconds between sync cycles; without it, only POST /_emulator/sync syncs. */
  readonly syncInterval?: string;
}

/** --port: a whole number from 0 to 65535. */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value.trim()) || port > 65535)
    throw new CliError(
      `--port is "${value}"; use a port number from 1 to 65535, or 0 for a free one (default ${EMULATOR_DEFAULT_PORT})`,
    );
  return port;
}

/** --ad-url, --ad-ca-file, --ad-base-dn (all or none), --sync-interval. */
function directoryOf(options: EmulatorCommandOptions): {
  directory?: import("../emulator/directory-sync").DirectorySyncSettings;
} {
  const given = [options.adUrl, options.adCaFile, options.adBaseDn].filter((v) => v !== undefined).length;
  if (given === 0) {
    if (options.syncInterval !== undefined)
      throw new CliError("--sync-interval needs a directory: --ad-url, --ad-ca-file and --ad-base-dn");
    return {};
  }
  if (given < 3) throw new CliError("a directory to sync needs --ad-url, --ad-ca-file and --ad-base-dn together");
  const seconds = options.syncInterval === undefined ? undefined : Number(options.syncInterval);
  if (seconds !== undefined && !(seconds > 0))
    throw new CliError(`--sync-interval is "${options.syncInterval}"; use a number of seconds above 0`);
  return {
    directory: {
      url: options.adUrl!,
      caFile: path.resolve(options.adCaFile!),
      baseDn: options.adBaseDn!,
      ...(seconds !== undefined ? { intervalMs: seconds * 1000 } : {}),
    },
  };
}

export async function runEmulatorCommand(options: EmulatorCommandOptions): Promise<number> {
  const root = findProjectRoot();
  const stateDir = path.resolve(root, options.stateDir ?? ".tenant/emulator");
  let faults: FaultSettings = {};
  if (options.faults !== undefined) {
    try {
      faults = parseFaultSettings(options.faults);
    } catch (err) {
      if (err instanceof FaultSettingsError) throw new CliError(`--faults: ${err.message}`);
      throw err;
    }
  }
  let emulator: Awaited<ReturnType<typeof startEmulator>>;
  try {
    emulator = await startEmulator({
      stateDir,
      port: options.port,
      ...(options.seed ? { seedFile: path.resolve(options.seed) } : {}),
      faults,
      ...directoryOf(options),
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EADDRINUSE") {
      throw new CliError(
        `port ${options.port} on 127.0.0.1 is in use (another emulator?): stop what holds it, or pass --port N (--port 0 picks a free one)`,
      );
    }
    throw err;
  }
  const out = process.stdout;
  const stack = options.stack;
  out.write(
    `mailbox-addresses emulator listening on ${emulator.url} (tenant ${emulator.tenantDomain}, ${emulator.tenant.count()} recipients, state in ${path.relative(process.cwd(), stateDir) || "."})\n\n`,
  );
  out.write("# Environment for the clients (NODE_EXTRA_CA_CERTS must be set before node starts):\n");
  const env = emulator.environment();
  for (const key of ["NODE_EXTRA_CA_CERTS", "AZURE_CLIENT_SECRET"]) out.write(`export ${key}=${env[key]}\n`);
  out.write("# other credential kinds, instead of AZURE_CLIENT_SECRET:\n");
  for (const key of [
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_FEDERATED_TOKEN_FILE",
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
  ])
    out.write(`#   export ${key}=${env[key]}\n`);
  out.write(`
# The stack "${stack}" targets the emulator (create it once; the current stack stays selected):
`);
  const here = toolCommands();
  out.write(`${here.pulumi} stack init ${stack} --no-select
`);
  for (const [key, value] of Object.entries(stackConfigForEndpoints(emulator.endpoints())))
    out.write(`${here.pulumi} config set --stack ${stack} ${key} ${value}
`);
  out.write(`# then: ${here.pulumi} preview --stack ${stack}, ${here.tool} drift --stack ${stack}
`);
  // The control plane answers only to this token (also in the state folder, readable by this user only).
  const control = `-H "Authorization: Bearer $(cat ${path.join(stateDir, "control-token")})"`;
  out.write(`
# Control plane token: ${path.join(stateDir, "control-token")} (mode 0600)
`);
  out.write(`# Faults at run time: curl --cacert ${env.NODE_EXTRA_CA_CERTS} ${control} -X PUT ${emulator.url}/_emulator/faults -d '{"throttleRate":0.3}'
`);
  out.write(`# Propagation lag:    curl --cacert ${env.NODE_EXTRA_CA_CERTS} ${control} -X PUT ${emulator.url}/_emulator/faults -d '{"graphPropagationLagMs":30000}'
`);
  out.write(`# Directory sync:     curl --cacert ${env.NODE_EXTRA_CA_CERTS} ${control} -X POST ${emulator.url}/_emulator/sync
`);
  out.write(`# Request counters:   curl --cacert ${env.NODE_EXTRA_CA_CERTS} ${control} ${emulator.url}/_emulator/counters
`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await emulator.close();
  return 0;
}
