// Makes the emulator's keys and certificate once per test run, before Node starts the tests, so
// NODE_EXTRA_CA_CERTS can point at the certificate (scripts/run-tests.js calls this).
import { ensureSecrets } from "../emulator/certificates";

export async function prepareTestSecrets(dir: string): Promise<string> {
  const secrets = await ensureSecrets(dir);
  return secrets.serverCertPath;
}
