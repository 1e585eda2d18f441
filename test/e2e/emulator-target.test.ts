// The end-to-end scenarios with `target: exchange-online` pointed at the emulator: the pulumi
// binary runs the provider, which authenticates with @azure/identity, reads through the Graph
// client and writes through the Exchange admin API, all over HTTPS to 127.0.0.1.
import { EmulatorProcess } from "../../harness/emulator-process";
import { TestStack } from "../../harness/pulumi-stack";
import { defineEndToEndScenarios } from "./scenarios";

defineEndToEndScenarios(
  "exchange-online target against the emulator, end to end through the pulumi binary",
  async () => {
    const emulator = await EmulatorProcess.start();
    const stack = new TestStack("emulator", emulator.stackConfig(), emulator.environment());
    return {
      stack,
      secret: emulator.clientSecret,
      withTenant: (work) => emulator.withTenant(work),
      // As an admin would in the Exchange admin center: straight into the tenant.
      addByHand: (identity, entries) =>
        emulator.withTenant((t) => void t.addRemoveEmailAddresses(identity, entries, [])),
      dispose: async () => {
        stack.dispose();
        await emulator.stop();
      },
    };
  },
);
