// The end-to-end scenarios against the embedded local tenant; drift by hand goes through the
// CLI (`mailbox-addresses tenant add`), as a user would make it.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { PROJECT_ROOT, TestStack } from "../../harness/pulumi-stack";
import { defineEndToEndScenarios } from "./scenarios";

const CANARY_SECRET = "canary-secret-4c1f9e";

defineEndToEndScenarios("local target, end to end through the pulumi binary", async () => {
  // A credential in the environment, as a CI runner would have: it must never reach the state.
  const stack = new TestStack("local", {}, { AZURE_CLIENT_SECRET: CANARY_SECRET });
  stack.seedTenant();
  return {
    stack,
    secret: CANARY_SECRET,
    withTenant: (work) => stack.withTenant(work),
    addByHand: (identity, entries) => {
      const cli = spawnSync(
        process.execPath,
        [
          path.join(PROJECT_ROOT, "bin/mailbox-addresses.js"),
          "tenant",
          "add",
          identity,
          ...entries,
          "--database",
          stack.database,
        ],
        { encoding: "utf8" },
      );
      assert.equal(cli.status, 0, cli.stderr);
    },
    dispose: async () => stack.dispose(),
  };
});
