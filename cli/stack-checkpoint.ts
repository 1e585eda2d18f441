// A stack's state read straight from the file backend's checkpoint, without `pulumi stack export`,
// which took 1.4–1.6 s at 10,000 mailboxes before it printed the same JSON (docs/benchmarks.md,
// "Targeted plan and program memory at 10,000"). Pulumi's file backend (pkg/backend/diy in Pulumi
// v3.260.0) keeps each stack's checkpoint under the backend's folder:
// - `.pulumi/stacks/<project>/<stack>.json` when `.pulumi/meta.yaml` says `version: 1` (store.go,
//   projectReferenceStore); `.pulumi/stacks/<stack>.json` in the legacy layout, which has no
//   meta.yaml (or version 0: legacyReferenceStore; meta.go);
// - gzip- or zstd-compressed as `<stack>.json.gz` / `.json.zst` (PULUMI_DIY_BACKEND_GZIP / _ZSTD):
//   of the three names the most recently written is the checkpoint (state.go `stackPath`), and its
//   first bytes say how it is compressed (`getCheckpoint`, encoding.DetectCompression);
// - as `{"version", "features"?, "checkpoint": {"stack", "latest"}}`, where `latest` is what
//   `pulumi stack export` prints as `deployment` (backend.go `ExportDeployment`), secrets encrypted
//   as the export leaves them without --show-secrets: the CLI reads none.
// It is read only where that is certain to be what Pulumi reads: a file:// backend (the login's,
// PULUMI_BACKEND_URL's or Pulumi.yaml's, as Pulumi picks), a checkpoint of version 3 or 4 without
// features, that names this stack. Anything else (another backend, no such file, a checkpoint
// Pulumi would migrate or check features of) is left to `pulumi stack export`. A file that is there
// but not JSON, or not of its shape, is a {@link CheckpointFileError} naming it, never skipped.
import { readFileSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import zlib from "node:zlib";
import { parse as parseYaml } from "yaml";
import { MailboxAddressesError } from "../core/errors";
import { anything, count, fields, Misfit, strings, text, type Check } from "../core/json-check";
import { quote } from "../core/text";
import { toolCommands } from "../runtime/commands-here";
import { readProjectFile } from "../runtime/project-root";
import { backendUrl, fileBackendRoot } from "../runtime/stack-ownership";

/** Where the stack's checkpoint is, and the name it must carry; or why it is not read here. */
export type CheckpointPlace = { readonly file: string; readonly stackName: string } | { readonly unread: string };

/** What a checkpoint held: its `latest` (the export's `deployment`), checked; or why it is left to `pulumi stack export`. */
export type CheckpointRead<T> = { readonly deployment: T; readonly file: string } | { readonly unread: string };

/** Pulumi's project and stack names (tokens.ValidateProjectName, ParseStackName): nothing that walks folders. */
const NAME = /^[A-Za-z0-9_.-]+$/;
const STACKS = path.join(".pulumi", "stacks");
/** The names a checkpoint may have, in the order Pulumi lists them (a tie of times goes to the later). */
const EXTENSIONS = [".json", ".json.gz", ".json.zst"];

/** A checkpoint that is there and not of its shape. */
export class CheckpointFileError extends MailboxAddressesError {
  constructor(stack: string, file: string, problem: string, root: string) {
    const commands = toolCommands(root);
    const remedy = `run ${commands.pulumi} stack export --stack ${stack} to see whether Pulumi reads it; mailbox-addresses reads the state the Pulumi CLI it is released with writes (${commands.setup})`;
    super(`the state of stack ${quote(stack)} (${quote(file, 300)}) ${problem}; ${remedy}`, { file, remedy });
    this.name = "CheckpointFileError";
  }
}

/** `.pulumi/meta.yaml`'s version: undefined without the file, NaN when it says none Pulumi reads. */
function metaVersion(backend: string): number | undefined {
  let body: string;
  try {
    body = readFileSync(path.join(backend, ".pulumi", "meta.yaml"), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    return Number.NaN;
  }
  try {
    const version = (parseYaml(body) as { version?: unknown } | null)?.version;
    return typeof version === "number" && Number.isInteger(version) ? version : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** The most recently written of the checkpoint's names under `base` (state.go `stackPath`), or undefined. */
async function newestOf(base: string): Promise<string | undefined> {
  let best: { file: string; time: bigint } | undefined;
  for (const extension of EXTENSIONS) {
    const file = `${base}${extension}`;
    try {
      const { mtimeNs } = await stat(file, { bigint: true });
      if (best === undefined || mtimeNs >= best.time) best = { file, time: mtimeNs };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
  }
  return best?.file;
}

/**
 * Where the file backend keeps stack `stack` of the project in `root`, as `pulumi --stack <stack>`
 * run in `root` with `env` finds it; `unread` with the reason when it is not read here.
 */
export async function locateCheckpoint(
  root: string,
  stack: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CheckpointPlace> {
  let url: string | undefined;
  try {
    url = backendUrl(root, env);
  } catch (err) {
    return { unread: `the backend is not known (${(err as Error).message})` };
  }
  if (url === undefined || !url.startsWith("file://"))
    return { unread: `the backend is not a folder (${url ?? "none"})` };
  const backend = fileBackendRoot(url, root);
  const version = metaVersion(backend);
  const parts = stack.split("/");
  const name = parts[parts.length - 1]!;
  if (!NAME.test(name)) return { unread: `the stack name ${quote(stack)} is not one this reader resolves` };
  if (version === undefined || version === 0) {
    // The legacy layout: its file, when there (without meta.yaml, Pulumi takes the legacy layout
    // when `.pulumi/stacks` holds a stack's file directly: this one).
    if (parts.length !== 1) return { unread: "a qualified stack name in the legacy layout" };
    const file = await newestOf(path.join(backend, STACKS, name));
    return file === undefined ? { unread: `no checkpoint of stack ${quote(stack)}` } : { file, stackName: name };
  }
  if (version !== 1)
    return { unread: `${path.join(backend, ".pulumi", "meta.yaml")} is not of a version this reader knows` };
  // <stack>, organization/<stack>, organization/<project>/<stack> (store.go ParseReference).
  if (parts.length > 3 || (parts.length > 1 && parts[0] !== "organization"))
    return { unread: `the stack name ${quote(stack)} is not one this reader resolves` };
  const project = parts.length === 3 ? parts[1] : readProjectFile(root).name;
  if (project === undefined || !NAME.test(project)) return { unread: "the project's name is not known" };
  const file = await newestOf(path.join(backend, STACKS, project, name));
  return file === undefined
    ? { unread: `no checkpoint of stack ${quote(stack)}` }
    : { file, stackName: `organization/${project}/${name}` };
}

const gunzip = promisify(zlib.gunzip);
/** zstd: in Node from 22.15 on; before, such a checkpoint is left to `pulumi stack export`. */
const zstdDecompress = typeof zlib.zstdDecompress === "function" ? promisify(zlib.zstdDecompress) : undefined;

/** The checkpoint's envelope (apitype.VersionedCheckpoint, CheckpointV3): what this reader uses of it. */
const envelope = fields<{ version: number; features?: string[]; checkpoint: { stack?: string; latest?: unknown } }>(
  { version: count, checkpoint: fields({}, { stack: text, latest: anything }) },
  { features: strings },
);

/**
 * The checkpoint at `place`, its `latest` checked with `check` (the same check as the export's
 * `deployment`, so both are read alike). `stack`: the name given on the command line, for messages.
 */
export async function readCheckpoint<T>(
  place: CheckpointPlace,
  stack: string,
  root: string,
  check: Check<T>,
): Promise<CheckpointRead<T>> {
  if ("unread" in place) return place;
  const { file } = place;
  const refuse = (problem: string) => new CheckpointFileError(stack, file, problem, root);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    // Replaced between the look and the read (an update wrote it anew): the export reads it then.
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { unread: `${file} went away` };
    throw refuse(`cannot be read (${(err as Error).message})`);
  }
  try {
    if (bytes[0] === 0x1f && bytes[1] === 0x8b && bytes[2] === 8) bytes = await gunzip(bytes);
    else if (bytes[0] === 0x28 && bytes[1] === 0xb5 && bytes[2] === 0x2f && bytes[3] === 0xfd) {
      if (zstdDecompress === undefined) return { unread: "zstd needs Node 22.15 or later" };
      bytes = await zstdDecompress(bytes);
    }
  } catch (err) {
    throw refuse(`cannot be decompressed (${(err as Error).message})`);
  }
  // Past the longest string V8 makes: what `pulumi stack export` prints would not fit either.
  if (bytes.length > 0x1fffffe8) return { unread: "the checkpoint is too large to read in one piece" };
  let data: unknown;
  try {
    data = JSON.parse(bytes.toString("utf8"));
  } catch {
    throw refuse("is not JSON");
  }
  try {
    const { version, features, checkpoint } = envelope(data, "");
    // Older checkpoints are migrated by Pulumi, and a feature changes what the state means.
    if ((version !== 3 && version !== 4) || (features ?? []).length > 0)
      return {
        unread: `a checkpoint of version ${version}${features?.length ? ` with features ${features.join(", ")}` : ""}`,
      };
    if (checkpoint.stack !== place.stackName)
      return { unread: `${file} names stack ${quote(checkpoint.stack ?? "")}, not ${quote(place.stackName)}` };
    if (checkpoint.latest === undefined || checkpoint.latest === null)
      return { unread: "the checkpoint holds no deployment" };
    return { deployment: check(checkpoint.latest, "checkpoint.latest"), file };
  } catch (err) {
    if (!(err instanceof Misfit)) throw err;
    throw refuse(`is not of the shape mailbox-addresses reads: ${err.describe()}`);
  }
}
