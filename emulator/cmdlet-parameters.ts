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
export const CMDLET_PARAMETERS: Readonly<Record<string, readonly string[]>> = {
  "Get-Mailbox": ["Identity", "RecipientTypeDetails", "ResultSize", "Filter", "Anr"],
  "Set-Mailbox": ["Identity", "EmailAddresses", "IsExchangeCloudManaged", "WindowsEmailAddress", "Force"],
  "Get-Recipient": ["Identity", "Filter", "ResultSize", "RecipientTypeDetails"],
  "Get-AcceptedDomain": ["Identity", "ResultSize"],
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
export function bindParameters(cmdlet: string, parameters: unknown): { ok: true; parameters: Record<string, unknown> } | { ok: false; refusal: BindingRefusal } {
  if (parameters === undefined || parameters === null) return { ok: true, parameters: {} };
  if (typeof parameters !== "object" || Array.isArray(parameters)) {
    return { ok: false, refusal: { exceptionType: BINDING, message: "Parameters must be an object of parameter names and values." } };
  }
  const bound: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(parameters as Record<string, unknown>)) {
    if (name.startsWith("@") || name.includes("@odata.")) continue; // OData annotations, not parameters
    const canonical = canonicalName(cmdlet, name);
    if (canonical === undefined) {
      return { ok: false, refusal: { exceptionType: BINDING, message: `A parameter cannot be found that matches parameter name '${name}'.` } };
    }
    bound[canonical] = value;
  }
  const identity = bound.Identity;
  if (identity !== undefined && typeof identity !== "string") {
    return { ok: false, refusal: cannotConvert("Identity", identity, "Microsoft.Exchange.Configuration.Tasks.MailboxIdParameter", "The identity must be a string.") };
  }
  for (const flag of ["IsExchangeCloudManaged", "Force", "Confirm", "WhatIf"]) {
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
      if (!isProxyAddress(addresses)) return { ok: false, refusal: cannotConvert("EmailAddresses", addresses, type, `The address '${addresses}' is invalid.`) };
      bound.EmailAddresses = [addresses.trim()];
    } else if (Array.isArray(addresses)) {
      // Each entry must be text; whether it is a valid address is Exchange's rule (exchange-rules.ts).
      const bad = addresses.find((a) => typeof a !== "string");
      if (bad !== undefined) return { ok: false, refusal: cannotConvert("EmailAddresses", addresses, type, `The address '${typeof bad === "string" ? bad : JSON.stringify(bad)}' is invalid.`) };
    } else if (typeof addresses !== "object") {
      return { ok: false, refusal: cannotConvert("EmailAddresses", addresses, type, `The address '${String(addresses)}' is invalid.`) };
    }
  }
  return { ok: true, parameters: bound };
}
