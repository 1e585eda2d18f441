// One owner per recipient across the stacks of one state backend. Two stacks that both manage a
// recipient undid each other on every `up` (4 writes in 2 rounds, all exit 0; issue 25). Each
// stack keeps an ownership record beside its state: the recipients its spec manages (spec key and
// object id), rewritten by every `up`, so removing a mailbox from the spec frees it. A preview or
// up reads the other stacks' records (one listing, then one small read per other stack) and
// refuses a recipient another stack manages, naming that stack.
//
// Where: `<backend>/.pulumi/mailbox-addresses/owners/<project>/<stack>.json`, beside Pulumi's own
// `.pulumi/stacks/` (file:// and azblob:// backends, the DIY backends teams share; pkg/backend/diy
// in Pulumi keeps every stack's state under `.pulumi/`). Pulumi Cloud and other buckets are not
// read: the check then says it is skipped, and `mailbox-addresses validate a.yaml b.yaml`
// (core/desired/across-shards.ts) remains the check across specs.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { MailboxAddressesError } from "../core/errors";
import { checkJson, count, fields, listOf, text, type Check } from "../core/json-check";
import { quote } from "../core/text";
import { readProjectFile } from "./project-root";

/** A recipient a stack manages: its spec key (lower case) and, when read, its object id. */
export interface OwnedRecipient {
  readonly key: string;
  readonly id?: string;
}

/** What a stack's ownership record holds. */
export interface OwnershipRecord {
  readonly formatVersion: 1;
  readonly project: string;
  readonly stack: string;
  /**
   * The tenant the stack writes to ("Exchange Online tenant …", "local tenant /abs/path"): stacks
   * of one backend may manage the same names in different tenants (a dev stack on the local
   * tenant, production on Exchange Online); only records of the same tenant are compared.
   */
  readonly tenant: string;
  readonly updatedAt: string;
  readonly recipients: readonly OwnedRecipient[];
}

/** A recipient this stack would manage that another stack's record claims. */
export interface OwnershipConflict {
  /** This stack's spec key. */
  readonly identity: string;
  /** The other stack, as `project/stack`. */
  readonly owner: string;
  /** Where the other stack's record is. */
  readonly record: string;
}

/** What a check cost: listings, record reads and their bytes, writes. */
export interface OwnershipCost {
  lists: number;
  reads: number;
  bytesRead: number;
  writes: number;
}

/** Largest record read: 200,000 recipients (a spec's limit) at ~70 bytes each. */
const MAX_RECORD_BYTES = 16 * 1024 * 1024;
const PREFIX = ".pulumi/mailbox-addresses/owners/";

/** Storage beside the state: the same few operations on a folder or a blob container. */
export interface RecordStore {
  /** The backend, for messages: "file:///srv/state", "azblob://state". */
  readonly where: string;
  readonly cost: OwnershipCost;
  /** Names of every record, `project/stack`. */
  list(): Promise<string[]>;
  read(name: string): Promise<string | undefined>;
  write(name: string, text: string): Promise<void>;
  /** Whether the stack `project/stack` still has a state (a record of a removed stack is stale). */
  hasState(name: string): Promise<boolean>;
}

const newCost = (): OwnershipCost => ({ lists: 0, reads: 0, bytesRead: 0, writes: 0 });

/** The names a record may have: Pulumi's project and stack names, nothing that walks folders. */
const SAFE_NAME = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

class FileRecordStore implements RecordStore {
  readonly cost = newCost();
  readonly #root: string;

  constructor(
    readonly where: string,
    root: string,
  ) {
    this.#root = root;
  }

  async list(): Promise<string[]> {
    const owners = path.join(this.#root, PREFIX);
    this.cost.lists++;
    if (!existsSync(owners)) return [];
    const names: string[] = [];
    for (const project of readdirSync(owners, { withFileTypes: true })) {
      if (!project.isDirectory()) continue;
      for (const file of readdirSync(path.join(owners, project.name)))
        if (file.endsWith(".json")) names.push(`${project.name}/${file.slice(0, -5)}`);
    }
    return names;
  }

  async read(name: string): Promise<string | undefined> {
    const file = path.join(this.#root, PREFIX, `${name}.json`);
    this.cost.reads++;
    try {
      if (statSync(file).size > MAX_RECORD_BYTES) return undefined;
      const text = readFileSync(file, "utf8");
      this.cost.bytesRead += Buffer.byteLength(text);
      return text;
    } catch (err) {
      // Removed since the listing: nothing to compare. Any other failure is the check's to report.
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  async write(name: string, text: string): Promise<void> {
    const file = path.join(this.#root, PREFIX, `${name}.json`);
    mkdirSync(path.dirname(file), { recursive: true });
    // Written whole or not at all: another stack's preview may be reading it.
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, text);
    renameSync(partial, file);
    this.cost.writes++;
  }

  async hasState(name: string): Promise<boolean> {
    const base = path.join(this.#root, ".pulumi/stacks", name);
    return existsSync(`${base}.json`) || existsSync(`${base}.json.gz`);
  }
}

class BlobRecordStore implements RecordStore {
  readonly cost = newCost();
  readonly #container: import("@azure/storage-blob").ContainerClient;

  constructor(
    readonly where: string,
    container: import("@azure/storage-blob").ContainerClient,
  ) {
    this.#container = container;
  }

  /** Sizes from the listing: a record over the limit is not downloaded. */
  readonly #sizes = new Map<string, number>();

  async list(): Promise<string[]> {
    const names: string[] = [];
    // One listing (pages of 5,000 names).
    this.cost.lists++;
    for await (const blob of this.#container.listBlobsFlat({ prefix: PREFIX })) {
      const name = blob.name.slice(PREFIX.length);
      if (!name.endsWith(".json")) continue;
      names.push(name.slice(0, -5));
      this.#sizes.set(name.slice(0, -5), blob.properties.contentLength ?? 0);
    }
    return names;
  }

  async read(name: string): Promise<string | undefined> {
    if ((this.#sizes.get(name) ?? 0) > MAX_RECORD_BYTES) return undefined;
    this.cost.reads++;
    try {
      const bytes = await this.#container.getBlobClient(`${PREFIX}${name}.json`).downloadToBuffer();
      this.cost.bytesRead += bytes.length;
      return bytes.toString("utf8");
    } catch (err) {
      // Removed since the listing: nothing to compare. Any other failure is the check's to report.
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw err;
    }
  }

  async write(name: string, text: string): Promise<void> {
    const body = Buffer.from(text);
    await this.#container
      .getBlockBlobClient(`${PREFIX}${name}.json`)
      .upload(body, body.length, { blobHTTPHeaders: { blobContentType: "application/json" } });
    this.cost.writes++;
  }

  async hasState(name: string): Promise<boolean> {
    const base = `.pulumi/stacks/${name}`;
    return (
      (await this.#container.getBlobClient(`${base}.json`).exists()) ||
      (await this.#container.getBlobClient(`${base}.json.gz`).exists())
    );
  }
}

/**
 * The state backend this run uses, as Pulumi picks it: PULUMI_BACKEND_URL, else the project's
 * `backend.url` (Pulumi.yaml), else the login in `~/.pulumi/credentials.json` (PULUMI_HOME).
 */
export function backendUrl(projectRoot: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.PULUMI_BACKEND_URL) return env.PULUMI_BACKEND_URL;
  // Pulumi reads the same file first and refuses one not of its shape: here a misfit is no backend.
  const named = readProjectFile(projectRoot).backendUrl;
  if (named !== undefined) return named;
  const file = path.join(env.PULUMI_HOME || path.join(userHome(), ".pulumi"), "credentials.json");
  let login: string;
  try {
    login = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined; // not logged in
    throw new StackOwnershipError(
      `the Pulumi login ${file} cannot be read (${(err as Error).message})`,
      file,
      LOGIN_REMEDY,
    );
  }
  const checked = checkJson(login, credentials);
  if (!checked.ok) throw new StackOwnershipError(`the Pulumi login ${file} ${checked.problem}`, file, LOGIN_REMEDY);
  return checked.value.current || undefined;
}

/**
 * The user's home folder as Pulumi finds it: the account's (Go's user.Current, which reads the
 * password database before $HOME), else $HOME (pkg/util/pulumihome in Pulumi: `~/.pulumi`, `file://~`).
 */
export function userHome(): string {
  try {
    return os.userInfo().homedir || os.homedir();
  } catch {
    return os.homedir(); // no account entry for this user id (a container's arbitrary uid)
  }
}

/**
 * The folder a `file://` backend URL names, as Pulumi resolves it (pkg/backend/diy/backend.go
 * `massageBlobPath`): the query dropped, `~` and `~/…` from the home folder, any other path made
 * absolute against the folder pulumi runs in (`cwd`: the project's; `file://` alone is that folder).
 */
export function fileBackendRoot(url: string, cwd: string): string {
  const rest = url.slice("file://".length).replace(/\?.*$/, "");
  if (rest === "~") return userHome();
  if (rest.startsWith("~/")) return path.join(userHome(), rest.slice(2));
  return path.resolve(cwd, rest);
}

const LOGIN_REMEDY =
  "log in again (pulumi login, which writes the file anew), or name the state backend in PULUMI_BACKEND_URL";

/** What this tool reads of Pulumi's credentials.json (pkg/workspace: the backend logged in to). */
const credentials = fields<{ current?: string }>({}, { current: text });

/** The one-owner check cannot read what it needs: the Pulumi login, or another stack's ownership record. */
export class StackOwnershipError extends MailboxAddressesError {
  constructor(message: string, file: string, remedy: string) {
    super(`${message}; ${remedy}`, { file, remedy });
    this.name = "StackOwnershipError";
  }
}

/** The record store beside the state at `url`, or undefined for a backend it cannot read (Pulumi Cloud, s3://, gs://). */
export async function recordStoreFor(
  url: string,
  projectRoot: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RecordStore | undefined> {
  if (url.startsWith("file://")) return new FileRecordStore(url, fileBackendRoot(url, projectRoot));
  if (url.startsWith("azblob://")) {
    const parsed = new URL(url);
    const container = parsed.hostname;
    const account = parsed.searchParams.get("storage_account") ?? env.AZURE_STORAGE_ACCOUNT;
    if (!container || !account) return undefined;
    const protocol = parsed.searchParams.get("protocol") ?? "https";
    const domain = parsed.searchParams.get("domain") ?? "blob.core.windows.net";
    // An emulator (Azurite) is addressed by path, a storage account by host name (gocloud.dev/blob/azureblob NewServiceURL).
    const local = parsed.searchParams.get("localemu") === "true" || /^(127\.0\.0\.1|localhost)(:\d+)?$/.test(domain);
    const serviceUrl = local ? `${protocol}://${domain}/${account}` : `${protocol}://${account}.${domain}`;
    // Loaded only for this backend.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when the state is in Azure Blob Storage only
    const blob = require("@azure/storage-blob") as typeof import("@azure/storage-blob");
    let service: import("@azure/storage-blob").BlobServiceClient;
    if (env.AZURE_STORAGE_KEY)
      service = new blob.BlobServiceClient(
        serviceUrl,
        new blob.StorageSharedKeyCredential(account, env.AZURE_STORAGE_KEY),
      );
    else if (env.AZURE_STORAGE_SAS_TOKEN)
      service = new blob.BlobServiceClient(`${serviceUrl}?${env.AZURE_STORAGE_SAS_TOKEN.replace(/^\?/, "")}`);
    else {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- as the Pulumi CLI does without a key: Entra ID
      const { DefaultAzureCredential } = require("@azure/identity") as typeof import("@azure/identity");
      service = new blob.BlobServiceClient(serviceUrl, new DefaultAzureCredential());
    }
    return new BlobRecordStore(`azblob://${container}`, service.getContainerClient(container));
  }
  return undefined;
}

const ownershipRecord: Check<OwnershipRecord> = fields<OwnershipRecord>(
  { formatVersion: count, tenant: text, recipients: listOf(fields<OwnedRecipient>({ key: text }, { id: text })) },
  { project: text, stack: text, updatedAt: text },
);

/**
 * Another stack's record, checked. Not of its shape, or of a format this version does not read:
 * a {@link StackOwnershipError} naming the record (skipping it would let two stacks manage one
 * recipient again), unless its stack has no state any more (a stale record: ignored).
 */
async function readRecord(store: RecordStore, name: string): Promise<OwnershipRecord | undefined> {
  const text = await store.read(name);
  if (text === undefined) return undefined;
  const checked = checkJson(text, ownershipRecord);
  if (checked.ok && checked.value.formatVersion === 1) return checked.value;
  const problem = checked.ok
    ? `is of format ${checked.value.formatVersion}, which this version of mailbox-addresses does not read`
    : checked.problem;
  if (!(await store.hasState(name))) return undefined;
  const file = `${store.where}/${PREFIX}${name}.json`;
  throw new StackOwnershipError(
    `the ownership record of stack ${quote(name)} (${quote(file, 200)}) ${problem}`,
    file,
    checked.ok
      ? `upgrade mailbox-addresses to the version stack ${quote(name)} runs`
      : `run pulumi up on stack ${quote(name)}, which writes its record anew, or remove the file if that stack is not managed with mailbox-addresses`,
  );
}

/**
 * The recipients of `mine` that another stack's record claims (by object id, or by spec key when
 * either side has no id). Reads each other stack's record once; a record whose stack has no state
 * any more (removed with `pulumi stack rm`) is ignored.
 */
export async function findOwnershipConflicts(
  store: RecordStore,
  self: string,
  tenant: string,
  mine: readonly OwnedRecipient[],
): Promise<OwnershipConflict[]> {
  if (mine.length === 0) return [];
  const byId = new Map<string, string>();
  const byKey = new Map<string, string>();
  for (const r of mine) {
    byKey.set(r.key.toLowerCase(), r.key);
    if (r.id) byId.set(r.id.toLowerCase(), r.key);
  }
  const conflicts: OwnershipConflict[] = [];
  for (const name of await store.list()) {
    if (name === self || !SAFE_NAME.test(name)) continue;
    const record = await readRecord(store, name);
    if (record === undefined || record.tenant.toLowerCase() !== tenant.toLowerCase()) continue;
    const found: OwnershipConflict[] = [];
    for (const theirs of record.recipients) {
      const identity =
        (theirs.id ? byId.get(theirs.id.toLowerCase()) : undefined) ?? byKey.get(String(theirs.key).toLowerCase());
      if (identity !== undefined) found.push({ identity, owner: name, record: `${store.where}/${PREFIX}${name}.json` });
    }
    // Only a conflict costs the extra look: does that stack still exist?
    if (found.length > 0 && (await store.hasState(name))) conflicts.push(...found);
  }
  return conflicts;
}

/** Writes this stack's record: the recipients its spec manages now (an empty list frees them all). */
export async function writeOwnershipRecord(
  store: RecordStore,
  project: string,
  stack: string,
  tenant: string,
  recipients: readonly OwnedRecipient[],
): Promise<void> {
  const record: OwnershipRecord = {
    formatVersion: 1,
    project,
    stack,
    tenant,
    updatedAt: new Date().toISOString(),
    recipients,
  };
  await store.write(`${project}/${stack}`, JSON.stringify(record));
}

/** "mailbox "x": managed by stack "p/s" …", for one conflict. */
export function describeConflict(conflict: OwnershipConflict): string {
  return (
    `mailbox ${quote(conflict.identity)}: stack ${quote(conflict.owner)} manages this recipient (its ownership record: ${quote(conflict.record, 200)}); ` +
    "a recipient is managed by one stack: remove it from one of the two specs, and `pulumi up` that stack to release it"
  );
}
