// The tenant backend for export and drift, built so the command can count the waits the retry
// policy makes (throttling, unavailable service) for its progress line.
import type { TargetSettings, TenantBackend } from "../targets/tenant-backend";
import { createBackend } from "../targets/registry";

/** A backend for `target`; `onWait` hears of every retry wait (milliseconds) of the Microsoft clients. */
export function openBackend(target: TargetSettings, root: string, onWait: (ms: number) => void): TenantBackend {
  if (target.target !== "exchange-online") return createBackend(target, root);
  // Required here, not at the top: the local target never loads the Microsoft clients.
  const { ExchangeOnlineBackend } = require("../targets/exchange-online/exchange-online-backend") as typeof import("../targets/exchange-online/exchange-online-backend");
  const { DEFAULT_RETRY_OPTIONS } = require("../targets/exchange-online/retry-policy") as typeof import("../targets/exchange-online/retry-policy");
  return new ExchangeOnlineBackend(target, {
    ...DEFAULT_RETRY_OPTIONS,
    sleep: (ms) => {
      onWait(ms);
      return DEFAULT_RETRY_OPTIONS.sleep(ms);
    },
  });
}
