// Reads a tenant seed file (YAML, schemas/tenant-seed.schema.json) for the local target and the
// emulator. Problems are reported like a spec's: file, line, column, what is wrong.
import { readFileSync } from "node:fs";
import path from "node:path";
import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import schema from "../schemas/tenant-seed.schema.json";
import { SpecError, type SpecProblem } from "../core/problems";
import { parseYamlSafely } from "../core/desired/yaml-source";
import type { TenantSeed } from "./seed-types.generated";

// Compiled on first use: a program on the local target loads this module, and reads a seed only when it creates a tenant.
let compiled: ValidateFunction<TenantSeed> | undefined;
function validator(): ValidateFunction<TenantSeed> {
  if (compiled === undefined) {
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    addFormats(ajv, ["uuid"]);
    compiled = ajv.compile<TenantSeed>(schema);
  }
  return compiled;
}

/** The seed shipped with the project: Contoso, mid-rebrand to Fabrikam, about 50 recipients. */
export const DEFAULT_SEED_FILE = path.resolve(__dirname, "../../tenant/seeds/contoso.yaml");

/** Parses and validates a seed; throws a {@link SpecError} listing every problem. */
export function parseSeed(file: string, text: string): TenantSeed {
  const parsed = parseYamlSafely(file, text);
  if (!parsed.source) throw new SpecError(parsed.problems);
  const data = parsed.source.toJS();
  const validate = validator();
  if (validate(data)) return data;
  const problems: SpecProblem[] = (validate.errors ?? []).map((error) => {
    const segments = error.instancePath
      .split("/")
      .slice(1)
      .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    return {
      file,
      position: parsed.source!.positionOf(segments),
      path: segments,
      message: error.message ?? error.keyword,
    };
  });
  throw new SpecError(problems);
}

/** Reads a seed file from disk. */
export function loadSeedFile(file: string = DEFAULT_SEED_FILE): TenantSeed {
  return parseSeed(path.relative(process.cwd(), file) || file, readFileSync(file, "utf8"));
}
