// The hybrid target: one stack, two places a mailbox's addresses are written. Synced mailboxes
// (onPremisesSyncEnabled, not cloud-managed) are written where they are mastered, in on-premises
// Active Directory; cloud-only and `cloudManaged` ones in Exchange Online; the cloud is read for
// all, AD for the synced ones (./hybrid-backend.ts). Its settings are its members' own keys, read
// by each member: `target: hybrid` plus the exchange-online keys (tenantId, clientId, …) and the
// active-directory keys (adUrl, adCaFile, adBaseDn, …). No secret among them: AZURE_* and
// MAILBOX_ADDRESSES_AD_BIND_DN / _PASSWORD come from the environment at call time.
import { activeDirectoryTarget, type ActiveDirectoryTargetSettings } from "../active-directory/target";
import { exchangeOnlineTarget, type ExchangeOnlineTargetSettings } from "../exchange-online/target";
import { readTargetSettings, type TargetDefinition } from "../target-definition";

/** Settings of the hybrid target: each member's, read with its own definition. */
export interface HybridTargetSettings {
  readonly target: "hybrid";
  readonly members: readonly [ExchangeOnlineTargetSettings, ActiveDirectoryTargetSettings];
}

/** A member's settings read from the stack's values, with the member's own `target` name. */
const asMember = <S extends { readonly target: string }>(
  definition: TargetDefinition<S>,
  source: { get(key: string): string | undefined; require(key: string): string },
): S =>
  readTargetSettings(definition, {
    get: (key) => (key === "target" ? definition.name : source.get(key)),
    require: (key) => source.require(key),
  });

export const hybridTarget: TargetDefinition<HybridTargetSettings> = {
  name: "hybrid",
  summary:
    "Exchange Online and on-premises Active Directory together: synced mailboxes written in AD, the others in Exchange Online",
  // Its members' keys are declared by the members (keys are unique across targets).
  settings: [],
  members: [exchangeOnlineTarget, activeDirectoryTarget],
  readSettings: (config) => ({
    target: "hybrid",
    members: [asMember(exchangeOnlineTarget, config.source), asMember(activeDirectoryTarget, config.source)],
  }),
  describe: (settings) =>
    `${exchangeOnlineTarget.describe(settings.members[0])} with ${activeDirectoryTarget.describe(settings.members[1])}`,
  // cloudManaged and acceptedDomains come from Exchange Online.
  capabilities: ["acceptedDomains", "cloudManaged", "policyAttributes", "userPrincipalName"],
  create: (settings, context) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load, as the other targets do
    const { HybridBackend } = require("./hybrid-backend") as typeof import("./hybrid-backend");
    return new HybridBackend(
      exchangeOnlineTarget.create(settings.members[0], context),
      activeDirectoryTarget.create(
        settings.members[1],
        context,
      ) as import("../active-directory/active-directory-backend").ActiveDirectoryBackend,
    );
  },
};
