// The staged rebrand of docs/POLICIES.md and the README, end to end on the emulator through the
// real pulumi binary (issue 16, "Done when"): a generated tenant of a few hundred mailboxes, three
// spec commits (the new domain as an alias everywhere; as the primary, the old one kept; the
// sign-in name follows), each `up` and each followed by a clean `preview --refresh
// --expect-no-changes`; old addresses still held by their mailbox; UPNs changed in stage three
// only; resources keyed by object id through the UPN change. Then the typo-domain policy adds one
// alias to every mailbox in one `up`.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { EmulatorProcess } from "../../harness/emulator-process";
import { TestStack } from "../../harness/pulumi-stack";
import type { TenantSeed } from "../../tenant/seed-types.generated";

const MAILBOXES = Number(process.env.REBRAND_MAILBOXES ?? 300);
const GIVEN = [
  "Ada",
  "Ben",
  "Chloe",
  "Dev",
  "Eva",
  "Finn",
  "Gia",
  "Hugo",
  "Iris",
  "Jon",
  "Kai",
  "Lena",
  "Milo",
  "Nora",
  "Omar",
  "Pia",
  "Quinn",
  "Rosa",
  "Sami",
  "Tara",
];
const SURNAMES = [
  "Berg",
  "Costa",
  "Dahl",
  "Ek",
  "Fox",
  "Gray",
  "Holm",
  "Ito",
  "Jain",
  "Kerr",
  "Lund",
  "Moss",
  "Nagy",
  "Ortiz",
  "Park",
];

/** A seed of `n` user mailboxes (a few shared ones), each alias unique, on contoso.com. */
function generatedSeed(n: number): TenantSeed {
  const hex = (i: number) => i.toString(16).padStart(12, "0");
  return {
    version: 1,
    tenant: {
      name: "contoso",
      id: "14a088a5-efa8-5004-9b96-806d51f29782",
      moeraDomain: "contoso.onmicrosoft.com",
      acceptedDomains: ["contoso.com", "newbrand.com", "contoos.com", "contoso.onmicrosoft.com"],
    },
    recipients: Array.from({ length: n }, (_, i) => {
      const given = GIVEN[i % GIVEN.length]!;
      const surname = SURNAMES[Math.floor(i / GIVEN.length) % SURNAMES.length]!;
      const alias = `${given}.${surname}${i >= GIVEN.length * SURNAMES.length ? i : ""}`.toLowerCase();
      const shared = i % 25 === 24;
      return {
        id: `00000000-0000-4000-8000-${hex(i + 1)}`,
        upn: `${alias}@contoso.com`,
        displayName: shared ? `Desk ${i}` : `${given} ${surname}`,
        type: shared ? "SharedMailbox" : "UserMailbox",
        attributes: {
          ...(shared ? {} : { givenName: given, surname }),
          mailNickname: alias,
          department: i % 2 === 0 ? "Sales" : "Engineering",
        },
        addresses: [`SMTP:${alias}@contoso.com`, `smtp:${alias}@contoso.onmicrosoft.com`],
      };
    }),
  };
}

const HEAD = `version: 1
allowedDomains: [contoso.com, newbrand.com, contoos.com]
policies:
  - name: newbrand
    match: {all: true}
`;
/** Stage 1: the new domain as an alias everywhere (naming today's primary makes stage 2 revertible). */
const STAGE_1 = `${HEAD}    primary: "%m@contoso.com"
    aliases: ["%m@newbrand.com"]
mailboxes: {}
`;
/** Stage 2: the new domain as the primary; the old primary stays as an alias (keepOldPrimary). */
const STAGE_2 = `${HEAD}    primary: "%m@newbrand.com"
mailboxes: {}
`;
/** Stage 3: the sign-in name follows the primary. */
const STAGE_3 = `${HEAD}    primary: "%m@newbrand.com"
    userPrincipalName: follows-primary
mailboxes: {}
`;
/** And the typo domain: one alias more for every mailbox. */
const TYPO = STAGE_3.replace(
  "mailboxes: {}",
  `  - name: typo-domain
    match: {all: true}
    aliases: ["%m@contoos.com"]
    adds: true
mailboxes: {}`,
);

describe(
  `a staged rebrand of ${MAILBOXES} mailboxes by policy, end to end on the emulator`,
  { timeout: 40 * 60 * 1000 },
  () => {
    let emulator: EmulatorProcess;
    let stack: TestStack;
    let seedDir: string;
    const seed = generatedSeed(MAILBOXES);
    const aliasOf = (id: string) => seed.recipients.find((r) => r.id === id)!.attributes!.mailNickname!;

    before(async () => {
      seedDir = mkdtempSync(path.join(os.tmpdir(), "mbx-rebrand-seed-"));
      const seedFile = path.join(seedDir, "tenant.yaml");
      writeFileSync(seedFile, JSON.stringify(seed));
      emulator = await EmulatorProcess.start({}, { seedFile });
      stack = new TestStack("rebrand", emulator.stackConfig(), emulator.environment());
    });
    after(async () => {
      stack?.dispose();
      await emulator?.stop();
      if (seedDir) rmSync(seedDir, { recursive: true, force: true });
    });

    /** Every user of the tenant: id → UPN and addresses. */
    const users = () =>
      emulator.withTenant((t) =>
        t.list({ usersOnly: true }).map((r) => ({ id: r.id, upn: r.upn!, addresses: r.addresses })),
      );
    const urns = () =>
      (stack.state().checkpoint.latest?.resources ?? [])
        .filter((r) => r.type.includes("MailboxAddresses"))
        .map((r) => r.urn)
        .sort();

    /** Commits a stage: write the spec, up, then the drift gate must be clean. */
    function commit(spec: string): void {
      stack.writeSpec(spec);
      const up = stack.up();
      assert.equal(up.code, 0, up.output.slice(-4000));
      const gate = stack.preview("--refresh", "--expect-no-changes");
      assert.equal(gate.code, 0, `the drift gate after up is not clean:\n${gate.output.slice(-4000)}`);
    }

    it("expand shows what stage 1 gives each mailbox, from which policy", () => {
      stack.writeSpec(STAGE_1);
      const expanded = stack.cli(["expand", "--stack", stack.stack]);
      assert.equal(expanded.code, 0, expanded.output);
      assert.match(
        expanded.stdout,
        new RegExp(`^# Expanded from .*: ${MAILBOXES} mailboxes \\(${MAILBOXES} by policies, 0 explicit\\)\\.$`, "m"),
      );
      assert.match(expanded.stdout, /- "ada\.berg@newbrand\.com" {2}# newbrand$/m);
      const plan = stack.cli(["plan", "--json"]);
      assert.equal(plan.code, 2, plan.output.slice(-2000));
      const report = JSON.parse(plan.stdout) as { mailboxes: { policy?: string; upn?: string; added: string[] }[] };
      assert.equal(report.mailboxes.length, MAILBOXES);
      assert.ok(
        report.mailboxes.every((r) => r.policy === "newbrand" && r.upn !== undefined && r.added.length === 1),
        "every row names its policy and UPN, and adds one alias",
      );
    });

    it("stage 1: the new domain as an alias everywhere; primaries and UPNs unchanged", () => {
      const before = users();
      commit(STAGE_1);
      const now = users();
      assert.equal(urns().length, MAILBOXES);
      for (const user of now) {
        const alias = aliasOf(user.id);
        assert.ok(user.addresses.includes(`SMTP:${alias}@contoso.com`), `${user.upn}: ${user.addresses.join(" ")}`);
        assert.ok(user.addresses.includes(`smtp:${alias}@newbrand.com`), `${user.upn}: ${user.addresses.join(" ")}`);
        assert.equal(user.upn, before.find((b) => b.id === user.id)!.upn);
      }
    });

    it("stage 2: the new domain as the primary, the old primary kept as an alias; UPNs unchanged", () => {
      const before = urns();
      commit(STAGE_2);
      assert.deepEqual(urns(), before, "the same resources");
      for (const user of users()) {
        const alias = aliasOf(user.id);
        assert.ok(user.addresses.includes(`SMTP:${alias}@newbrand.com`), `${user.upn}: ${user.addresses.join(" ")}`);
        assert.ok(
          user.addresses.includes(`smtp:${alias}@contoso.com`),
          `old primary kept: ${user.addresses.join(" ")}`,
        );
        assert.equal(user.upn, `${alias}@contoso.com`);
      }
      // Mail to the old address keeps arriving: it still belongs to the same mailbox.
      emulator.withTenant((t) => {
        for (const user of users()) assert.equal(t.ownerOf(`${aliasOf(user.id)}@contoso.com`)?.id, user.id);
      });
    });

    it("stage 3: the sign-in names follow the primary (Graph PATCH), every resource kept (keyed by object id), old addresses still held", () => {
      const before = urns();
      commit(STAGE_3);
      assert.deepEqual(urns(), before, "no resource replaced by the UPN change");
      for (const user of users()) {
        const alias = aliasOf(user.id);
        assert.equal(user.upn, `${alias}@newbrand.com`);
        assert.ok(
          user.addresses.includes(`smtp:${alias}@contoso.com`),
          `old UPN and primary kept as an alias: ${user.addresses.join(" ")}`,
        );
        assert.ok(user.addresses.includes(`smtp:${alias}@contoso.onmicrosoft.com`), "the MOERA kept");
      }
    });

    it("a sign-in name changed by hand is drift (drift and preview agree), and up puts it back", () => {
      const user = users()[0]!;
      const alias = aliasOf(user.id);
      emulator.withTenant((t) => void t.setUserPrincipalName(user.id, `${alias}@contoso.com`));
      const drift = stack.cli(["drift", "--json"]);
      assert.equal(drift.code, 2, drift.output.slice(-2000));
      const rows = (
        JSON.parse(drift.stdout) as {
          mailboxes: { identity: string; change: string; userPrincipalName?: { from: string; to: string } }[];
        }
      ).mailboxes.filter((r) => r.change !== "none");
      assert.deepEqual(
        rows,
        [
          {
            identity: user.id,
            change: "drift",
            added: [],
            removed: [],
            problems: [],
            userPrincipalName: { from: `${alias}@contoso.com`, to: `${alias}@newbrand.com` },
          },
        ].map((r) => ({
          ...rows[0],
          ...r,
        })),
      );
      assert.equal(stack.preview("--refresh", "--expect-no-changes").code === 0, false, "preview sees the same change");
      const accept = stack.cli(["accept", user.id]);
      assert.equal(accept.code, 1, accept.output);
      assert.match(accept.stderr, /a mailbox a policy manages is accepted by changing the policy/);
      commit(STAGE_3);
      assert.equal(users().find((u) => u.id === user.id)!.upn, `${alias}@newbrand.com`);
    });

    it("the typo-domain policy adds one alias to every mailbox in one up", () => {
      const before = new Map(users().map((u) => [u.id, u.addresses.length]));
      commit(TYPO);
      for (const user of users()) {
        assert.equal(user.addresses.length, before.get(user.id)! + 1, user.upn);
        assert.ok(user.addresses.includes(`smtp:${aliasOf(user.id)}@contoos.com`));
      }
    });
  },
);
