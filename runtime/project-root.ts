// The project directory (where Pulumi.yaml is). Pulumi starts the program and the provider in
// the program's own directory (dist/infra), so relative settings resolve against this instead,
// searched upwards from the engine's folder when this process runs under an engine.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { checkValue, fields, text } from "../core/json-check";
import { engineWorkingDirectory } from "./engine-watchdog";

export function findProjectRoot(
  start = process.env.MAILBOX_ADDRESSES_ROOT || engineWorkingDirectory() || process.cwd(),
): string {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(start);
  }
}

/** What this tool reads of a project's Pulumi.yaml. */
export interface ProjectFile {
  /** `name`: the project (a file backend's checkpoint is under it). */
  readonly name?: string;
  /** `backend.url`: the project's state backend, when it names one. */
  readonly backendUrl?: string;
}

// Each field is checked alone: one not of its shape is left out and the other still read (Pulumi
// itself refuses such a file, and then no run of this stack gets as far as reading it).
const nameField = fields<{ name?: string }>({}, { name: text });
const backendField = fields<{ backend?: { url?: string } }>({}, { backend: fields({}, { url: text }) });

/** The project file in `root`; nothing of it when it is missing or not YAML. */
export function readProjectFile(root: string): ProjectFile {
  let document: unknown;
  try {
    document = parseYaml(readFileSync(path.join(root, "Pulumi.yaml"), "utf8"));
  } catch {
    return {};
  }
  const name = checkValue(document, nameField);
  const backend = checkValue(document, backendField);
  return {
    ...(name.ok && name.value.name !== undefined ? { name: name.value.name } : {}),
    ...(backend.ok && backend.value.backend?.url ? { backendUrl: backend.value.backend.url } : {}),
  };
}
