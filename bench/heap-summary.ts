// What a program's heap holds, by kind, from V8 heap snapshots (not a test; docs/benchmarks.md,
// "Program memory: the SDK's promise stack traces"): self size and count per node type and name
// (an object's constructor), the second snapshot's against the first; and the SDK's promise stack
// traces (strings `debuggablePromise` formatted, @pulumi/pulumi runtime/debuggable.js) by the frame
// that made them, within a resource's constructor or after it.
//   scripts/bench --script memory-runs --size 2000 --runs 1 --heap-snapshot declared --out /tmp/m.json
//   node dist/bench/heap-summary.js /tmp/m.noop-1.declared.heapsnapshot /tmp/m.ours-1.declared.heapsnapshot
import { readFileSync } from "node:fs";
import { commandLine } from "../harness/command-line";

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}
interface Tally {
  count: number;
  bytes: number;
}
const MB = 1024 * 1024;
const STRING_TYPES = new Set(["string", "concatenated string", "sliced string"]);

/** Bytes and counts by kind ("type: name"; strings by type only), and the SDK's promise stacks by origin. */
function summarize(file: string): { total: number; kinds: Map<string, Tally>; promiseStacks: Map<string, Tally> } {
  const snap = JSON.parse(readFileSync(file, "utf8")) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const [types] = snap.snapshot.meta.node_types;
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ["type", "name", "self_size"].map((f) => fields.indexOf(f)) as [
    number,
    number,
    number,
  ];
  const kinds = new Map<string, Tally>();
  const promiseStacks = new Map<string, Tally>();
  const add = (map: Map<string, Tally>, key: string, bytes: number) => {
    const tally = map.get(key) ?? { count: 0, bytes: 0 };
    tally.count++;
    tally.bytes += bytes;
    map.set(key, tally);
  };
  let total = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt]!]!;
    const name = snap.strings[snap.nodes[i + nameAt]!]!;
    const bytes = snap.nodes[i + sizeAt]!;
    total += bytes;
    add(kinds, STRING_TYPES.has(type) || type === "closure" ? type : `${type}: ${name.slice(0, 60)}`, bytes);
    if (type === "string" && name.includes("at Object.debuggablePromise")) {
      const caller = (name.split("\n")[2] ?? "").trim().replace(/ \(.*$/, "");
      add(promiseStacks, `${name.includes("at new Resource (") ? "in a constructor" : "after it"}, ${caller}`, bytes);
    }
  }
  return { total, kinds, promiseStacks };
}

function rows(before: Map<string, Tally> | undefined, after: Map<string, Tally>, limit: number): string[] {
  const keys = new Set([...(before?.keys() ?? []), ...after.keys()]);
  const zero = { count: 0, bytes: 0 };
  const table = [...keys].map((key) => ({ key, a: before?.get(key) ?? zero, b: after.get(key) ?? zero }));
  table.sort((x, y) => Math.abs(y.b.bytes - y.a.bytes) - Math.abs(x.b.bytes - x.a.bytes));
  const mb = (bytes: number) => (bytes / MB).toFixed(1).padStart(7);
  return table
    .slice(0, limit)
    .map(
      ({ key, a, b }) =>
        `${mb(b.bytes - a.bytes)} MB | ${before ? `${mb(a.bytes)} MB ${String(a.count).padStart(8)} | ` : ""}${mb(b.bytes)} MB ${String(b.count).padStart(8)} | ${key}`,
    );
}

const { positionals } = commandLine("bench/heap-summary");
if (positionals.length < 1 || positionals.length > 2) {
  process.stderr.write("bench/heap-summary: give one snapshot, or two to compare (--help)\n");
  process.exit(2);
}
const [first, second] = positionals.map(summarize);
const [before, after] = second ? [first, second] : [undefined, first!];
process.stdout.write(
  `held: ${before ? `${(before.total / MB).toFixed(1)} MB → ` : ""}${(after.total / MB).toFixed(1)} MB\n` +
    `difference | ${before ? "first: size count | second" : "size count"} | kind\n` +
    `${rows(before?.kinds, after.kinds, 25).join("\n")}\n\nthe SDK's promise stack traces, by where they were made:\n` +
    `${rows(before?.promiseStacks, after.promiseStacks, 10).join("\n")}\n`,
);
