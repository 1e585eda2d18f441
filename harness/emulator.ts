// Starts the emulator inside a test, with the test run's certificate (scripts/run-tests.js made
// it and put it in NODE_EXTRA_CA_CERTS before Node started: Node reads that variable only then).
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { FaultSettings } from "../emulator/faults";
import { startEmulator, type RunningEmulator } from "../emulator/server";

export async function startTestEmulator(faults: FaultSettings = {}): Promise<RunningEmulator> {
  const secrets = process.env.MAILBOX_ADDRESSES_TEST_SECRETS;
  assert.ok(
    secrets && process.env.NODE_EXTRA_CA_CERTS,
    "the emulator's certificate is not trusted: run the tests through scripts/test (scripts/run-tests.js prepares it)",
  );
  const stateDir = mkdtempSync(path.join(os.tmpdir(), "mbx-emulator-"));
  copyFileSync(path.join(secrets, "secrets.json"), path.join(stateDir, "secrets.json"));
  return startEmulator({ stateDir, faults });
}
