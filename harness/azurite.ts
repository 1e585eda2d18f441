// Azurite, Microsoft's Azure Storage emulator (the npm package azurite), as a shared Pulumi state
// backend with locking: blob storage on 127.0.0.1 that the Pulumi CLI reaches as `azblob://`, as a
// team would use a storage account. Pulumi's DIY backend opens it through gocloud.dev's azureblob
// driver: the URL's `domain` and `protocol` select the emulator's endpoint, and the account and
// its key come from AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY
// (gocloud.dev/blob/azureblob NewServiceURL, NewDefaultClient; pkg/backend/diy/backend.go).
// Locks are blobs under .pulumi/locks/ (pkg/backend/diy/lock.go): a second run on a locked stack
// is refused.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import { PROJECT_ROOT } from "./pulumi-stack";

const ACCOUNT = "devstoreaccount1";

/** Azurite's published development account key, read from the package rather than repeated here. */
function accountKey(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- azurite's own constant, loaded only where Azurite is used
  return (require("azurite/dist/src/blob/utils/constants") as { EMULATOR_ACCOUNT_KEY_STR: string })
    .EMULATOR_ACCOUNT_KEY_STR;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

export class AzuriteProcess {
  readonly #child: ChildProcess;
  readonly #location: string;
  readonly port: number;
  readonly container: string;

  private constructor(child: ChildProcess, location: string, port: number, container: string) {
    this.#child = child;
    this.#location = location;
    this.port = port;
    this.container = container;
  }

  /** Starts Azurite's blob service on a free port of 127.0.0.1 and creates `container`. */
  static async start(container = "pulumi-state"): Promise<AzuriteProcess> {
    const location = mkdtempSync(path.join(os.tmpdir(), "mbx-azurite-"));
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [
        path.join(PROJECT_ROOT, "node_modules/azurite/dist/src/blob/main.js"),
        "--blobHost",
        "127.0.0.1",
        "--blobPort",
        String(port),
        "--location",
        location,
        "--silent",
        "--disableTelemetry",
        "--skipApiVersionCheck",
        "--loose",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    const listening = new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString("utf8");
        if (/successfully listens on/i.test(output)) resolve();
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      child.once("exit", (code) => reject(new Error(`Azurite exited (${code}) before listening:\n${output}`)));
      setTimeout(() => reject(new Error(`Azurite did not listen within 60 s:\n${output}`)), 60_000).unref();
    });
    await listening;
    const azurite = new AzuriteProcess(child, location, port, container);
    const { BlobServiceClient } = await import("@azure/storage-blob");
    await BlobServiceClient.fromConnectionString(azurite.connectionString())
      .getContainerClient(container)
      .createIfNotExists();
    return azurite;
  }

  connectionString(): string {
    return `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${accountKey()};BlobEndpoint=http://127.0.0.1:${this.port}/${ACCOUNT};`;
  }

  /** Pulumi's backend URL for the container (pulumi login / PULUMI_BACKEND_URL). */
  get backendUrl(): string {
    return `azblob://${this.container}?domain=127.0.0.1:${this.port}&protocol=http&storage_account=${ACCOUNT}`;
  }

  /** The environment a pulumi process needs to reach it. */
  environment(): Record<string, string> {
    return { PULUMI_BACKEND_URL: this.backendUrl, AZURE_STORAGE_ACCOUNT: ACCOUNT, AZURE_STORAGE_KEY: accountKey() };
  }

  /** The names of the blobs under `prefix` (e.g. `.pulumi/locks/`). */
  async list(prefix: string): Promise<string[]> {
    const { BlobServiceClient } = await import("@azure/storage-blob");
    const names: string[] = [];
    for await (const blob of BlobServiceClient.fromConnectionString(this.connectionString())
      .getContainerClient(this.container)
      .listBlobsFlat({ prefix }))
      names.push(blob.name);
    return names;
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode === null) {
      const exited = new Promise((resolve) => this.#child.once("exit", resolve));
      this.#child.kill("SIGTERM");
      await exited;
    }
    rmSync(this.#location, { recursive: true, force: true });
  }
}
