// What several end-to-end files share: one throwaway stack on each target the tests run against
// (the local tenant, or the emulator as the exchange-online target), and the CLI's JSON report
// read and checked against its schema.
import assert from "node:assert/strict";
import Ajv2020 from "ajv/dist/2020";
import schema from "../schemas/report.schema.json";
import type { Report } from "../core/report/report";
import type { Tenant } from "../tenant/tenant";
import { EmulatorProcess } from "./emulator-process";
import { TestStack } from "./pulumi-stack";

/** A stack on one target, with its tenant at hand. */
export interface StackOnTarget {
  readonly stack: TestStack;
  /** The emulator behind the stack; undefined on the local target. */
  readonly emulator: EmulatorProcess | undefined;
  withTenant<T>(work: (tenant: Tenant) => T): T;
  dispose(): Promise<void>;
}

/**
 * A new stack `<name>-local` on the seeded local tenant, or `<name>-emu` on an emulator started
 * for it (the exchange-online target); `dispose` removes the stack and stops the emulator.
 */
export async function stackOnTarget(target: "local" | "emulator", name: string): Promise<StackOnTarget> {
  if (target === "local") {
    const stack = new TestStack(`${name}-local`);
    stack.seedTenant();
    return {
      stack,
      emulator: undefined,
      withTenant: (work) => stack.withTenant(work),
      dispose: async () => stack.dispose(),
    };
  }
  const emulator = await EmulatorProcess.start();
  const stack = new TestStack(`${name}-emu`, emulator.stackConfig(), emulator.environment());
  return {
    stack,
    emulator,
    withTenant: (work) => emulator.withTenant(work),
    dispose: async () => {
      stack.dispose();
      await emulator.stop();
    },
  };
}

const validateReport = new Ajv2020({ allErrors: true, strict: true }).compile(schema);

/** The CLI's `--json` output, checked against schemas/report.schema.json. */
export function parseReport(text: string): Report {
  const parsed: unknown = JSON.parse(text);
  assert.ok(validateReport(parsed), JSON.stringify(validateReport.errors));
  return parsed as unknown as Report;
}
