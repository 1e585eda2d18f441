// A stack made by the previous release (v0.1, commit cb593bf): its state, committed in
// test/fixtures/state-v0.1/ (README.md there says how it was made), imported into a fresh stack
// with the tenant as that release's `up` left it and the spec it applied. The tests of what this
// build does with an older state start from it.
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { PROJECT_ROOT, TestStack } from "./pulumi-stack";
import { loadSeedFile } from "../tenant/load-seed";

/** The committed fixture: state.json, mailboxes.yaml, tenant-after-up.yaml. */
export const PREVIOUS_RELEASE_FIXTURE = path.join(PROJECT_ROOT, "test/fixtures/state-v0.1");

/** A new stack named after `name`, holding the previous release's state, tenant and spec. */
export function stackFromPreviousRelease(name: string): TestStack {
  const stack = new TestStack(name);
  stack.withTenant((tenant) => tenant.seed(loadSeedFile(path.join(PREVIOUS_RELEASE_FIXTURE, "tenant-after-up.yaml"))));
  copyFileSync(path.join(PREVIOUS_RELEASE_FIXTURE, "mailboxes.yaml"), stack.specFile);
  // The fixture names its stack STACK and its folder /FIXTURE (make-fixture.js): they become this stack's.
  const state = readFileSync(path.join(PREVIOUS_RELEASE_FIXTURE, "state.json"), "utf8")
    .replaceAll("STACK", stack.stack)
    .replaceAll("/FIXTURE", stack.dir);
  const file = path.join(stack.dir, "state-v0.1.json");
  writeFileSync(file, state);
  stack.run(["stack", "import", "--file", file], { check: true });
  return stack;
}
