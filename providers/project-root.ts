// The project directory (where Pulumi.yaml is). Pulumi starts the program and the provider in
// the program's own directory (dist/infra), so relative settings resolve against this instead.
import { existsSync } from "node:fs";
import path from "node:path";

export function findProjectRoot(start = process.env.MAILBOX_ADDRESSES_ROOT || process.cwd()): string {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(start);
  }
}
