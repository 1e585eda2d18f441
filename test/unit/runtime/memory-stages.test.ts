// The program's memory log (runtime/memory-stages.ts): one JSON line per stage in the file
// MAILBOX_ADDRESSES_MEMORY_LOG names.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { memoryStage } from "../../../runtime/memory-stages";

describe("memory stages", () => {
  it("appends one line per stage: the stage, the resident size, its peak and the heap in use", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "mbx-memory-"));
    try {
      const file = path.join(dir, "memory.jsonl");
      memoryStage("spec loaded", { MAILBOX_ADDRESSES_MEMORY_LOG: file });
      memoryStage("declared", { MAILBOX_ADDRESSES_MEMORY_LOG: file });
      const lines = readFileSync(file, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.deepEqual(
        lines.map((l) => l.stage),
        ["spec loaded", "declared"],
      );
      for (const line of lines) {
        assert.equal(line.pid, process.pid);
        for (const key of ["rssMb", "peakRssMb", "heapUsedMb"])
          assert.ok(Number(line[key]) > 0, `${key}: ${line[key]}`);
        assert.ok(Number(line.peakRssMb) >= Number(line.rssMb));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("MAILBOX_ADDRESSES_HEAP_SNAPSHOT=<stage>: a heap snapshot at that stage only, beside the log", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "mbx-memory-"));
    try {
      const env = {
        MAILBOX_ADDRESSES_MEMORY_LOG: path.join(dir, "memory.jsonl"),
        MAILBOX_ADDRESSES_HEAP_SNAPSHOT: "declared",
      };
      memoryStage("spec loaded", env);
      memoryStage("declared", env);
      assert.deepEqual(readdirSync(dir).sort(), ["memory.jsonl", "memory.jsonl.declared.heapsnapshot"]);
      const snapshot = JSON.parse(readFileSync(path.join(dir, "memory.jsonl.declared.heapsnapshot"), "utf8")) as {
        snapshot: { node_count: number };
      };
      assert.ok(snapshot.snapshot.node_count > 1000, `nodes: ${snapshot.snapshot.node_count}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
