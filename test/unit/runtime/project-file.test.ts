// What the tool reads of a project's Pulumi.yaml (runtime/project-root.ts readProjectFile): the
// project's name and its state backend, each checked alone, nothing from a missing or broken file.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { readProjectFile } from "../../../runtime/project-root";

function projectWith(text: string | undefined): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "mbx-project-"));
  if (text !== undefined) writeFileSync(path.join(dir, "Pulumi.yaml"), text);
  return dir;
}

function read(text: string | undefined) {
  const dir = projectWith(text);
  try {
    return readProjectFile(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("the project file", () => {
  it("gives the name and the backend's URL", () => {
    assert.deepEqual(read("name: shop\nruntime: nodejs\nbackend:\n  url: file://./state\n"), {
      name: "shop",
      backendUrl: "file://./state",
    });
  });

  it("gives only what it names", () => {
    assert.deepEqual(read("name: shop\nruntime: nodejs\n"), { name: "shop" });
    assert.deepEqual(read("runtime: nodejs\nbackend:\n  url: azblob://states\n"), { backendUrl: "azblob://states" });
  });

  it("leaves out a field not of its shape and still reads the other", () => {
    assert.deepEqual(read("name: [a, b]\nbackend:\n  url: file://~\n"), { backendUrl: "file://~" });
    assert.deepEqual(read("name: shop\nbackend:\n  url: 42\n"), { name: "shop" });
    assert.deepEqual(read("name: shop\nbackend: file://~\n"), { name: "shop" });
  });

  it("gives nothing for a missing file, a file that is not YAML, or one that is not a mapping", () => {
    assert.deepEqual(read(undefined), {});
    assert.deepEqual(read("name: [unclosed\n"), {});
    assert.deepEqual(read("- a list\n"), {});
    assert.deepEqual(read(""), {});
  });
});
