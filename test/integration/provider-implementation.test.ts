// The provider's methods called directly on the local target: what a refused write reports at
// apply time (a change made after the preview's checks), and what read() returns for drift.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { before, describe, it } from "node:test";
import { desiredAddressMap } from "../../core/plan/address-map";
import * as provider from "../../providers/mailbox-addresses/implementation";
import type { MailboxAddressesInputs, MailboxAddressesOutputs } from "../../providers/mailbox-addresses/inputs";
import { PROJECT_ROOT } from "../../harness/pulumi-stack";
import { Tenant } from "../../tenant/tenant";

describe("provider implementation on the local target", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "mbx-provider-"));
  const specFile = path.join(dir, "mailboxes.yaml");
  // The stack config the engine passes to configure: keys namespaced by the project.
  const config: Record<string, string> = {
    "mailbox-addresses:spec": specFile,
    "mailbox-addresses:target": "local",
    "mailbox-addresses:localDatabase": path.join(dir, "tenant.sqlite"),
    "mailbox-addresses:localSeed": path.join(PROJECT_ROOT, "tenant/seeds/contoso.yaml"),
  };
  const inputs = (overrides: { identity?: string; aliases?: string[] } = {}): MailboxAddressesInputs => ({
    identity: overrides.identity ?? "lee.chen@contoso.com",
    addresses: desiredAddressMap({
      primary: "lee.chen@contoso.com",
      aliases: overrides.aliases ?? ["lee.chen@fabrikam.com"],
    }),
    mode: "strict",
  });

  before(async () => {
    writeFileSync(
      specFile,
      "version: 1\nallowedDomains: [contoso.com, fabrikam.com]\nmailboxes:\n  lee.chen@contoso.com:\n    primary: lee.chen@contoso.com\n    aliases:\n      - lee.chen@fabrikam.com\n      - press@fabrikam.com\n",
    );
    // The project this provider serves is the temp folder: the spec setting must name a file inside it.
    process.env.MAILBOX_ADDRESSES_ROOT = dir;
    await provider.configure({ get: (key) => config[key] });
  });

  it("a write Exchange refuses names the spec's place, the mailbox, the owner and what to do", async () => {
    await assert.rejects(
      provider.create(inputs({ aliases: ["lee.chen@fabrikam.com", "press@fabrikam.com"] })),
      (err: Error) => {
        assert.match(
          err.message,
          new RegExp(
            `^${specFile.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}:8:9: mailbox "lee\\.chen@contoso\\.com": Exchange refused the change: The proxy address "smtp:press@fabrikam\\.com" is already being used by the proxy addresses or LegacyExchangeDN of "Press Office \\(agency\\)"`,
          ),
        );
        assert.match(err.message, /what to do: remove "press@fabrikam\.com" from "Press Office \(agency\)" first/);
        return true;
      },
    );
  });

  it("with the release lag on, a real holder is refused at once, never waited for: a recipient, and a soft-deleted mailbox named with its remedies", async () => {
    Tenant.withFile(config["mailbox-addresses:localDatabase"]!, (t) => t.setAddressReleaseLagMs(3_600_000));
    try {
      await assert.rejects(
        provider.create(inputs({ aliases: ["lee.chen@fabrikam.com", "press@fabrikam.com"] })),
        /already being used by the proxy addresses or LegacyExchangeDN of "Press Office \(agency\)"/,
      );
      await assert.rejects(
        provider.create(inputs({ aliases: ["lee.chen@fabrikam.com", "olivia@fabrikam.com"] })),
        (err: Error) => {
          assert.match(
            err.message,
            /Exchange refused the change: The proxy address "smtp:olivia@fabrikam\.com" is already being used by the proxy addresses or LegacyExchangeDN\. Please choose another proxy address\./,
          );
          assert.match(
            err.message,
            /what to do: restore the mailbox .*purge it \(Remove-Mailbox "Olivia Former" -PermanentlyDelete.*or wait until \d{4}-\d\d-\d\d/,
          );
          return true;
        },
      );
    } finally {
      Tenant.withFile(config["mailbox-addresses:localDatabase"]!, (t) => t.setAddressReleaseLagMs(0));
    }
  });

  it("create adopts the mailbox with one write; read projects drift into inputs", async () => {
    const created = await provider.create(inputs());
    assert.equal(created.id, "d52bb218-dc83-56f4-a5e0-05b91b58d78b");
    assert.deepEqual(created.outs.addresses, {
      "lee.chen@contoso.com": "SMTP:lee.chen@contoso.com",
      "lee.chen@fabrikam.com": "smtp:lee.chen@fabrikam.com",
    });
    assert.deepEqual(
      created.outs.kept,
      { "lee.chen@contoso.onmicrosoft.com": "smtp:lee.chen@contoso.onmicrosoft.com" },
      "the MOERA is recorded as kept",
    );
    // Nothing the state holds elsewhere (the object id is the resource's id), nothing nobody reads
    // (display name, kind), no `applied` (the live list, after a write), no UPN (it is the key).
    assert.deepEqual(Object.keys(created.outs).sort(), ["addresses", "identity", "kept", "mode"]);
    const read = await provider.read(created.id, created.outs as MailboxAddressesOutputs);
    assert.deepEqual(read.inputs?.addresses, created.outs.addresses);
    const diff = await provider.diff(created.id, created.outs as MailboxAddressesOutputs, inputs());
    assert.equal(diff.changes, false);
    // A change is left to the engine's key-by-key diff of the inputs ("unknown"), which names the address.
    const changed = await provider.diff(created.id, created.outs as MailboxAddressesOutputs, inputs({ aliases: [] }));
    assert.equal(changed.changes, undefined);
  });

  it("a mailbox that is not in the tenant is reported with the remedy", async () => {
    await assert.rejects(
      provider.create(inputs({ identity: "ghost@contoso.com" })),
      /mailbox "ghost@contoso\.com": not found in the local tenant .*what to do: check the identity/s,
    );
  });
});
