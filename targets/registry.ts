// Builds the backend for a target's settings. One backend per distinct settings per process, so
// all resources served by one provider process share connections, batching and limits.
import type { TargetSettings, TenantBackend } from "./tenant-backend";
import { findProjectRoot } from "../runtime/project-root";
import { LocalBackend } from "./local/local-backend";

const backends = new Map<string, TenantBackend>();

/** A new backend; the local target's relative paths resolve against the project directory. */
export function createBackend(settings: TargetSettings, baseDir = findProjectRoot()): TenantBackend {
  switch (settings.target) {
    case "local":
      return new LocalBackend(settings, baseDir);
    case "exchange-online": {
      // Required here, not at the top: the local target never loads the Microsoft clients.
      const { ExchangeOnlineBackend } = require("./exchange-online/exchange-online-backend") as typeof import("./exchange-online/exchange-online-backend");
      return new ExchangeOnlineBackend(settings);
    }
  }
}

/** The shared backend for `settings` in this process. */
export function backendFor(settings: TargetSettings): TenantBackend {
  const key = JSON.stringify(settings);
  let backend = backends.get(key);
  if (backend === undefined) {
    backend = createBackend(settings);
    backends.set(key, backend);
  }
  return backend;
}
