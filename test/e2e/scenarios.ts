// The end-to-end scenarios, run on the real pulumi binary against each target (the local tenant,
// and the exchange-online target pointed at the emulator): the example spec converges, drift
// shows and is repaired, spec changes write once per changed mailbox, moves and swaps converge in
// one `up`, problems stop the preview before any write, X500/SIP/MOERA entries survive everything.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { addressKey, isMicrosoftRoutingAddress, parseProxyAddress } from "../../core/address";
import { loadSpecText } from "../../core/desired/load-spec";
import { loadSeedFile } from "../../tenant/load-seed";
import type { Tenant } from "../../tenant/tenant";
import { PROJECT_ROOT, type TestStack } from "../../harness/pulumi-stack";
import { assertPreviewPlanAndTenantAgree, specIdentities } from "./agreement";

/** A target the scenarios run against. */
export interface EndToEndTarget {
  readonly stack: TestStack;
  /** Gives the test the target's tenant model (to look, and to count writes). */
  withTenant<T>(work: (tenant: Tenant) => T): T;
  /** Changes a mailbox outside git, as an admin's hand would. */
  addByHand(identity: string, entries: readonly string[]): void;
  /** A value that must never appear in the state (the credential the run used). */
  readonly secret: string;
  dispose(): Promise<void>;
}

const EXAMPLE_SPEC = readFileSync(path.join(PROJECT_ROOT, "infra/mailboxes.yaml"), "utf8");
const SEED = loadSeedFile();

/** Entries that must never be lost: non-SMTP and Microsoft routing addresses, per recipient. */
const PRESERVED = new Map(
  SEED.recipients.map((r) => [
    r.id,
    r.addresses.filter((e) => {
      const p = parseProxyAddress(e);
      return p.kind === "other" || isMicrosoftRoutingAddress(p.value);
    }),
  ]),
);

const smtpSet = (list: readonly string[]) =>
  new Set(
    list
      .map(parseProxyAddress)
      .filter((p) => p.kind === "smtp")
      .map((p) => addressKey(p.value)),
  );
const primaryKey = (list: readonly string[]) =>
  addressKey(parseProxyAddress(list.find((e) => e.startsWith("SMTP:"))!).value);

export function defineEndToEndScenarios(title: string, makeTarget: () => Promise<EndToEndTarget>): void {
  describe(title, () => {
    let target: EndToEndTarget;
    let stack: TestStack;

    before(async () => {
      target = await makeTarget();
      stack = target.stack;
    });
    after(() => target?.dispose());

    /** Every X500/SIP/SPO and MOERA entry of the seed is still on its recipient. */
    function assertPreservedEntriesSurvive(): void {
      target.withTenant((tenant) => {
        for (const [id, entries] of PRESERVED) {
          const now = tenant.find(id)!.addresses;
          for (const entry of entries) {
            const p = parseProxyAddress(entry);
            const kept = p.kind === "other" ? now.includes(entry) : smtpSet(now).has(addressKey(p.value));
            assert.ok(kept, `${entry} was lost from ${id}`);
          }
        }
        // ...and in every list ever written, not only the last one.
        for (const write of tenant.writes()) {
          for (const entry of PRESERVED.get(write.recipientId) ?? []) {
            const p = parseProxyAddress(entry);
            const kept =
              p.kind === "other" ? write.after.includes(entry) : smtpSet(write.after).has(addressKey(p.value));
            assert.ok(kept, `write #${write.seq} (${write.operation}) dropped ${entry}`);
          }
        }
      });
    }

    /** The tenant holds exactly what the spec says for each mailbox, plus what is preserved. */
    function assertTenantMatches(specText: string): void {
      const result = loadSpecText("spec", specText);
      assert.ok(result.ok);
      target.withTenant((tenant) => {
        for (const mailbox of result.spec.mailboxes) {
          const live = tenant.find(mailbox.identity)!.addresses;
          assert.equal(primaryKey(live), addressKey(mailbox.primary), `primary of ${mailbox.identity}`);
          for (const alias of mailbox.aliases)
            assert.ok(smtpSet(live).has(addressKey(alias)), `${mailbox.identity} lacks ${alias}`);
          if (mailbox.mode === "strict") {
            const allowed = new Set([mailbox.primary, ...mailbox.aliases].map(addressKey));
            for (const key of smtpSet(live)) {
              assert.ok(allowed.has(key) || key.endsWith(".onmicrosoft.com"), `${mailbox.identity} still has ${key}`);
            }
          }
        }
      });
    }

    const writeCount = () => target.withTenant((t) => t.writes().length);
    /** preview --diff, plan --json and the tenant after up agree (test/e2e/agreement.ts); runs the up. */
    const agree = (specText: string) =>
      assertPreviewPlanAndTenantAgree(stack, (work) => target.withTenant(work), specIdentities(specText));

    it("up creates: converges the seeded tenant to the example spec", () => {
      stack.writeSpec(EXAMPLE_SPEC);
      const result = stack.up();
      assert.equal(result.code, 0, result.output);
      // Exactly 9: the 8 mailboxes of the example spec and the stack itself (pulumi:pulumi:Stack,
      // created by a stack's first up and counted in the summary; the default provider is not).
      const mailboxes = (EXAMPLE_SPEC.match(/^ {2}[^\s#][^:]*@[^:]*:/gm) ?? []).length;
      assert.equal(mailboxes, 8);
      assert.match(result.output, new RegExp(`^Resources:\\n\\s+\\+ ${mailboxes + 1} created\\n`, "m"));
      const created = new Set([...result.output.matchAll(/^ \+ +(\S+) (\S+) created/gm)].map((m) => `${m[1]} ${m[2]}`));
      assert.equal(
        [...created].filter((c) => c.startsWith("pulumi-nodejs:dynamic/mailbox:MailboxAddresses ")).length,
        mailboxes,
      );
      assert.equal([...created].filter((c) => c.startsWith("pulumi:pulumi:Stack ")).length, 1);
      assertTenantMatches(EXAMPLE_SPEC);
      assertPreservedEntriesSurvive();
    });

    it("preview --expect-no-changes passes right after up, and writes nothing", () => {
      const before = writeCount();
      const result = stack.preview("--expect-no-changes");
      assert.equal(result.code, 0, result.output);
      assert.equal(writeCount(), before);
    });

    it("a second up changes nothing and writes nothing", () => {
      const before = writeCount();
      const result = stack.up();
      assert.equal(result.code, 0, result.output);
      assert.doesNotMatch(result.output, /updated|created/);
      assert.equal(writeCount(), before);
    });

    it("drift made by hand (tenant set) fails preview --refresh --expect-no-changes, naming the mailbox and the address", () => {
      target.addByHand("mark.wilson@contoso.com", ["smtp:rogue@contoso.com"]);
      const before = writeCount();
      const result = stack.preview("--refresh", "--expect-no-changes", "--diff");
      assert.notEqual(result.code, 0, "drift must fail the gate");
      assert.match(result.output, /mark\.wilson@contoso\.com/);
      assert.match(result.output, /rogue@contoso\.com/);
      assert.match(result.output, /no changes were expected/);
      assert.equal(writeCount(), before, "a preview never writes");
    });

    it("up repairs the drift (every preview and up refresh first), as its preview and plan said", () => {
      agree(EXAMPLE_SPEC);
      target.withTenant((t) =>
        assert.ok(!smtpSet(t.find("mark.wilson@contoso.com")!.addresses).has("rogue@contoso.com")),
      );
      assert.equal(stack.preview("--refresh", "--expect-no-changes").code, 0);
      assertPreservedEntriesSurvive();
    });

    it("an edit yields an update: one write per changed mailbox, none for the others", () => {
      const spec = EXAMPLE_SPEC.replace(
        "aliases: [lee.chen@fabrikam.com]",
        "aliases: [lee.chen@fabrikam.com, lchen@fabrikam.com]",
      ) // add an alias
        .replace("aliases: [helpdesk@contoso.com, support@fabrikam.com]", "aliases: [support@fabrikam.com]") // remove one
        .replace(
          "primary: info@contoso.com\n    aliases: [hello@contoso.com]",
          "primary: info@fabrikam.com\n    aliases: [info@contoso.com, hello@contoso.com]",
        ); // switch a primary
      assert.notEqual(spec, EXAMPLE_SPEC);
      stack.writeSpec(spec);
      const before = target.withTenant((t) => t.writes().length);
      const { preview, up: result } = agree(spec);
      assert.match(preview.output, /lchen@fabrikam\.com/);
      assert.match(result.output, /3 updated/);
      const writes = target.withTenant((t) => t.writes().slice(before));
      const byRecipient = target.withTenant((t) => writes.map((w) => t.find(w.recipientId)!.upn).sort());
      assert.deepEqual(byRecipient, ["info@contoso.com", "lee.chen@contoso.com", "support@contoso.com"]);
      assertTenantMatches(spec);
      assertPreservedEntriesSurvive();
      stack.writeSpec(EXAMPLE_SPEC);
      assert.equal(stack.up().code, 0);
    });

    it("an alias moved between mailboxes and a primary swap converge in one up, losing nothing", () => {
      const spec = EXAMPLE_SPEC.replace(
        // orders@ moves from the (additive) shared mailbox Sales to Support
        "aliases: [sales@contoso.com, orders@contoso.com]",
        "aliases: [sales@contoso.com]",
      )
        .replace(
          "aliases: [helpdesk@contoso.com, support@fabrikam.com]",
          "aliases: [helpdesk@contoso.com, support@fabrikam.com, orders@contoso.com]",
        )
        // Anna and Lee swap primaries
        .replace("primary: anna.kowalski@fabrikam.com", "primary: lee.chen@contoso.com")
        .replace(
          "primary: lee.chen@contoso.com\n    aliases: [lee.chen@fabrikam.com]",
          "primary: anna.kowalski@fabrikam.com\n    aliases: [lee.chen@fabrikam.com]",
        );
      stack.writeSpec(spec);
      const before = writeCount();
      agree(spec);
      assertTenantMatches(spec);
      assertPreservedEntriesSurvive();
      target.withTenant((t) => {
        const writes = t.writes().slice(before);
        // Every moved address, once removed from its giver, is on its taker by the end; the tenant
        // refused any write that would have put one address on two mailboxes.
        assert.ok(smtpSet(t.find("support@contoso.com")!.addresses).has("orders@contoso.com"));
        assert.ok(!smtpSet(t.find("sales@contoso.com")!.addresses).has("orders@contoso.com"));
        assert.ok(
          smtpSet(t.find("sales@contoso.com")!.addresses).has("quotes@contoso.com"),
          "additive mode keeps quotes@",
        );
        // Anna: release (drops her primary), then the final write: two writes; the rest one each.
        const perRecipient = new Map<string, number>();
        for (const w of writes) perRecipient.set(w.recipientId, (perRecipient.get(w.recipientId) ?? 0) + 1);
        assert.deepEqual([...perRecipient.values()].sort(), [1, 1, 1, 2]);
      });
      const after = stack.preview("--expect-no-changes");
      assert.equal(after.code, 0, after.output);
    });

    it("a re-cased primary and alias with an added alias: preview, plan and up agree; the mailbox keeps its spelling, shown, never announced as written", () => {
      // Exchange keeps the spelling an address has (exchange/exchange-rules.ts applyAddRemove).
      const spec = EXAMPLE_SPEC.replace("primary: mark.wilson@fabrikam.com", "primary: Mark.Wilson@fabrikam.com")
        .replace("      - mwilson@fabrikam.com\n", "      - mwilson@fabrikam.com\n      - mw@fabrikam.com\n")
        .replace("aliases: [lee.chen@fabrikam.com]", "aliases: [Lee.Chen@fabrikam.com]");
      assert.notEqual(spec, EXAMPLE_SPEC);
      stack.writeSpec(EXAMPLE_SPEC);
      agree(EXAMPLE_SPEC);
      stack.writeSpec(spec);
      const { plan, changed } = agree(spec);
      assert.deepEqual(changed, ["mark.wilson@contoso.com"], "the re-case alone writes nothing");
      const mark = plan.mailboxes.find((m) => m.identity === "mark.wilson@contoso.com")!;
      assert.deepEqual(mark.added, ["mw@fabrikam.com"]);
      assert.deepEqual(mark.caseKept, [{ spec: "Mark.Wilson@fabrikam.com", tenant: "mark.wilson@fabrikam.com" }]);
      target.withTenant((t) => {
        assert.ok(t.find("mark.wilson@contoso.com")!.addresses.includes("SMTP:mark.wilson@fabrikam.com"));
        assert.ok(t.find("lee.chen@contoso.com")!.addresses.includes("smtp:lee.chen@fabrikam.com"));
      });
      // The case-only difference is neither a change nor drift: the next preview is clean.
      const again = stack.preview("--expect-no-changes", "--diff");
      assert.equal(again.code, 0, again.output);
      stack.writeSpec(EXAMPLE_SPEC);
      agree(EXAMPLE_SPEC);
    });

    it("the MOERA listed as the primary, then dropped from the spec: preview shows it demoted to an alias, as the tenant keeps it", () => {
      const moera = "mark.wilson@contoso.onmicrosoft.com";
      const spec = EXAMPLE_SPEC.replace(
        "primary: mark.wilson@fabrikam.com\n    aliases:\n",
        `primary: ${moera}\n    aliases:\n      - mark.wilson@fabrikam.com\n`,
      );
      assert.notEqual(spec, EXAMPLE_SPEC);
      stack.writeSpec(spec);
      agree(spec);
      target.withTenant((t) => assert.ok(t.find("mark.wilson@contoso.com")!.addresses.includes(`SMTP:${moera}`)));
      stack.writeSpec(EXAMPLE_SPEC);
      const { preview } = agree(EXAMPLE_SPEC);
      assert.doesNotMatch(preview.output, /- mark\.wilson@contoso\.onmicrosoft\.com/);
      assert.match(
        preview.output,
        /~ mark\.wilson@contoso\.onmicrosoft\.com\s*: "SMTP:mark\.wilson@contoso\.onmicrosoft\.com" => "smtp:mark\.wilson@contoso\.onmicrosoft\.com"/,
      );
      target.withTenant((t) => assert.ok(t.find("mark.wilson@contoso.com")!.addresses.includes(`smtp:${moera}`)));
      assert.equal(stack.preview("--expect-no-changes").code, 0);
    });

    it("an alias owned by a recipient outside the spec fails at preview, naming the owner; nothing is written", () => {
      const spec = EXAMPLE_SPEC.replace(
        "      - mwilson@fabrikam.com\n",
        "      - mwilson@fabrikam.com\n      - press@fabrikam.com\n",
      );
      stack.writeSpec(spec);
      const before = writeCount();
      const preview = stack.preview();
      assert.notEqual(preview.code, 0);
      assert.match(
        preview.output,
        /mailboxes\.yaml:\d+:\d+: mailboxes\["mark\.wilson@contoso\.com"\]\.aliases\[2\]: alias "press@fabrikam\.com" already belongs to mail contact "Press Office \(agency\)"/,
      );
      const up = stack.up();
      assert.notEqual(up.code, 0);
      assert.equal(writeCount(), before);
    });

    it("a synced mailbox gives the write-scope error and the remedy at preview; cloudManaged: true fixes it", () => {
      const spec = `${EXAMPLE_SPEC}\n  george.hall@contoso.com:\n    primary: george.hall@fabrikam.com\n    aliases: [george.hall@contoso.com]\n`;
      stack.writeSpec(spec);
      const before = writeCount();
      const preview = stack.preview();
      assert.notEqual(preview.code, 0);
      assert.match(
        preview.output,
        /mailboxes\["george\.hall@contoso\.com"\]: The operation on mailbox "george\.hall@contoso\.com" failed because it's out of the current user's write scope/,
      );
      assert.match(preview.output, /cloudManaged: true/);
      assert.equal(writeCount(), before);

      stack.writeSpec(
        spec.replace(
          "aliases: [george.hall@contoso.com]\n",
          "aliases: [george.hall@contoso.com]\n    cloudManaged: true\n",
        ),
      );
      const up = stack.up();
      assert.equal(up.code, 0, up.output);
      target.withTenant((t) => {
        const george = t.find("george.hall@contoso.com")!;
        assert.equal(george.cloudManaged, true);
        assert.equal(primaryKey(george.addresses), "george.hall@fabrikam.com");
      });
      assertPreservedEntriesSurvive();
    });

    it("removing a mailbox from the spec releases it untouched", () => {
      stack.writeSpec(EXAMPLE_SPEC.replace(/\n {2}info@contoso\.com:\n.*\n.*\n/, "\n"));
      const info = target.withTenant((t) => t.find("info@contoso.com")!.addresses);
      const before = writeCount();
      const result = stack.up();
      assert.equal(result.code, 0, result.output);
      assert.match(result.output, /deleted/);
      target.withTenant((t) => {
        assert.deepEqual(t.find("info@contoso.com")!.addresses, info);
        assert.equal(
          t
            .writes()
            .slice(before)
            .filter((w) => w.recipientId === t.find("info@contoso.com")!.id).length,
          0,
        );
      });
    });

    it("the state holds no credential and a small serialized provider", () => {
      const state = stack.state();
      const resources = (state.checkpoint.latest?.resources ?? []).filter((r) => r.type.includes("MailboxAddresses"));
      assert.ok(resources.length > 0);
      for (const r of resources) {
        const provider = String(r.inputs?.__provider ?? "");
        // Two copies per resource (inputs, outputs), at most 4.5 KB together (measured 2 × 2,285 bytes).
        // This repository's own program stores the serialized lines; an installed package stores
        // `require("mailbox-addresses/provider")` (test/e2e/consumer-package.test.ts).
        assert.ok(
          provider.length > 0 && 2 * provider.length <= 4608,
          `__provider is 2 × ${provider.length} bytes per resource`,
        );
        assert.doesNotMatch(provider, /require\("mailbox-addresses\/provider"\)/);
        assert.equal(r.inputs?.target, undefined, "no tenant settings in a resource's inputs");
        assert.equal(r.outputs?.__provider, provider);
      }
      // Every pulumi run had a secret in AZURE_CLIENT_SECRET: it must be nowhere in the state.
      assert.ok(!stack.stateText().includes(target.secret));
      assert.doesNotMatch(stack.stateText(), /client_?secret|password|BEGIN (RSA )?PRIVATE KEY/i);
    });

    it("destroy releases every mailbox without writing", () => {
      const before = target.withTenant((t) => t.list().map((r) => [r.id, r.addresses]));
      const writes = writeCount();
      const result = stack.run(["destroy", "--yes", "--skip-preview"]);
      assert.equal(result.code, 0, result.output);
      assert.match(result.output, /deleted/);
      assert.equal(writeCount(), writes);
      assert.deepEqual(
        target.withTenant((t) => t.list().map((r) => [r.id, r.addresses])),
        before,
      );
      assert.equal((stack.state().checkpoint.latest?.resources ?? []).length, 0);
    });
  });
}
