// The secrets sweep (issue 19, item 11): after `pulumi up` against the emulator with a client
// secret and with a certificate, at the engine's most verbose logging, no secret, private key or
// access token is in the state, the stack file, the outputs, the logs or any file the run wrote.
// Prints its figures: places swept, secrets found.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { EmulatorProcess } from "../../harness/emulator-process";
import { TestStack } from "../../harness/pulumi-stack";

const SPEC = `version: 1
allowedDomains: [contoso.com, fabrikam.com, contoso.onmicrosoft.com]
mailboxes:
  lee.chen@contoso.com:
    primary: lee.chen@fabrikam.com
    aliases: [lee.chen@contoso.com]
`;

/** Every file under `dir` (not following links: dist/ and node_modules are links), as text. */
function filesUnder(dir: string): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    const stat = statSync(full, { throwIfNoEntry: false });
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded at this point of the test on purpose
    if (!stat || require("node:fs").lstatSync(full).isSymbolicLink()) continue;
    if (stat.isDirectory()) out.push(...filesUnder(full));
    else if (stat.isFile() && stat.size < 64 * 1024 * 1024)
      out.push({ file: full, text: readFileSync(full, "latin1") });
  }
  return out;
}

describe("reliability: secrets sweep after emulator runs", () => {
  let emulator: EmulatorProcess;
  before(async () => {
    emulator = await EmulatorProcess.start();
  });
  after(() => emulator?.stop());

  for (const kind of ["client-secret", "client-certificate"] as const) {
    it(`with a ${kind}: nothing secret in state, stack file, outputs, logs or files`, (t) => {
      const certificate = path.join(emulator.stateDir, "test-app-certificate.pem");
      const { AZURE_CLIENT_SECRET: secret, ...trust } = emulator.environment();
      const env =
        kind === "client-secret"
          ? { ...trust, AZURE_CLIENT_SECRET: secret! }
          : { ...trust, AZURE_CLIENT_CERTIFICATE_PATH: certificate };
      const stack = new TestStack(`secrets-${kind}`, { ...emulator.stackConfig(), credential: kind }, env);
      try {
        stack.writeSpec(SPEC);
        const up = stack.run(["up", "--yes", "--skip-preview", "-v=9", "--logtostderr", "--logflow"]);
        assert.equal(up.code, 0, up.output.slice(-4000));
        const refresh = stack.run(["refresh", "--yes", "-v=9", "--logtostderr", "--logflow"]);
        assert.equal(refresh.code, 0, refresh.output.slice(-4000));
        const outputs = stack.run(["stack", "output", "--json", "--show-secrets"]);
        const exported = stack.run(["stack", "export", "--show-secrets"]);
        const drift = stack.cli(["plan", "--json"]);

        // What must not appear: the secret, any 40 characters of the private key, any access token.
        const pem = readFileSync(certificate, "utf8");
        const keyBody = /-----BEGIN [A-Z ]*PRIVATE KEY-----([\s\S]+?)-----END/.exec(pem)![1]!.replace(/\s+/g, "");
        const keyPieces = Array.from({ length: Math.floor(keyBody.length / 40) }, (_, i) =>
          keyBody.slice(i * 40, i * 40 + 40),
        );
        const token = /eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{20,}/;
        const places: { place: string; text: string }[] = [
          { place: "pulumi up output (-v=9)", text: up.output },
          { place: "pulumi refresh output (-v=9)", text: refresh.output },
          { place: "stack outputs", text: outputs.output },
          { place: "stack export", text: exported.output },
          { place: "plan --json", text: drift.output },
          ...filesUnder(stack.dir).map((f) => ({ place: path.relative(stack.dir, f.file), text: f.text })),
        ];
        const found: string[] = [];
        for (const { place, text } of places) {
          if (text.includes(emulator.clientSecret)) found.push(`${place}: the client secret`);
          if (keyPieces.some((piece) => text.includes(piece))) found.push(`${place}: private key material`);
          if (token.test(text)) found.push(`${place}: an access token`);
        }
        t.diagnostic(`figures: credential ${kind}, places swept ${places.length}, secrets found ${found.length}`);
        assert.deepEqual(found, []);
        assert.ok(
          places.some((p) => p.place.endsWith(".json") && p.text.includes("lee.chen@fabrikam.com")),
          "the sweep did not see the state",
        );
      } finally {
        stack.dispose();
      }
    });
  }
});
