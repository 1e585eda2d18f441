// The channel between the CLI and the program (runtime/run-channel.ts): each file written is read
// back as it was; a file that is missing or not of its shape is refused with one expected error
// naming the variable, the file and what is wrong, never taken as data.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { isExpectedError } from "../../../core/errors";
import {
  channelEnv,
  channelFile,
  parseLiveHandoff,
  parseRecordedLine,
  readChannelFile,
  RUN_CHANNEL,
  RUN_CHANNEL_VARIABLES,
  RunChannelError,
  writeChannelFile,
  type ChannelShapes,
} from "../../../runtime/run-channel";
import { checkLiveMailbox } from "../../../targets/tenant-backend";

const dir = mkdtempSync(path.join(os.tmpdir(), "mbx-run-channel-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const planned: ChannelShapes["plannedChanges"] = {
  specDigest: "sha256:ab sha256:cd",
  declared: ["a@contoso.com", "b@contoso.com"],
  changes: {
    "a@contoso.com": {
      primary: { from: null, to: "a@contoso.com" },
      added: ["smtp:a2@contoso.com"],
      removed: [],
      caseKept: [{ spec: "A@contoso.com", tenant: "a@contoso.com" }],
      userPrincipalName: { from: "old@contoso.com", to: "a@contoso.com" },
      findings: ["a duplicate"],
    },
  },
  where: { "a@contoso.com": { writtenTo: "active-directory", sync: { state: "pending" } } },
  policies: { "0a1b": { policy: "staff", upn: "c@contoso.com" } },
  kinds: { "a@contoso.com": "UserMailbox" },
  causes: { "a@contoso.com": [{ address: "a2@contoso.com", change: "add", cause: "spec", since: "this-change" }] },
  outside: { read: true, mailboxes: 3, drifted: ["c@contoso.com"] },
};
const causes: ChannelShapes["causes"] = {
  since: "HEAD~1",
  base: { "a@contoso.com": { primary: "a@contoso.com", aliases: [] }, "b@contoso.com": null },
  recorded: { "a@contoso.com": ["SMTP:a@contoso.com"] },
};
const targets: ChannelShapes["targets"] = {
  scope: "targeted",
  since: "main",
  specDigest: "sha256:ab",
  declare: ["a@contoso.com"],
  release: [],
  reasons: { "a@contoso.com": ["changed (aliases)"] },
  managedElsewhere: { "0a1b": "b@contoso.com" },
};

/** Writes `text` as a file of the channel and returns the error reading it gives. */
function refusal(channel: keyof ChannelShapes, text: string): RunChannelError {
  const file = path.join(dir, `${channel}-bad.json`);
  writeFileSync(file, text);
  try {
    readChannelFile(channel, file);
  } catch (err) {
    assert.ok(err instanceof RunChannelError, `not a RunChannelError: ${String(err)}`);
    assert.ok(isExpectedError(err), "a malformed channel file is an expected error");
    assert.equal(err.file, file);
    assert.equal(err.variable, RUN_CHANNEL[channel].variable);
    assert.ok(err.message.startsWith(`${RUN_CHANNEL[channel].what} (${RUN_CHANNEL[channel].variable}) ${file}: `));
    assert.doesNotMatch(err.message, /\n\s+at /, "no stack trace in the message");
    return err;
  }
  assert.fail(`${channel}: ${text} was accepted`);
}

describe("run channel", () => {
  it("reads back what it wrote, for each file", () => {
    for (const [channel, data] of [
      ["plannedChanges", planned],
      ["causes", causes],
      ["targets", targets],
    ] as const) {
      const file = writeChannelFile(channel, dir, data);
      assert.equal(path.basename(file), RUN_CHANNEL[channel].file);
      assert.deepEqual(readChannelFile(channel, file), data);
    }
  });

  it("names its variables once, and the engine's environment holds each: the run's files, the rest empty", () => {
    const { plannedChanges, causes, targets, reviewedPlan } = RUN_CHANNEL;
    assert.deepEqual(
      RUN_CHANNEL_VARIABLES,
      [plannedChanges, causes, targets, reviewedPlan].map((c) => c.variable),
    );
    assert.equal(new Set(RUN_CHANNEL_VARIABLES).size, RUN_CHANNEL_VARIABLES.length, "one variable per file");
    // The one a user sets by hand (README: an apply held to a reviewed plan in CI): renaming it breaks their pipelines.
    assert.equal(reviewedPlan.variable, "MAILBOX_ADDRESSES_REVIEWED_PLAN");
    const env = channelEnv({ targets: `/run/${RUN_CHANNEL.targets.file}` });
    assert.deepEqual(env, {
      [plannedChanges.variable]: "",
      [causes.variable]: "",
      [targets.variable]: `/run/${RUN_CHANNEL.targets.file}`,
      [reviewedPlan.variable]: "",
    });
    // An empty variable is unset to the program: one left in the caller's shell does not reach it.
    const shell: NodeJS.ProcessEnv = { ...process.env, [reviewedPlan.variable]: "/left/in/shell.json" };
    const seen = { ...shell, ...env };
    assert.equal(channelFile("targets", seen), `/run/${RUN_CHANNEL.targets.file}`);
    assert.equal(channelFile("reviewedPlan", seen), undefined);
  });

  it("a missing file is refused, unless the reader says what missing means", () => {
    const file = path.join(dir, "none", RUN_CHANNEL.plannedChanges.file);
    assert.throws(
      () => readChannelFile("plannedChanges", file),
      (err: Error) => err instanceof RunChannelError && /: does not exist; run the plan again/.test(err.message),
    );
    assert.equal(readChannelFile("plannedChanges", file, { missing: undefined }), undefined);
  });

  it("refuses each malformed file with what is wrong and where", () => {
    const cases: [keyof ChannelShapes, string, RegExp][] = [
      ["plannedChanges", "{", /: is not JSON; /],
      ["plannedChanges", "[]", /plannedChanges-bad\.json: an object expected, found a list; /],
      ["plannedChanges", `{"changes":{}}`, /at declared, a list expected, found nothing/],
      [
        "plannedChanges",
        `{"declared":[],"changes":{"a@contoso.com":{"added":"x","removed":[]}}}`,
        /at changes\["a@contoso\.com"\]\.added, a list expected, found "x"/,
      ],
      [
        "plannedChanges",
        `{"declared":[],"changes":{},"where":{"a":{"writtenTo":"mars"}}}`,
        /at where\["a"\]\.writtenTo, "exchange-online" or "active-directory" expected, found "mars"/,
      ],
      [
        "plannedChanges",
        `{"declared":[],"changes":{},"causes":{"a":[{"address":"x","change":"add","cause":"luck"}]}}`,
        /at causes\["a"\]\[0\]\.cause, .*"move" expected, found "luck"/,
      ],
      [
        "plannedChanges",
        `{"declared":[],"changes":{},"outside":{"read":"yes","mailboxes":1,"drifted":[]}}`,
        /at outside\.read, true or false expected, found "yes"/,
      ],
      [
        "causes",
        `{"base":{"a":{"primary":1,"aliases":[]}}}`,
        /at base\["a"\]\.primary, a string expected, found number 1/,
      ],
      ["causes", `{"recorded":{"a":[null]}}`, /at recorded\["a"\]\[0\], a string expected, found null/],
      ["causes", `"since"`, /causes-bad\.json: an object expected, found "since"; /],
      [
        "targets",
        `{"scope":"full","specDigest":"d","declare":[],"release":[],"reasons":{}}`,
        /at scope, "targeted" expected, found "full"/,
      ],
      [
        "targets",
        `{"scope":"targeted","specDigest":"d","declare":[7],"release":[],"reasons":{}}`,
        /targets-bad\.json: at declare\[0\], a string expected, found number 7; run the command again/,
      ],
      ["targets", `{"scope":"targeted","declare":[],"release":[],"reasons":{}}`, /at specDigest, a string expected/],
    ];
    for (const [channel, text, expected] of cases) assert.match(refusal(channel, text).message, expected, text);
  });

  it("the refresh's hand-off: used when of its shape, otherwise not (the tenant is read instead)", () => {
    const live = { id: "1", upn: "a@contoso.com", addresses: ["SMTP:a@contoso.com"], synced: false };
    const handoff = {
      identities: ["a@contoso.com", "b@contoso.com"],
      live: [
        ["a@contoso.com", live],
        ["b@contoso.com", null],
      ],
    };
    assert.deepEqual(parseLiveHandoff(JSON.stringify(handoff), checkLiveMailbox), handoff);
    assert.equal(parseLiveHandoff("{", checkLiveMailbox), undefined);
    assert.equal(
      parseLiveHandoff(JSON.stringify({ ...handoff, live: [["a@contoso.com", { id: "1" }]] }), checkLiveMailbox),
      undefined,
    );
    assert.equal(
      parseLiveHandoff(JSON.stringify({ ...handoff, live: [["a@contoso.com"]] }), checkLiveMailbox),
      undefined,
    );
    assert.deepEqual(parseRecordedLine(`["a@contoso.com",["SMTP:a@contoso.com"]]`), [
      "a@contoso.com",
      ["SMTP:a@contoso.com"],
    ]);
    assert.equal(parseRecordedLine(`["a@contoso.com","SMTP:a@contoso.com"]`), undefined);
  });
});
