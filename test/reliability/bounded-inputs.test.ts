// Every input bounded (issue 25). The reviewed plan: /dev/zero grew the process to 22 GB, a 300 MB
// plan was read whole (786 MB), formatVersion "9.9" was applied; now a regular file, its size
// checked before reading, the schema and this build's version checked, one message. A 16 MB spec
// of 300,000 entries was refused at the 200,000 limit only after 13 s and 1.4 GB; now before its
// document is built. Bad endpoint settings are named by key and rule when settings are read, not
// by the Azure SDK's text at the first request, nor by a stack trace in `up`.
// Measured in a child process (peak memory, bytes read from /proc/self/io); prints its figures.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { closeSync, ftruncateSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { makeReport, renderJson, REPORT_FORMAT_VERSION } from "../../core/report/report";
import { PROJECT_ROOT, TestStack } from "../../harness/pulumi-stack";
import { MAX_REVIEWED_PLAN_BYTES, readReviewedPlan } from "../../runtime/reviewed-plan-file";
import { SpecFileError } from "../../runtime/spec-file";
import { RUN_CHANNEL } from "../../runtime/run-channel";
import { manyEntries } from "./hostile-corpus";

const REVIEWED_PLAN = RUN_CHANNEL.reviewedPlan;

const dir = mkdtempSync(path.join(os.tmpdir(), "mbx-bounded-"));
const TRACE = /^\s+at \S/m;

/** Runs `code` in a fresh Node process; returns what it printed and its peak memory and bytes read. */
function measured(code: string): { out: string; maxRssMiB: number; readMiB: number } {
  const script = `
    const io = () => Number(/rchar: (\\d+)/.exec(require("fs").readFileSync("/proc/self/io", "utf8"))[1]);
    const before = io();
    let out;
    try { out = (() => { ${code} })(); } catch (err) { out = err.name + ": " + err.message; }
    const read = io() - before;
    process.stdout.write(JSON.stringify({ out: String(out), maxRssMiB: process.resourceUsage().maxRSS / 1024, readMiB: read / 1024 / 1024 }));`;
  const run = spawnSync(process.execPath, ["-e", script], {
    cwd: PROJECT_ROOT,
    encoding: "utf8",
    maxBuffer: 16 * 1024 * 1024,
  });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as { out: string; maxRssMiB: number; readMiB: number };
}

const planReport = (version = REPORT_FORMAT_VERSION) =>
  JSON.stringify({
    ...JSON.parse(renderJson(makeReport("plan", "dev", "local tenant t", []))),
    formatVersion: version,
  });

describe("reliability: bounded inputs", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("the reviewed plan: /dev/zero, 300 MB, another format version, not a plan are refused with one message; a plan of this build is read", (t) => {
    const refusal = (file: string): string => {
      try {
        readReviewedPlan(file, dir);
      } catch (err) {
        assert.ok(SpecFileError.isInstance(err), (err as Error).stack);
        assert.doesNotMatch(err.message, /\n/);
        return err.message;
      }
      assert.fail(`${file} was accepted`);
    };
    assert.match(refusal("/dev/zero"), /is a device, not a regular file/);
    const big = path.join(dir, "big-plan.json");
    const fd = openSync(big, "w");
    ftruncateSync(fd, 300 * 1024 * 1024);
    closeSync(fd);
    assert.match(refusal(big), /the file is 300\.0 MiB; the limit is 64\.0 MiB/);
    writeFileSync(path.join(dir, "v99.json"), planReport("9.9"));
    assert.match(
      refusal("v99.json"),
      new RegExp(
        `formatVersion is "9\\.9"; this version of mailbox-addresses reads reviewed plans of format ${REPORT_FORMAT_VERSION.replace(".", "\\.")} only`,
      ),
    );
    writeFileSync(
      path.join(dir, "partial.json"),
      JSON.stringify({ formatVersion: REPORT_FORMAT_VERSION, kind: "plan" }),
    );
    assert.match(refusal("partial.json"), /is not a plan report of format/);
    writeFileSync(path.join(dir, "drift.json"), JSON.stringify({ ...JSON.parse(planReport()), kind: "drift" }));
    assert.match(refusal("drift.json"), /report, not a plan/);
    writeFileSync(path.join(dir, "not-json.json"), "DB_PASSWORD=secret\n");
    assert.match(refusal("not-json.json"), /is not a JSON report/);
    writeFileSync(path.join(dir, "good.json"), planReport());
    assert.equal(readReviewedPlan("good.json", dir).kind, "plan");

    // Bytes read and peak memory, in a process of its own.
    const load = (file: string) =>
      measured(
        `return require("./dist/runtime/reviewed-plan-file").readReviewedPlan(${JSON.stringify(file)}, "/").kind`,
      );
    const zero = load("/dev/zero");
    const huge = load(big);
    assert.match(zero.out, /SpecFileError: .*device/);
    assert.match(huge.out, /SpecFileError: .*300\.0 MiB/);
    for (const m of [zero, huge]) {
      assert.ok(m.readMiB < 8, `read ${m.readMiB} MiB`);
      assert.ok(m.maxRssMiB < 256, `peak ${m.maxRssMiB} MiB`);
    }
    t.diagnostic(
      `figures: /dev/zero: ${zero.readMiB.toFixed(2)} MiB read, peak ${zero.maxRssMiB.toFixed(0)} MiB; 300 MB plan: ${huge.readMiB.toFixed(2)} MiB read, peak ${huge.maxRssMiB.toFixed(0)} MiB (limit ${MAX_REVIEWED_PLAN_BYTES / 1024 / 1024} MiB)`,
    );
  });

  it("the reviewed plan through pulumi up: one message, nothing written", (t) => {
    const stack = new TestStack("reviewbound");
    try {
      stack.seedTenant();
      stack.writeSpec(
        "version: 1\nallowedDomains: [contoso.com]\nmailboxes:\n  lee.chen@contoso.com:\n    primary: lee.chen@contoso.com\n    aliases: [lee.bound@contoso.com]\n",
      );
      const before = stack.withTenant((tenant) => tenant.resolve("lee.chen@contoso.com")!.addresses);
      writeFileSync(path.join(stack.dir, "v99.json"), planReport("9.9"));
      for (const [name, file, expected] of [
        [
          "/dev/zero",
          "/dev/zero",
          new RegExp(`the reviewed plan \\(${REVIEWED_PLAN.variable}\\) "/dev/zero": is a device, not a regular file`),
        ],
        ['formatVersion "9.9"', path.join(stack.dir, "v99.json"), /formatVersion is "9\.9"/],
      ] as const) {
        const up = stack.run(["up", "--yes", "--skip-preview"], { env: { [REVIEWED_PLAN.variable]: file } });
        assert.notEqual(up.code, 0);
        assert.match(up.output, expected);
        assert.doesNotMatch(up.output, TRACE);
        const lines = up.output.split("\n").filter((l) => expected.test(l)).length;
        assert.ok(lines <= 2, `${name}: the message ${lines} times`);
        assert.deepEqual(
          stack.withTenant((tenant) => tenant.resolve("lee.chen@contoso.com")!.addresses),
          before,
          `${name}: nothing written`,
        );
        t.diagnostic(
          `figures: reviewed plan ${name} through pulumi up: exit ${up.code}, the message ${lines} times, ${up.output.split("\n").length} lines, 0 writes`,
        );
      }
    } finally {
      stack.dispose();
    }
  });

  it("a 16 MB spec of 300,000 entries is refused before its document is built", (t) => {
    const file = path.join(dir, "huge-count.yaml");
    writeFileSync(file, manyEntries(300_000));
    const m = measured(
      `const bytes = require("./dist/runtime/spec-file").readSpecFile(${JSON.stringify(file)}, { root: "/", explicit: true });
       const r = require("./dist/core/desired/load-spec").loadSpecBytes("huge-count.yaml", bytes);
       return r.ok ? "accepted" : r.problems.map((p) => p.message).join(" | ");`,
    );
    assert.match(m.out, /^has 300000 mailboxes; the limit is 200000 per file: split the spec/);
    // Before: 1.4 GB and 13 s (issue 25). The file itself is 16 MB, held once as bytes and once as text.
    assert.ok(m.maxRssMiB < 300, `peak ${m.maxRssMiB} MiB`);
    assert.ok(m.readMiB < 40, `read ${m.readMiB} MiB`);
    t.diagnostic(
      `figures: 300,000 entries (${(Buffer.byteLength(manyEntries(300_000)) / 1e6).toFixed(1)} MB): refused with ${m.readMiB.toFixed(1)} MiB read, peak ${m.maxRssMiB.toFixed(0)} MiB`,
    );
  });

  it("bad endpoint settings are named by key and rule in preview and up, without the Azure SDK's text or a trace", (t) => {
    const base = {
      target: "exchange-online",
      tenantId: "contoso.onmicrosoft.com",
      clientId: "00000000-0000-0000-0000-000000000001",
      credential: "client-secret",
    };
    const cases: [string, Record<string, string>, RegExp][] = [
      [
        "graphBaseUrl: not-a-url",
        { graphBaseUrl: "not-a-url" },
        /setting "graphBaseUrl" is "not-a-url"; it must be an https:\/\/ URL/,
      ],
      [
        "graphBaseUrl: http://",
        { graphBaseUrl: "http://graph.example" },
        /setting "graphBaseUrl" is "http:\/\/graph\.example"; it must be an https:\/\/ URL, not http:\/\//,
      ],
      [
        'tenantId: "contoso;rm -rf"',
        { tenantId: "contoso;rm -rf" },
        /setting "tenantId" is "contoso;rm -rf"; it must be the directory \(tenant\) id/,
      ],
      [
        "exchangeBaseUrl: file:///etc/passwd",
        { exchangeBaseUrl: "file:///etc/passwd" },
        /setting "exchangeBaseUrl" is "file:\/\/\/etc\/passwd"; it must be an https:\/\/ URL, not file:\/\//,
      ],
    ];
    for (const [name, settings, expected] of cases) {
      const stack = new TestStack("badsetting", { ...base, ...settings }, { AZURE_CLIENT_SECRET: "not-used" });
      try {
        stack.writeSpec(
          "version: 1\nallowedDomains: [contoso.com]\nmailboxes:\n  lee.chen@contoso.com:\n    primary: lee.chen@contoso.com\n",
        );
        for (const run of [stack.preview(), stack.up()]) {
          assert.notEqual(run.code, 0);
          assert.match(run.output, expected, run.output);
          assert.doesNotMatch(run.output, /Invalid URL|Bearer token authentication|non-TLS|ERR_INVALID_URL/);
          assert.doesNotMatch(run.output, TRACE);
        }
        const drift = stack.cli(["drift"]);
        assert.equal(drift.code, 1);
        assert.match(drift.output, expected);
        assert.doesNotMatch(drift.output, TRACE);
        t.diagnostic(`${name}: refused by preview, up and drift, named by key and rule`);
      } finally {
        stack.dispose();
      }
    }
  });
});
