// PowerShell's parameter binding for the cmdlets the emulator serves: what Exchange does with a
// parameter before the cmdlet runs. An unknown parameter, a string where a Boolean is expected,
// or a value that does not convert to a ProxyAddressCollection is refused with PowerShell's
// ParameterBindingException texts, as the admin API relays them; never silently ignored.
// Source of the texts: PowerShell's ParameterBinderStrings (about_Parameters; the messages every
// PowerShell user sees), e.g. https://learn.microsoft.com/powershell/module/microsoft.powershell.core/about/about_parameters
import { parseProxyAddress } from "../core/address";

/** One refused parameter: the exception type and its text. */
export interface BindingRefusal {
  readonly exceptionType: string;
  readonly message: string;
}

const BINDING = "System.Management.Automation.ParameterBindingException";

/** The parameters each served cmdlet takes (PowerShell's common parameters are accepted too). */
const COMMON = ["ErrorAction", "WarningAction", "Confirm", "WhatIf", "Verbose", "Debug"];
// Sources: each cmdlet's page under https://learn.microsoft.com/powershell/module/exchange/ (the
// parameters this project's writes and reads use; docs/RECIPIENT-KINDS.md).
export const CMDLET_PARAMETERS: Readonly<Record<string, readonly string[]>> = {
  "Get-Mailbox": ["Identity", "RecipientTypeDetails", "ResultSize", "Filter", "Anr", "SoftDeletedMailbox"],
  "Set-Mailbox": ["Identity", "EmailAddresses", "IsExchangeCloudManaged", "WindowsEmailAddress", "Force"],
  "Get-Recipient": ["Identity", "Filter", "ResultSize", "RecipientTypeDetails"],
  "Get-AcceptedDomain": ["Identity", "ResultSize"],
  "Get-DistributionGroup": ["Identity", "RecipientTypeDetails", "ResultSize", "Filter", "Anr"],
  "Set-DistributionGroup": [
    "Identity",
    "EmailAddresses",
    "PrimarySmtpAddress",
    "WindowsEmailAddress",
    "BypassSecurityGroupManagerCheck",
    "ForceUpgrade",
  ],
  "Get-UnifiedGroup": ["Identity", "ResultSize", "Filter", "Anr", "IncludeAllProperties"],
  "Set-UnifiedGroup": ["Identity", "EmailAddresses", "PrimarySmtpAddress", "ForceUpgrade"],
  "Get-DynamicDistributionGroup": ["Identity", "ResultSize", "Filter", "Anr"],
  "Set-DynamicDistributionGroup": [
    "Identity",
    "EmailAddresses",
    "PrimarySmtpAddress",
    "WindowsEmailAddress",
    "ForceUpgrade",
  ],
  "Get-MailUser": ["Identity", "ResultSize", "Filter", "Anr"],
  "Set-MailUser": [
    "Identity",
    "EmailAddresses",
    "ExternalEmailAddress",
    "PrimarySmtpAddress",
    "WindowsEmailAddress",
    "ForceUpgrade",
  ],
  "Get-MailContact": ["Identity", "RecipientTypeDetails", "ResultSize", "Filter", "Anr"],
  "Set-MailContact": ["Identity", "EmailAddresses", "ExternalEmailAddress", "WindowsEmailAddress", "ForceUpgrade"],
};

/** The .NET type each cmdlet binds -Identity to (named in PowerShell's conversion errors). */
const IDENTITY_TYPES: Readonly<Record<string, string>> = {
  "Get-Mailbox": "Microsoft.Exchange.Configuration.Tasks.MailboxIdParameter",
  "Set-Mailbox": "Microsoft.Exchange.Configuration.Tasks.MailboxIdParameter",
  "Get-Recipient": "Microsoft.Exchange.Configuration.Tasks.RecipientIdParameter",
  "Get-DistributionGroup": "Microsoft.Exchange.Configuration.Tasks.DistributionGroupIdParameter",
  "Set-DistributionGroup": "Microsoft.Exchange.Configuration.Tasks.DistributionGroupIdParameter",
  "Get-UnifiedGroup": "Microsoft.Exchange.Configuration.Tasks.UnifiedGroupIdParameter",
  "Set-UnifiedGroup": "Microsoft.Exchange.Configuration.Tasks.UnifiedGroupIdParameter",
  "Get-DynamicDistributionGroup": "Microsoft.Exchange.Configuration.Tasks.DynamicGroupIdParameter",
  "Set-DynamicDistributionGroup": "Microsoft.Exchange.Configuration.Tasks.DynamicGroupIdParameter",
  "Get-MailUser": "Microsoft.Exchange.Configuration.Tasks.MailUserIdParameter",
  "Set-MailUser": "Microsoft.Exchange.Configuration.Tasks.MailUserIdParameter",
  "Get-MailContact": "Microsoft.Exchange.Configuration.Tasks.MailContactIdParameter",
  "Set-MailContact": "Microsoft.Exchange.Configuration.Tasks.MailContactIdParameter",
};

/** Parameters PowerShell binds to one SMTP address (SmtpAddress), or to a ProxyAddress (ExternalEmailAddress). */
const SMTP_ADDRESS_PARAMETERS: Readonly<Record<string, string>> = {
  PrimarySmtpAddress: "Microsoft.Exchange.Data.SmtpAddress",
  WindowsEmailAddress: "Microsoft.Exchange.Data.SmtpAddress",
  ExternalEmailAddress: "Microsoft.Exchange.Data.ProxyAddress",
};

/** A parameter name as the cmdlet spells it (PowerShell matches names case-insensitively). */
function canonicalName(cmdlet: string, name: string): string | undefined {
  return [...(CMDLET_PARAMETERS[cmdlet] ?? []), ...COMMON].find((p) => p.toLowerCase() === name.toLowerCase());
}

/** Converts a JSON value as PowerShell converts it to a ProxyAddressCollection element. */
function isProxyAddress(value: unknown): boolean {
  if (typeof value !== "string" || value.trim() === "") return false;
  const parsed = parseProxyAddress(value.trim());
  return parsed.kind !== "smtp" || /^[^@\s,;]+@[^@\s,;]+$/.test(parsed.value);
}

function cannotConvert(parameter: string, value: unknown, type: string, why: string): BindingRefusal {
  const shown = typeof value === "string" ? value : JSON.stringify(value);
  return {
    exceptionType: BINDING,
    message: `Cannot process argument transformation on parameter '${parameter}'. Cannot convert value "${shown}" to type "${type}". Error: "${why}"`,
  };
}

/**
 * Binds a cmdlet's parameters: returns them with canonical names, or the refusal PowerShell
 * would give. Hashtable values (`@{Add=...; Remove=...}`) are passed through unchecked here: the
 * cmdlet reads them.
 */
export function bindParameters(
  cmdlet: string,
  parameters: unknown,
): { ok: true; parameters: Record<string, unknown> } | { ok: false; refusal: BindingRefusal } {
  if (parameters === undefined || parameters === null) return { ok: true, parameters: {} };
  if (typeof parameters !== "object" || Array.isArray(parameters)) {
    return {
      ok: false,
      refusal: { exceptionType: BINDING, message: "Parameters must be an object of parameter names and values." },
    };
  }
  const bound: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(parameters as Record<string, unknown>)) {
    if (name.startsWith("@") || name.includes("@odata.")) continue; // OData annotations, not parameters
    const canonical = canonicalName(cmdlet, name);
    if (canonical === undefined) {
      return {
        ok: false,
        refusal: {
          exceptionType: BINDING,
          message: `A parameter cannot be found that matches parameter name '${name}'.`,
        },
      };
    }
    bound[canonical] = value;
  }
  const identity = bound.Identity;
  if (identity !== undefined && typeof identity !== "string") {
    return {
      ok: false,
      refusal: cannotConvert(
        "Identity",
        identity,
        IDENTITY_TYPES[cmdlet] ?? IDENTITY_TYPES["Get-Recipient"]!,
        "The identity must be a string.",
      ),
    };
  }
  for (const [parameter, type] of Object.entries(SMTP_ADDRESS_PARAMETERS)) {
    const value = bound[parameter];
    if (value === undefined) continue;
    // ExternalEmailAddress is a ProxyAddress: "SMTP:" may precede it. The others are bare addresses.
    const text =
      typeof value === "string"
        ? parameter === "ExternalEmailAddress"
          ? value.trim().replace(/^smtp:/i, "")
          : value.trim()
        : undefined;
    if (text === undefined || !/^[^@\s,;:]+@[^@\s,;]+$/.test(text)) {
      return {
        ok: false,
        refusal: cannotConvert(
          parameter,
          value,
          type,
          `The email address "${typeof value === "string" ? value : JSON.stringify(value)}" isn't correct.`,
        ),
      };
    }
    bound[parameter] = text;
  }
  for (const flag of [
    "IsExchangeCloudManaged",
    "SoftDeletedMailbox",
    "Force",
    "ForceUpgrade",
    "BypassSecurityGroupManagerCheck",
    "IncludeAllProperties",
    "Confirm",
    "WhatIf",
  ]) {
    const value = bound[flag];
    if (value !== undefined && typeof value !== "boolean" && value !== 0 && value !== 1) {
      return {
        ok: false,
        refusal: {
          exceptionType: BINDING,
          message: `Cannot process argument transformation on parameter '${flag}'. Cannot convert value "${typeof value === "string" ? "System.String" : typeof value}" to type "System.Boolean". Boolean parameters accept only Boolean values and numbers, such as $True, $False, 1 or 0.`,
        },
      };
    }
  }
  const addresses = bound.EmailAddresses;
  if (addresses !== undefined && addresses !== null) {
    const type = "Microsoft.Exchange.Data.ProxyAddressCollection";
    if (typeof addresses === "string") {
      // PowerShell turns one string into a one-entry collection: a comma-joined list is one
      // invalid address, refused; a single valid entry replaces the whole list.
      if (!isProxyAddress(addresses))
        return {
          ok: false,
          refusal: cannotConvert("EmailAddresses", addresses, type, `The address '${addresses}' is invalid.`),
        };
      bound.EmailAddresses = [addresses.trim()];
    } else if (Array.isArray(addresses)) {
      // Each entry must be text; whether it is a valid address is Exchange's rule (exchange-rules.ts).
      const bad = addresses.find((a) => typeof a !== "string");
      if (bad !== undefined)
        return {
          ok: false,
          refusal: cannotConvert(
            "EmailAddresses",
            addresses,
            type,
            `The address '${typeof bad === "string" ? bad : JSON.stringify(bad)}' is invalid.`,
          ),
        };
    } else if (typeof addresses !== "object") {
      return {
        ok: false,
        refusal: cannotConvert("EmailAddresses", addresses, type, `The address '${String(addresses)}' is invalid.`),
      };
    }
  }
  return { ok: true, parameters: bound };
}
