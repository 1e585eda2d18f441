// Starts the emulator inside a test, with the test run's certificate (scripts/run-tests.js made
// it and put it in NODE_EXTRA_CA_CERTS before Node started: Node reads that variable only then).
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { seededRandom, type FaultSettings } from "../emulator/faults";
import { startEmulator, type RunningEmulator } from "../emulator/server";

/**
 * The seed of a test emulator's fault rolls: MAILBOX_ADDRESSES_FAULT_SEED, else a fixed one, so a
 * test that injects faults at a rate sees the same rolls in every run (another seed tries others).
 */
function faultSeed(): number {
  const given = process.env.MAILBOX_ADDRESSES_FAULT_SEED;
  if (given === undefined || given === "") return 26;
  const seed = Number(given);
  assert.ok(Number.isInteger(seed), `MAILBOX_ADDRESSES_FAULT_SEED must be an integer, not "${given}"`);
  return seed;
}

export async function startTestEmulator(faults: FaultSettings = {}): Promise<RunningEmulator> {
  const secrets = process.env.MAILBOX_ADDRESSES_TEST_SECRETS;
  assert.ok(
    secrets && process.env.NODE_EXTRA_CA_CERTS,
    "the emulator's certificate is not trusted: run the tests through scripts/test (scripts/run-tests.js prepares it)",
  );
  const stateDir = mkdtempSync(path.join(os.tmpdir(), "mbx-emulator-"));
  copyFileSync(path.join(secrets, "secrets.json"), path.join(stateDir, "secrets.json"));
  return startEmulator({ stateDir, faults, random: seededRandom(faultSeed()) });
}
