// The CLI's parts that need no process: did-you-mean, the declared settings, fault settings,
// the progress line on a terminal and off it, and where export's schema line points.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { closestName } from "../../../core/did-you-mean";
import { parseFaultSettings, FaultSettingsError } from "../../../emulator/faults";
import { checkDeclaredSettings, DECLARED_SETTINGS } from "../../../reconcile/settings";
import { schemaReference } from "../../../cli/export-command";
import { typeFilter } from "../../../cli/drift-command";
import { Progress } from "../../../cli/progress";
import { maskSecrets } from "../../../cli/stack-settings";

/** A stream that records what is written, as a terminal (isTTY) or a pipe. */
function recorder(isTTY: boolean): NodeJS.WriteStream & { text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  }) as unknown as NodeJS.WriteStream & { text: () => string };
  Object.assign(stream, { isTTY, columns: 120, text: () => chunks.join("") });
  return stream;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("did you mean", () => {
  it("finds the declared key behind common typos", () => {
    const keys = DECLARED_SETTINGS.map((s) => s.key);
    assert.equal(closestName("targt", keys), "target");
    assert.equal(closestName("maxConcurrancy", keys), "maxConcurrency");
    assert.equal(closestName("tenantID", keys), "tenantId");
    assert.equal(closestName("completelyUnrelated", keys), undefined);
  });
});

describe("declared settings", () => {
  it("accept every declared key with a good value", () => {
    assert.deepEqual(
      checkDeclaredSettings({
        spec: "a.yaml",
        target: "exchange-online",
        tenantId: "contoso.onmicrosoft.com",
        clientId: "c",
        credential: "client-secret",
        maxConcurrency: "8",
      }),
      [],
    );
  });
  it("refuse unknown keys with the closest one, values outside the list, numbers that are not", () => {
    const problems = checkDeclaredSettings({
      targt: "local",
      maxConcurrancy: "3",
      target: "exchange_online",
      maxConcurrency: "many",
      credential: "secret",
    });
    assert.equal(problems.length, 5);
    assert.match(problems[0]!, /unknown setting "mailbox-addresses:targt" \(did you mean "target"\?\)/);
    assert.match(problems[1]!, /"mailbox-addresses:maxConcurrancy" \(did you mean "maxConcurrency"\?\)/);
    assert.match(
      problems[2]!,
      /setting "target" is "exchange_online" \(did you mean "exchange-online"\?\); use one of local, exchange-online/,
    );
    assert.match(problems[3]!, /setting "maxConcurrency" is "many"; use a whole number of at least 1/);
    assert.match(problems[4]!, /setting "credential" is "secret"/);
  });
});

describe("fault settings", () => {
  it("pass valid settings through", () => {
    const text =
      '{"throttleRate":0.3,"retryAfterSeconds":0.5,"latencyMs":{"min":1,"max":5},"writeBudget":{"capacity":20,"refillPerSecond":20},"surfaces":["graph"]}';
    assert.deepEqual(parseFaultSettings(text), JSON.parse(text));
  });
  it("name every problem: typos, ranges, shapes, JSON", () => {
    const refused = (text: string) => {
      try {
        parseFaultSettings(text);
      } catch (err) {
        assert.ok(err instanceof FaultSettingsError);
        return err.problems.join("\n");
      }
      assert.fail(`accepted ${text}`);
    };
    assert.match(
      refused('{"throtleRate":0.3}'),
      /"throtleRate" is not a fault setting \(did you mean "throttleRate"\?\)/,
    );
    assert.match(refused('{"throttleRate":1.5}'), /throttleRate is 1\.5; use a fraction of requests between 0 and 1/);
    assert.match(refused('{"throttleRate":0.6,"dropRate":0.6}'), /at most 1/);
    assert.match(refused('{"latencyMs":{"min":9,"max":1}}'), /latencyMs\.min \(9\) is above latencyMs\.max \(1\)/);
    assert.match(
      refused('{"tokenBucket":{"capacity":0,"refilPerSecond":1}}'),
      /tokenBucket\.refilPerSecond is not a setting \(did you mean "refillPerSecond"\?\)[\s\S]*tokenBucket\.capacity is 0/,
    );
    assert.match(refused('{"surfaces":["grahp"]}'), /did you mean "graph"/);
    assert.match(refused("{throttleRate:0.3}"), /not JSON/);
    assert.match(refused("[1]"), /must be a JSON object/);
  });
});

describe("progress", () => {
  it("on a terminal: one line of counters, redrawn in place from the start", async () => {
    const stream = recorder(true);
    const progress = new Progress("drift", { stream, statusEverySeconds: 60 })
      .counter("read", (n) => `${n} mailboxes read`)
      .counter("waits", (n) => `${n} waits`);
    progress.set("read", 20);
    await sleep(250);
    progress.set("read", 40);
    progress.add("waits");
    await sleep(250);
    progress.stop();
    const text = stream.text();
    assert.match(text, /drift: 20 mailboxes read/);
    assert.match(text, /drift: 40 mailboxes read, 1 waits \[\d+ s\]/);
    // Redrawn in place: carriage returns or cursor moves, and one final newline.
    assert.match(text, /\r|\x1b\[/);
    assert.equal(text.split("\n").filter(Boolean).length, 1);
  });
  it("off a terminal: nothing for a short run, then a status line at each interval", async () => {
    const quick = recorder(false);
    const short = new Progress("export", { stream: quick, statusEverySeconds: 0.3 }).counter(
      "read",
      (n) => `${n} read`,
    );
    short.set("read", 5);
    short.stop();
    assert.equal(quick.text(), "");

    const stream = recorder(false);
    const long = new Progress("export", { stream, statusEverySeconds: 0.2 }).counter("read", (n) => `${n} read`);
    for (let i = 1; i <= 6; i++) {
      long.set("read", i * 100);
      await sleep(150);
    }
    long.stop();
    const lines = stream.text().split("\n").filter(Boolean);
    assert.ok(lines.length >= 3, stream.text());
    for (const line of lines) assert.match(line, /^export: \d+ read \[\d+ s\]$/);
    assert.equal(lines.at(-1), `export: 600 read [${lines.at(-1)!.match(/\[(\d+) s\]/)![1]} s]`);
    assert.doesNotMatch(stream.text(), /\r|\x1b\[/);
  });
  it("--quiet: nothing at all", async () => {
    const stream = recorder(true);
    const progress = new Progress("plan", { stream, quiet: true }).counter("planned", (n) => `${n} planned`);
    progress.set("planned", 3);
    await sleep(150);
    progress.stop();
    assert.equal(stream.text(), "");
  });
});

describe("export's schema line and secrets", () => {
  it("points from the written file's folder to the project's schema", () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "mbx-schema-"));
    try {
      mkdirSync(path.join(root, "schemas"));
      writeFileSync(path.join(root, "schemas", "mailboxes.schema.json"), "{}");
      assert.equal(schemaReference(root, "infra/mailboxes.yaml"), "../schemas/mailboxes.schema.json");
      assert.equal(schemaReference(root, path.join(root, "tenant.yaml")), "schemas/mailboxes.schema.json");
      assert.equal(
        schemaReference(root, path.join(root, "specs/shards/a.yaml")),
        "../../schemas/mailboxes.schema.json",
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
  it("in a repository of one's own, to the installed package's schema", () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "mbx-schema-"));
    try {
      mkdirSync(path.join(root, "node_modules", "mailbox-addresses", "schemas"), { recursive: true });
      writeFileSync(path.join(root, "node_modules", "mailbox-addresses", "schemas", "mailboxes.schema.json"), "{}");
      assert.equal(
        schemaReference(root, "mailboxes.yaml"),
        "node_modules/mailbox-addresses/schemas/mailboxes.schema.json",
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
  it("secret values are masked in what is printed", () => {
    assert.equal(maskSecrets("Exchange Online tenant 1234-abcd", ["1234-abcd"]), "Exchange Online tenant [secret]");
    assert.equal(maskSecrets("local tenant x", []), "local tenant x");
  });
});

describe("the declared settings and what documents or uses them", () => {
  const root = path.resolve(__dirname, "../../../..");
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded at this point of the test on purpose
  const { readFileSync } = require("node:fs") as typeof import("node:fs");
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded at this point of the test on purpose
  const { parse } = require("yaml") as typeof import("yaml");
  it("the README's settings tables list exactly the declared keys", () => {
    const readme = readFileSync(path.join(root, "README.md"), "utf8");
    const documented = new Set(
      [...readme.matchAll(/^\| (`\w+`(?:, `\w+`)*) \|/gm)].flatMap((m) =>
        [...m[1]!.matchAll(/`(\w+)`/g)].map((k) => k[1]!),
      ),
    );
    assert.deepEqual([...documented].sort(), DECLARED_SETTINGS.map((s) => s.key).sort());
  });
  it("the shipped stack files use declared keys and values only", () => {
    for (const file of ["Pulumi.dev.yaml", "examples/Pulumi.prod.example.yaml"]) {
      const config = (parse(readFileSync(path.join(root, file), "utf8")) as { config: Record<string, unknown> }).config;
      const settings = Object.fromEntries(
        Object.entries(config).map(([k, v]) => [k.replace(/^mailbox-addresses:/, ""), String(v)]),
      );
      assert.deepEqual(checkDeclaredSettings(settings), [], file);
    }
  });
});

describe("--type (issue 17)", () => {
  it("takes a RecipientTypeDetails value in any case and refuses anything else, naming the values", () => {
    assert.equal(typeFilter(undefined), undefined);
    assert.equal(typeFilter("groupmailbox"), "GroupMailbox");
    assert.throws(
      () => typeFilter("Group"),
      /--type "Group" is not a recipient kind; use one of UserMailbox, SharedMailbox, .*MailContact/,
    );
  });
});
