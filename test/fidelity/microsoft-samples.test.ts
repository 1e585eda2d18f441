// The fidelity suite: each documented Microsoft sample the emulator claims to emulate (see
// ./samples.ts for the list and each one's source) is sent to the emulator over real HTTPS and
// compared on status, headers, keys and error shape. Prints, per sample, "match" or the
// documented exception, and the count matched.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { RunningEmulator } from "../../emulator/server";
import { startTestEmulator } from "../../harness/emulator";
import { SAMPLES, tokenFor, type SampleContext } from "./samples";

describe("fidelity: the emulator against Microsoft's documented samples", () => {
  let emulator: RunningEmulator;
  let ctx: SampleContext;
  const verdicts: string[] = [];

  before(async () => {
    emulator = await startTestEmulator();
    const graphToken = (await tokenFor(emulator, "https://graph.microsoft.com/.default")).body.access_token as string;
    const exchangeToken = (await tokenFor(emulator, "https://outlook.office365.com/.default")).body
      .access_token as string;
    ctx = { emulator, graphToken, exchangeToken };
  });
  after(async () => {
    const matched = verdicts.filter((v) => v.startsWith("match")).length;
    process.stdout.write(
      `\nfidelity samples: ${matched} of ${SAMPLES.length} match\n${verdicts.map((v) => `  ${v}`).join("\n")}\n`,
    );
    await emulator?.close();
  });

  for (const sample of SAMPLES) {
    it(`${sample.name} [${sample.source}]`, async () => {
      const answer = await sample.send(ctx);
      const found = sample.compare(answer, ctx);
      verdicts.push(
        found.length === 0
          ? `match${sample.exception ? ` (documented exception: ${sample.exception})` : ""}: ${sample.name}`
          : `DIFFERS: ${sample.name}: ${found.join("; ")}`,
      );
      assert.deepEqual(found, [], `${sample.name} differs from ${sample.source}`);
    });
  }
});
