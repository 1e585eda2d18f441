// `mailbox-addresses emulator`: runs the HTTPS emulator of the Microsoft endpoints on 127.0.0.1
// and prints what a shell, a stack or a test needs to use it. Stops on Ctrl-C.
import path from "node:path";
import { parseArgs } from "node:util";
import { startEmulator } from "../emulator/server";
import type { FaultSettings } from "../emulator/faults";
import { findProjectRoot } from "../providers/project-root";

export async function runEmulatorCommand(args: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      port: { type: "string", default: "0" },
      "state-dir": { type: "string" },
      seed: { type: "string" },
      faults: { type: "string" },
    },
  });
  const root = findProjectRoot();
  const stateDir = path.resolve(root, values["state-dir"] ?? ".tenant/emulator");
  let faults: FaultSettings = {};
  if (values.faults) {
    try {
      faults = JSON.parse(values.faults) as FaultSettings;
    } catch (err) {
      process.stderr.write(`--faults must be JSON, e.g. '{"throttleRate":0.3,"retryAfterSeconds":1}': ${(err as Error).message}\n`);
      return 1;
    }
  }
  const emulator = await startEmulator({
    stateDir,
    port: Number(values.port),
    ...(values.seed ? { seedFile: path.resolve(values.seed) } : {}),
    faults,
  });
  const out = process.stdout;
  out.write(`mailbox-addresses emulator listening on ${emulator.url} (tenant ${emulator.tenantDomain}, ${emulator.tenant.count()} recipients, state in ${path.relative(process.cwd(), stateDir) || "."})\n\n`);
  out.write("# Environment for the clients (NODE_EXTRA_CA_CERTS must be set before node starts):\n");
  const env = emulator.environment();
  for (const key of ["NODE_EXTRA_CA_CERTS", "AZURE_CLIENT_SECRET"]) out.write(`export ${key}=${env[key]}\n`);
  out.write("# other credential kinds, instead of AZURE_CLIENT_SECRET:\n");
  for (const key of ["AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_FEDERATED_TOKEN_FILE", "IDENTITY_ENDPOINT", "IDENTITY_HEADER"]) out.write(`#   export ${key}=${env[key]}\n`);
  out.write("\n# A stack that targets the emulator:\n");
  for (const [key, value] of Object.entries(emulator.stackConfig())) out.write(`scripts/pulumi config set ${key} ${value}\n`);
  // The control plane answers only to this token (also in the state folder, readable by this user only).
  const control = `-H "Authorization: Bearer $(cat ${path.join(stateDir, "control-token")})"`;
  out.write(`\n# Control plane token: ${path.join(stateDir, "control-token")} (mode 0600)\n`);
  out.write(`# Faults at run time: curl --cacert ${env.NODE_EXTRA_CA_CERTS} ${control} -X PUT ${emulator.url}/_emulator/faults -d '{"throttleRate":0.3}'\n`);
  out.write(`# Propagation lag:    curl --cacert ${env.NODE_EXTRA_CA_CERTS} ${control} -X PUT ${emulator.url}/_emulator/faults -d '{"graphPropagationLagMs":30000}'\n`);
  out.write(`# Request counters:   curl --cacert ${env.NODE_EXTRA_CA_CERTS} ${control} ${emulator.url}/_emulator/counters\n`);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await emulator.close();
  return 0;
}
