// The project directory (where Pulumi.yaml is). Pulumi starts the program and the provider in
// the program's own directory (dist/infra), so relative settings resolve against this instead,
// searched upwards from the engine's folder when this process runs under an engine.
import { existsSync } from "node:fs";
import path from "node:path";
import { engineWorkingDirectory } from "./engine-watchdog";

export function findProjectRoot(
  start = process.env.MAILBOX_ADDRESSES_ROOT || engineWorkingDirectory() || process.cwd(),
): string {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(start);
  }
}
