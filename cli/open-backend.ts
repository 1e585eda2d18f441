// The tenant backend for export and drift, built so the command can count the waits the retry
// policy makes (throttling, unavailable service) for its progress line.
import type { TenantBackend } from "../targets/tenant-backend";
import { createBackend, type TargetSettings } from "../targets/registry";

/** A backend for `target`; `onWait` hears of every retry wait (milliseconds) of a network client. */
export function openBackend(target: TargetSettings, root: string, onWait: (ms: number) => void): TenantBackend {
  return createBackend(target, root, { onRetryWait: onWait });
}
