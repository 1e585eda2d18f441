// The environment for processes that talk to the emulator: its certificate must be trusted from
// process start (NODE_EXTRA_CA_CERTS), so the test and benchmark runners prepare it first and
// start their workers with it.
"use strict";
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const root = path.resolve(__dirname, "..");

/** Prepares the emulator's keys once and returns the environment a child process needs. */
async function emulatorEnvironment() {
  const secretsDir = path.join(os.tmpdir(), "mailbox-addresses-test-secrets");
  const { prepareTestSecrets } = require(path.join(root, "dist/harness/prepare-test-secrets.js"));
  const emulatorCa = await prepareTestSecrets(secretsDir);
  // Keep whatever extra certificates the machine already trusts, and add the emulator's.
  const caFile = path.join(secretsDir, "ca-bundle.pem");
  const existing =
    process.env.NODE_EXTRA_CA_CERTS && fs.existsSync(process.env.NODE_EXTRA_CA_CERTS)
      ? fs.readFileSync(process.env.NODE_EXTRA_CA_CERTS, "utf8")
      : "";
  fs.writeFileSync(caFile, `${existing.trimEnd()}\n${fs.readFileSync(emulatorCa, "utf8")}`);
  return { ...process.env, NODE_EXTRA_CA_CERTS: caFile, MAILBOX_ADDRESSES_TEST_SECRETS: secretsDir };
}

module.exports = { emulatorEnvironment };
