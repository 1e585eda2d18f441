// The commands a message names, as they exist where the user stands: this repository's checkout
// has its wrappers (scripts/pulumi, scripts/mailbox-addresses, scripts/up, which set the toolchain
// up); a repository of one's own (scaffolded by `init`, or a hand-written program) has the Pulumi
// CLI and the installed package's bin.
import { existsSync } from "node:fs";
import path from "node:path";
import { findProjectRoot } from "./project-root";

export interface ToolCommands {
  /** How to run pulumi here: `scripts/pulumi` in this checkout, else `pulumi`. */
  readonly pulumi: string;
  /** How to run this tool here: `scripts/mailbox-addresses` in this checkout, else `npx mailbox-addresses`. */
  readonly tool: string;
  /** `scripts/up` where it exists (this checkout), else undefined. */
  readonly up?: string;
  /** What sets Pulumi up here, for a message about a missing pulumi. */
  readonly setup: string;
}

export function toolCommands(root: string = findProjectRoot()): ToolCommands {
  const has = (file: string) => existsSync(path.join(root, "scripts", file));
  if (has("pulumi") && has("mailbox-addresses")) {
    return {
      pulumi: "scripts/pulumi",
      tool: "scripts/mailbox-addresses",
      ...(has("up") ? { up: "scripts/up" } : {}),
      setup: "run the tool through scripts/mailbox-addresses, which sets Pulumi up",
    };
  }
  return {
    pulumi: "pulumi",
    tool: "npx mailbox-addresses",
    setup: "install the Pulumi CLI (https://www.pulumi.com/docs/iac/download-install/) and put it on PATH",
  };
}
