#!/usr/bin/env node
// Derives the TypeScript types of the spec and the tenant seed from their JSON Schemas, so the
// schemas stay the single source of each file's shape. `--check` fails when a generated file is
// stale (the test suite runs it).
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { compile } = require("json-schema-to-typescript");
const { parseOrExit } = require("../toolchain/command-lines");

const root = path.resolve(__dirname, "..");
const targets = [
  { schema: "schemas/mailboxes.schema.json", out: "core/desired/spec-types.generated.ts" },
  { schema: "schemas/tenant-seed.schema.json", out: "tenant/seed-types.generated.ts" },
  { schema: "schemas/report.schema.json", out: "core/report/report-types.generated.ts" },
];

async function main() {
  const check = parseOrExit("scripts/generate-types", process.argv.slice(2)).values.check === true;
  let stale = 0;
  for (const { schema, out } of targets) {
    const schemaPath = path.join(root, schema);
    if (!fs.existsSync(schemaPath)) continue;
    const json = JSON.parse(fs.readFileSync(schemaPath, "utf8"));
    const ts = await compile(json, json.title, {
      bannerComment: `// Generated from ${schema} by scripts/generate-types.js. Do not edit; edit the schema.`,
      additionalProperties: false,
      unreachableDefinitions: true,
      format: true,
      style: { printWidth: 110 },
    });
    const outPath = path.join(root, out);
    const current = fs.existsSync(outPath) ? fs.readFileSync(outPath, "utf8") : "";
    if (current === ts) continue;
    if (check) {
      console.error(`${out} is stale: run node scripts/generate-types.js`);
      stale++;
    } else {
      fs.writeFileSync(outPath, ts);
      console.log(`wrote ${out}`);
    }
  }
  if (stale > 0) process.exit(1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
