// The active-directory target: on-premises Active Directory over LDAPS (./active-directory-backend.ts),
// where directory-synced mailboxes are written: alone (`target: active-directory`, AD without a
// cloud tenant) or as a member of ../hybrid/ (with exchange-online). The bind account: the stack
// settings adBindDn and adBindPassword (a Pulumi secret: `pulumi config set --secret`), else
// MAILBOX_ADDRESSES_AD_BIND_DN / _PASSWORD at call time; never in state or outputs.
import { isAbsolute, resolve } from "node:path";
import type { TargetDefinition } from "../target-definition";

/** Settings of the active-directory target. */
export interface ActiveDirectoryTargetSettings {
  readonly target: "active-directory";
  readonly url: string;
  /** The CA file as set (relative to the project directory, or absolute). */
  readonly caFile: string;
  readonly baseDn: string;
  readonly tlsServerName: string | undefined;
  readonly readStrategy: "auto" | "filter" | "scan";
  /** The bind account, when the stack sets it; else the environment's. */
  readonly bindDn: string | undefined;
  /** Its password, a Pulumi secret (decrypted by the engine); else the environment's. */
  readonly bindPassword: string | undefined;
}

export const activeDirectoryTarget: TargetDefinition<ActiveDirectoryTargetSettings> = {
  name: "active-directory",
  summary: "on-premises Active Directory over LDAPS (proxyAddresses and mail of synced users)",
  settings: [
    { key: "adUrl", meaning: "the domain controller's LDAPS address, e.g. ldaps://dc1.corp.contoso.com:636" },
    {
      key: "adCaFile",
      meaning: "PEM file of the CA that issued the domain controller's certificate (always verified)",
    },
    { key: "adBaseDn", meaning: "where users are looked for, e.g. DC=corp,DC=contoso,DC=com or an OU" },
    {
      key: "adTlsServerName",
      meaning: "the name the certificate carries, when adUrl uses another (an IP address, an alias)",
    },
    {
      key: "adReadStrategy",
      meaning: "how many users are read: auto, filter (OR filters of 1,000) or scan (one paged search)",
      default: "auto",
      values: ["auto", "filter", "scan"],
    },
    { key: "adBindDn", meaning: "the bind account, a DN or user@REALM (else MAILBOX_ADDRESSES_AD_BIND_DN)" },
    {
      key: "adBindPassword",
      meaning:
        "the bind account's password, set as a secret: pulumi config set --secret (else MAILBOX_ADDRESSES_AD_BIND_PASSWORD)",
    },
  ],
  readSettings: (config) => ({
    target: "active-directory",
    url: config.value("adUrl"),
    caFile: config.value("adCaFile"),
    baseDn: config.value("adBaseDn"),
    tlsServerName: config.optional("adTlsServerName"),
    readStrategy: config.choice("adReadStrategy", ["auto", "filter", "scan"] as const),
    bindDn: config.optional("adBindDn"),
    bindPassword: config.optional("adBindPassword"),
  }),
  describe: (settings) => `Active Directory ${settings.url} (${settings.baseDn})`,
  // AD keeps no accepted-domain list, and a synced mailbox is written here, not taken over.
  capabilities: [],
  create: (settings, context) => {
    // Required here, not at the top: `validate` and `--help` never load the LDAP client.
    const { ActiveDirectoryBackend } =
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load, as the other targets do
      require("./active-directory-backend") as typeof import("./active-directory-backend");
    return new ActiveDirectoryBackend({
      url: settings.url,
      caFile: isAbsolute(settings.caFile) ? settings.caFile : resolve(context.baseDir, settings.caFile),
      baseDn: settings.baseDn,
      readStrategy: settings.readStrategy,
      ...(settings.tlsServerName ? { tlsServerName: settings.tlsServerName } : {}),
      ...(settings.bindDn ? { bindDn: settings.bindDn } : {}),
      ...(settings.bindPassword ? { bindPassword: settings.bindPassword } : {}),
    });
  },
};
