// The local target: the tenant model in a SQLite file inside the project (./local-backend.ts).
// Everything the rest of the project knows about it is here; ../registry.ts lists it.
import type { TargetDefinition } from "../target-definition";
import { describeLocalTarget, LOCAL_DEFAULTS, type LocalTargetSettings } from "./settings";

export { LOCAL_DEFAULTS, type LocalTargetSettings };

export const localTarget: TargetDefinition<LocalTargetSettings> = {
  name: "local",
  summary: "the embedded tenant (SQLite, in the project)",
  settings: [
    {
      key: "localDatabase",
      meaning: "the local tenant's database",
      default: LOCAL_DEFAULTS.localDatabase,
      flag: "--database <file>",
    },
    { key: "localSeed", meaning: "seed used on the local tenant's first use", default: LOCAL_DEFAULTS.localSeed },
  ],
  readSettings: (config) => ({
    target: "local",
    database: config.value("localDatabase"),
    seed: config.value("localSeed"),
  }),
  describe: describeLocalTarget,
  // The tenant model applies Exchange's rules, accepted domains and cloud management included.
  capabilities: ["cloudManaged", "acceptedDomains", "policyAttributes", "userPrincipalName"],
  create: (settings, context) => {
    // Required here, not at the top: `validate` and `--help` never open SQLite.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a target loads its clients only when a backend is created
    const { LocalBackend } = require("./local-backend") as typeof import("./local-backend");
    return new LocalBackend(settings, context.baseDir);
  },
};
