// The emulator's directory sync against the proxy calculation rules it cites (./samples.ts,
// SYNC_SAMPLES): each on-premises user's values give the documented cloud proxyAddresses.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { proxyCalculation } from "../../emulator/directory-sync";
import { SYNC_SAMPLES } from "./samples";

describe("fidelity: the emulator's directory sync against KB 3190357's proxy calculation", () => {
  for (const sample of SYNC_SAMPLES) {
    it(`${sample.name} (${sample.source.split(": ").slice(1).join(": ")})`, () => {
      const cloud = proxyCalculation(
        {
          upn: sample.user.upn,
          proxyAddresses: sample.user.proxyAddresses,
          mail: sample.user.mail,
          immutableId: "AAAAAAAAAAAAAAAAAAAAAA==",
          sid: "S-1-5-21-1-2-3-1000",
        },
        "contoso.onmicrosoft.com",
      );
      assert.deepEqual(cloud, sample.cloud);
    });
  }
  it("cloud-stamped X500 entries (Exchange Online's own) are kept across syncs", () => {
    const own = "X500:/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=abc-ada";
    const cloud = proxyCalculation(
      {
        upn: "ada@contoso.com",
        proxyAddresses: ["SMTP:ada@contoso.com"],
        mail: undefined,
        immutableId: "AAAAAAAAAAAAAAAAAAAAAA==",
        sid: "S-1-5-21-1",
      },
      "contoso.onmicrosoft.com",
      [own],
    );
    assert.deepEqual(cloud, ["SMTP:ada@contoso.com", "smtp:ada@contoso.onmicrosoft.com", own]);
  });
});
