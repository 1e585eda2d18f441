// What an answer's headers say of waiting and of the budget: how long the server asked to wait
// (Retry-After and its millisecond forms), and how much of its budget is left (RateHint, which
// the write gate paces by).
import type { HttpHeaders } from "@azure/core-rest-pipeline";
import type { RateHint } from "./write-gate";

/** How long the server asked to wait, in milliseconds: retry-after-ms, x-ms-retry-after-ms, Retry-After (seconds or an HTTP-date). */
export function retryAfterMs(headers: HttpHeaders, nowMs = Date.now()): number | undefined {
  for (const name of ["retry-after-ms", "x-ms-retry-after-ms"]) {
    const raw = headers.get(name);
    const value = Number(raw);
    if (raw !== undefined && raw.trim() !== "" && Number.isFinite(value) && value >= 0) return value;
  }
  const retryAfter = headers.get("retry-after")?.trim();
  if (retryAfter === undefined || retryAfter === "") return undefined;
  const seconds = Number(retryAfter);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(retryAfter);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

/** A header's value as a finite number, if it is one. */
function numberHeader(headers: HttpHeaders, names: readonly string[]): number | undefined {
  for (const name of names) {
    const raw = headers.get(name)?.trim();
    if (raw === undefined || raw === "") continue;
    const value = Number(raw);
    if (Number.isFinite(value)) return value;
  }
  return undefined;
}

/**
 * What an answer says of the budget: requests left and time to the reset (the Exchange admin API's
 * Rate-Limit-Remaining/Rate-Limit-Reset, the RateLimit-* names of the IETF draft; a reset in
 * seconds, as epoch seconds or as an HTTP-date), and how much of its limit Graph sees used
 * (x-ms-throttle-limit-percentage, sent from 0.8 on). docs/reference/exchange-online-addresses.md.
 */
export function rateHintOf(headers: HttpHeaders, nowMs = Date.now()): RateHint | undefined {
  const remaining = numberHeader(headers, ["rate-limit-remaining", "ratelimit-remaining", "x-ratelimit-remaining"]);
  let resetMs: number | undefined;
  const reset = ["rate-limit-reset", "ratelimit-reset", "x-ratelimit-reset"]
    .map((name) => headers.get(name)?.trim())
    .find((v) => v !== undefined && v !== "");
  if (reset !== undefined) {
    const seconds = Number(reset);
    const date = Date.parse(reset);
    if (Number.isFinite(seconds)) resetMs = seconds > 1e9 ? seconds * 1000 - nowMs : seconds * 1000;
    else if (!Number.isNaN(date)) resetMs = date - nowMs;
  }
  const usedFraction = numberHeader(headers, ["x-ms-throttle-limit-percentage"]);
  if (remaining === undefined && usedFraction === undefined) return undefined;
  return {
    ...(remaining !== undefined ? { remaining } : {}),
    ...(resetMs !== undefined ? { resetMs: Math.max(0, resetMs) } : {}),
    ...(usedFraction !== undefined ? { usedFraction } : {}),
  };
}
