// No write is sent once the Pulumi engine that started the run is gone: the last check before a
// write leaves, after it waited in the write gate, for its token and for a slot.
import type { PipelinePolicy } from "@azure/core-rest-pipeline";
import { EngineGoneError } from "../../../runtime/engine-watchdog";
import { callOf } from "./call";

export const engineAlivePolicyName = "engineAlive";

/** The last check before a write leaves: the engine may have died while it waited in the gate. */
export function engineAlivePolicy(isAlive: () => boolean): PipelinePolicy {
  return {
    name: engineAlivePolicyName,
    sendRequest(request, next) {
      if (callOf(request).write !== undefined && !isAlive()) throw new EngineGoneError();
      return next(request);
    },
  };
}
