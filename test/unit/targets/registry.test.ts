// The target registry (targets/registry.ts): every target's settings are declared, described and
// validated, read into its typed settings, and described for messages; the port's optional
// capabilities are declared as offered, and a spec that needs a missing one is refused at preview.
// Each check iterates TARGETS, so a new target is covered by adding its registry line.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { formatProblem } from "../../../core/problems";
import { loadSpecText } from "../../../core/desired/load-spec";
import { checkDeclaredSettings, DECLARED_SETTINGS, readSettings, SettingsError } from "../../../reconcile/settings";
import { assessSpec } from "../../../reconcile/assess";
import {
  createBackend,
  DEFAULT_TARGET,
  describeTarget,
  findTarget,
  readSettingsOf,
  TARGET_NAMES,
  TARGETS,
  type TargetSettings,
} from "../../../targets/registry";
import { checkSettingValue, type ConfigReader, type TargetSetting } from "../../../targets/target-definition";
import type { CapabilityName, TenantBackend, WrittenTo } from "../../../targets/tenant-backend";
import { PROJECT_ROOT } from "../../../harness/pulumi-stack";

const CAPABILITIES: readonly CapabilityName[] = [
  "cloudManaged",
  "acceptedDomains",
  "policyAttributes",
  "userPrincipalName",
];

/** A value the declaration accepts: its default, its first allowed value, a number, or a word. */
function goodValue(setting: TargetSetting): string {
  const byFormat = { "https-url": "https://endpoint.example", "tenant-id": "contoso.onmicrosoft.com" } as const;
  return (
    setting.default ??
    setting.values?.[0] ??
    (setting.positiveInteger ? "7" : setting.format ? byFormat[setting.format] : `value-of-${setting.key}`)
  );
}

/** A config of `values` that records which keys were asked for; a missing required key throws MissingSetting. */
class MissingSetting extends Error {}
function recordingConfig(values: Record<string, string>): ConfigReader & { asked: Set<string> } {
  const asked = new Set<string>();
  return {
    asked,
    get: (key) => (asked.add(key), values[key]),
    require: (key) => {
      asked.add(key);
      const value = values[key];
      if (value === undefined) throw new MissingSetting(key);
      return value;
    },
  };
}

/** Runs `work` without AZURE_CLIENT_ID, which the exchange-online target prefers to its clientId. */
function withoutClientIdVariable<T>(work: () => T): T {
  const saved = process.env.AZURE_CLIENT_ID;
  delete process.env.AZURE_CLIENT_ID;
  try {
    return work();
  } finally {
    if (saved !== undefined) process.env.AZURE_CLIENT_ID = saved;
  }
}

describe("the target registry", () => {
  it("names every target a composed stack writes to (LiveMailbox.writtenTo)", () => {
    // A Record over WrittenTo must list each of its names: one added there fails to compile here.
    const writtenTo: Record<WrittenTo, true> = { "exchange-online": true, "active-directory": true };
    for (const name of Object.keys(writtenTo)) assert.ok((TARGET_NAMES as readonly string[]).includes(name), name);
  });
  it("names each target once; the default target is one of them", () => {
    assert.deepEqual(
      TARGET_NAMES,
      TARGETS.map((t) => t.name),
    );
    assert.equal(new Set(TARGET_NAMES).size, TARGET_NAMES.length);
    assert.ok(TARGET_NAMES.includes(DEFAULT_TARGET));
    for (const name of TARGET_NAMES) assert.equal(findTarget(name)?.name, name);
    assert.equal(findTarget("ldap"), undefined);
    // The settings union is the registry's: a name no target has does not type-check.
    // @ts-expect-error "ldap" is no target's name
    const bogus: TargetSettings = { target: "ldap" };
    assert.ok(bogus);
  });

  it("the target setting offers exactly the registry's names", () => {
    assert.deepEqual(DECLARED_SETTINGS.find((s) => s.key === "target")?.values, TARGET_NAMES);
    assert.deepEqual(checkDeclaredSettings({ target: "ldap" }).length, 1);
    assert.throws(
      () => readSettings(recordingConfig({ target: "exchange_online" })),
      (err: Error) => err instanceof SettingsError && /did you mean "exchange-online"/.test(err.message),
    );
  });

  it("keys and flags are unique across all targets (a composed stack reads several targets' settings at once)", () => {
    const keys = DECLARED_SETTINGS.map((s) => s.key);
    assert.deepEqual(
      keys.filter((k, i) => keys.indexOf(k) !== i),
      [],
    );
    const flags = DECLARED_SETTINGS.flatMap((s) => (s.flag ? [s.flag.split(" ")[0]] : []));
    assert.deepEqual(
      flags.filter((f, i) => flags.indexOf(f) !== i),
      [],
    );
  });

  for (const target of TARGETS) {
    describe(`target "${target.name}"`, () => {
      it("declares, describes and validates every setting it has", () => {
        assert.ok(target.summary.trim().length > 0, "a summary for --help and messages");
        // A composed target (hybrid) has its members' settings instead of its own.
        assert.ok(target.settings.length > 0 || (target.members ?? []).length > 1);
        for (const setting of target.settings) {
          const declared = DECLARED_SETTINGS.find((s) => s.key === setting.key);
          assert.equal(declared?.target, target.name, `${setting.key} is in DECLARED_SETTINGS, for ${target.name}`);
          assert.ok(setting.meaning.trim().length > 0, `${setting.key} says what it means`);
          assert.match(setting.key, /^[a-z][A-Za-z]*$/, `${setting.key}: a camelCase key`);
          if (setting.default !== undefined)
            assert.equal(checkSettingValue(setting, setting.default), undefined, `${setting.key}'s default is valid`);
          if (setting.flag !== undefined)
            assert.match(setting.flag, /^--[a-z][a-z-]* <[a-z]+>$/, `${setting.key}'s flag`);
          if (setting.values) {
            assert.ok(setting.values.length > 0);
            const refused = checkSettingValue(setting, "no-such-value");
            assert.match(
              refused ?? "",
              new RegExp(`setting "${setting.key}" is "no-such-value"; use one of ${setting.values.join(", ")}`),
            );
            assert.deepEqual(checkDeclaredSettings({ [setting.key]: "no-such-value" }), [refused]);
          }
          if (setting.format === "https-url") {
            // Named by key and rule when read, not by a client library at the first request (issue 25).
            for (const bad of [
              "not-a-url",
              "http://graph.example",
              "file:///etc/passwd",
              "https://user:pw@graph.example",
              "https://graph.example/?x=1",
            ]) {
              assert.match(
                checkSettingValue(setting, bad) ?? "",
                new RegExp(`^setting "${setting.key}" is .*; it must (be an https:// URL|not carry|be a base URL)`),
                bad,
              );
            }
            assert.equal(checkSettingValue(setting, "https://127.0.0.1:8443"), undefined);
          }
          if (setting.format === "tenant-id") {
            for (const bad of ["contoso;rm -rf", "", "a b", "../x"])
              assert.match(checkSettingValue(setting, bad) ?? "", /it must be the directory \(tenant\) id/, bad);
            for (const good of ["contoso.onmicrosoft.com", "0f6a1c1e-7c1b-4a57-9d7c-3f2a2b6f9e10"])
              assert.equal(checkSettingValue(setting, good), undefined);
          }
          if (setting.positiveInteger) {
            for (const bad of ["0", "-3", "many", "1.5"])
              assert.match(checkSettingValue(setting, bad) ?? "", /use a whole number of at least 1/);
            assert.equal(checkSettingValue(setting, "12"), undefined);
          }
        }
      });

      it("reads exactly its declared settings into its typed settings, and describes them", () => {
        const all = [...target.settings, ...(target.members ?? []).flatMap((m) => m.settings)];
        const values = Object.fromEntries(all.map((s) => [s.key, goodValue(s)]));
        const config = recordingConfig({ target: target.name, ...values });
        const read = withoutClientIdVariable(() => readSettings(config));
        assert.equal(read.target.target, target.name);
        for (const setting of all) assert.ok(config.asked.has(setting.key), `${target.name} reads ${setting.key}`);
        assert.equal(typeof describeTarget(read.target), "string");
        assert.ok(describeTarget(read.target).length > 0);
        // Without any value: the defaults, and the required settings asked for through the reader.
        const missing = all.filter((s) => s.default === undefined).map((s) => s.key);
        const definition = findTarget(target.name)!;
        if (missing.length === 0) assert.equal(readSettingsOf(definition, recordingConfig({})).target, target.name);
        else
          assert.throws(
            () => withoutClientIdVariable(() => readSettingsOf(definition, recordingConfig({}))),
            (err: Error) => err instanceof MissingSetting && missing.includes(err.message),
          );
      });

      it("refuses a bad value when it reads the settings, naming the setting and the target", () => {
        const checked = target.settings.filter((s) => s.values || s.positiveInteger || s.format);
        for (const setting of checked) {
          const values = {
            ...Object.fromEntries(target.settings.map((s) => [s.key, goodValue(s)])),
            [setting.key]: "0.5x",
          };
          assert.throws(
            () => withoutClientIdVariable(() => readSettings(recordingConfig({ target: target.name, ...values }))),
            (err: Error) =>
              err instanceof SettingsError &&
              err.message.includes(`setting "${setting.key}" is "0.5x"`) &&
              err.message.includes(`target "${target.name}"`),
          );
        }
      });

      it("declares its capabilities from the port's optional ones, each once", () => {
        assert.equal(new Set(target.capabilities).size, target.capabilities.length);
        for (const capability of target.capabilities) assert.ok(CAPABILITIES.includes(capability), capability);
      });
    });
  }
});

describe("a target's backend", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "mbx-registry-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("the local backend offers what its target declares and describes itself as its target does", async () => {
    const settings: TargetSettings = {
      target: "local",
      database: path.join(dir, "local.sqlite"),
      seed: path.join(PROJECT_ROOT, "tenant/seeds/contoso.yaml"),
    };
    const backend = createBackend(settings, dir);
    try {
      assert.deepEqual(Object.keys(backend.capabilities).sort(), [...findTarget("local")!.capabilities].sort());
      assert.equal(backend.description, describeTarget(settings));
    } finally {
      await backend.close();
    }
  });
});

describe("a spec that needs a capability the target lacks", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "mbx-capability-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let counter = 0;

  /** The local tenant behind a port that offers none of the optional capabilities (as an on-premises directory would). */
  function backends(): { full: TenantBackend; bare: TenantBackend } {
    const settings: TargetSettings = {
      target: "local",
      database: path.join(dir, `t${counter++}.sqlite`),
      seed: path.join(PROJECT_ROOT, "tenant/seeds/contoso.yaml"),
    };
    const full = createBackend(settings, dir);
    const bare: TenantBackend = {
      description: "directory without capabilities",
      capabilities: {},
      readMailboxes: (identities) => full.readMailboxes(identities),
      ownersOf: (addresses) => full.ownersOf(addresses),
      setEmailAddresses: (identity, addresses, before) => full.setEmailAddresses(identity, addresses, before),
      listMailboxes: (next) => full.listMailboxes(next),
      close: () => full.close(),
    };
    return { full, bare };
  }

  async function problems(spec: string, backend: TenantBackend): Promise<string[]> {
    const loaded = loadSpecText("mailboxes.yaml", spec);
    assert.ok(loaded.ok, JSON.stringify(loaded));
    return (await assessSpec(loaded.spec, backend)).problems.map(formatProblem);
  }

  it("cloudManaged: true is a preview error at the mailbox's file:line:col", async () => {
    const spec = [
      "version: 1",
      "allowedDomains: [contoso.com, contoso.onmicrosoft.com]",
      "mailboxes:",
      "  george.hall@contoso.com:",
      "    primary: george.hall@contoso.com",
      "    aliases: [g.hall@contoso.com]",
      "    cloudManaged: true",
      "",
    ].join("\n");
    const { full, bare } = backends();
    try {
      assert.deepEqual(await problems(spec, full), []);
      const refused = await problems(spec, bare);
      assert.equal(refused.length, 1, refused.join("\n"));
      assert.match(refused[0]!, /^mailboxes\.yaml:4:3\b/);
      assert.match(
        refused[0]!,
        /"george\.hall@contoso\.com" has `cloudManaged: true`, but the directory without capabilities cannot move a mailbox's Exchange attributes to the cloud/,
      );
      assert.match(
        refused[0]!,
        new RegExp(
          `a target that can \\(${TARGETS.filter((t) => t.capabilities.includes("cloudManaged"))
            .map((t) => t.name)
            .join(", ")}\\)`,
        ),
      );
    } finally {
      await full.close();
    }
  });

  it("without accepted domains, no domain is refused for not being accepted (allowedDomains still apply)", async () => {
    const spec = [
      "version: 1",
      "allowedDomains: [contoso.com, contoso.onmicrosoft.com, example.org]",
      "mailboxes:",
      "  mark.wilson@contoso.com:",
      "    primary: mark.wilson@contoso.com",
      "    aliases: [mwilson@contoso.com, mark@example.org]",
      "    mode: additive",
      "",
    ].join("\n");
    const { full, bare } = backends();
    try {
      assert.match((await problems(spec, full)).join("\n"), /example\.org/);
      assert.deepEqual(await problems(spec, bare), []);
    } finally {
      await full.close();
    }
  });
});
