// A stack made by the previous release (v0.1, commit cb593bf), or by another earlier build: its
// state, committed in test/fixtures/state-<version>/ (README.md there says how it was made),
// imported into a fresh stack with the tenant as that build's `up` left it and the spec it
// applied. The tests of what this build does with an older state start from it.
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PROJECT_ROOT, TestStack } from "./pulumi-stack";
import { loadSeedFile } from "../tenant/load-seed";

/** The committed fixture: state.json, mailboxes.yaml, tenant-after-up.yaml. */
export const PREVIOUS_RELEASE_FIXTURE = path.join(PROJECT_ROOT, "test/fixtures/state-v0.1");

/**
 * The fixture of 0.2.0 before its outputs were trimmed (main at 1aef17b): every mailbox's object
 * id, UPN, display name, recipient type and `applied` list in the outputs.
 */
export const FULL_OUTPUTS_FIXTURE = path.join(PROJECT_ROOT, "test/fixtures/state-v0.2-dev");

/** A new stack named after `name`, holding a fixture's state, tenant and spec (the previous release's by default). */
export function stackFromPreviousRelease(name: string, fixture: string = PREVIOUS_RELEASE_FIXTURE): TestStack {
  const stack = new TestStack(name);
  stack.withTenant((tenant) => tenant.seed(loadSeedFile(path.join(fixture, "tenant-after-up.yaml"))));
  copyFileSync(path.join(fixture, "mailboxes.yaml"), stack.specFile);
  // The fixture names its stack STACK and its folder /FIXTURE (make-fixture.js): they become this stack's.
  const state = readFileSync(path.join(fixture, "state.json"), "utf8")
    .replaceAll("STACK", stack.stack)
    .replaceAll("/FIXTURE", stack.dir);
  const file = path.join(stack.dir, `${path.basename(fixture)}.json`);
  writeFileSync(file, state);
  stack.run(["stack", "import", "--file", file], { check: true });
  return stack;
}
