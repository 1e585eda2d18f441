// The emulator's keys and certificates, made on first start and kept in its state folder:
// the HTTPS certificate for 127.0.0.1 (trust it with NODE_EXTRA_CA_CERTS; MSAL refuses http://),
// the key that signs the tokens it issues, the test app's client certificate, and the key of a
// stand-in CI identity provider whose tokens the test app trusts (workload identity federation),
// and the token that opens the control plane. Every file is private to the user (0600, folder 0700).
import { createHash, generateKeyPairSync, randomBytes, randomUUID, X509Certificate } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

export interface EmulatorSecrets {
  readonly serverKey: string;
  readonly serverCert: string;
  readonly serverCertPath: string;
  readonly tokenSigningKey: string;
  readonly tokenSigningPublicKey: string;
  readonly tokenKeyId: string;
  /** The test app: id, secret, client certificate (PEM file with cert and key). */
  readonly clientId: string;
  readonly clientSecret: string;
  readonly clientCertificatePath: string;
  readonly clientCertificate: string;
  /** SHA-1 thumbprint of the client certificate (x5t). */
  readonly clientCertificateThumbprint: string;
  /** An app with no permission granted, to show what missing permissions look like. */
  readonly unprivilegedClientId: string;
  readonly unprivilegedClientSecret: string;
  /**
   * An app with Graph's User.Read.All and Exchange.ManageAsApp consented but no Exchange role on
   * its service principal: Exchange refuses it (issue 13, item 5).
   */
  readonly rolelessClientId: string;
  readonly rolelessClientSecret: string;
  /** Object id of each app's service principal (tokens' `oid` and `sub`), by app id. */
  readonly servicePrincipals: Readonly<Record<string, string>>;
  /** Opens the control plane (/_emulator/...): `Authorization: Bearer <controlToken>`. */
  readonly controlToken: string;
  readonly federationKey: string;
  readonly federationPublicKey: string;
}

async function selfSignedCertificate(
  commonName: string,
  withAltNames: boolean,
): Promise<{ cert: string; key: string }> {
  const selfsigned = (await import("selfsigned")).default ?? (await import("selfsigned"));
  const result = await (
    selfsigned as unknown as { generate: (a: unknown, o: unknown) => Promise<{ cert: string; private: string }> }
  ).generate([{ name: "commonName", value: commonName }], {
    keySize: 2048,
    notAfterDate: new Date(Date.now() + 825 * 24 * 3600 * 1000),
    extensions: withAltNames
      ? [
          { name: "basicConstraints", cA: true },
          {
            name: "subjectAltName",
            altNames: [
              { type: 7, ip: "127.0.0.1" },
              { type: 2, value: "localhost" },
            ],
          },
        ]
      : [{ name: "basicConstraints", cA: false }],
  });
  return { cert: result.cert, key: result.private };
}

function rsaKeyPair(): { privateKey: string; publicKey: string } {
  return generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
}

/** Writes a file only the user can read, also when it existed with wider permissions. */
export function writePrivateFile(file: string, content: string): void {
  writeFileSync(file, content, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** Loads the emulator's secrets from `dir`, creating any that are missing (also in an older file). */
export async function ensureSecrets(dir: string): Promise<EmulatorSecrets> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const file = path.join(dir, "secrets.json");
  const stored: Record<string, unknown> = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : {};
  let changed = false;
  const fill = async (key: string, make: () => unknown | Promise<unknown>) => {
    if (stored[key] === undefined) {
      stored[key] = await make();
      changed = true;
    }
  };
  if (stored.serverKey === undefined) {
    const server = await selfSignedCertificate("mailbox-addresses emulator (127.0.0.1)", true);
    Object.assign(stored, { serverKey: server.key, serverCert: server.cert });
  }
  if (stored.clientCertificate === undefined) {
    const client = await selfSignedCertificate("mailbox-addresses emulator test app", false);
    stored.clientCertificate = `${client.cert.trim()}\n${client.key.trim()}\n`;
  }
  if (stored.tokenSigningKey === undefined) {
    const signing = rsaKeyPair();
    Object.assign(stored, {
      tokenSigningKey: signing.privateKey,
      tokenSigningPublicKey: signing.publicKey,
      tokenKeyId: randomBytes(8).toString("hex"),
    });
  }
  if (stored.federationKey === undefined) {
    const federation = rsaKeyPair();
    Object.assign(stored, { federationKey: federation.privateKey, federationPublicKey: federation.publicKey });
  }
  await fill("clientId", randomUUID);
  await fill("clientSecret", () => randomBytes(24).toString("base64url"));
  await fill("unprivilegedClientId", randomUUID);
  await fill("unprivilegedClientSecret", () => randomBytes(24).toString("base64url"));
  await fill("rolelessClientId", randomUUID);
  await fill("rolelessClientSecret", () => randomBytes(24).toString("base64url"));
  await fill("controlToken", () => randomBytes(32).toString("base64url"));
  const apps = [stored.clientId, stored.unprivilegedClientId, stored.rolelessClientId] as string[];
  const principals = (stored.servicePrincipals ?? {}) as Record<string, string>;
  for (const app of apps) {
    if (principals[app] === undefined) {
      principals[app] = randomUUID();
      changed = true;
    }
  }
  stored.servicePrincipals = principals;
  if (changed || !existsSync(file)) writePrivateFile(file, JSON.stringify(stored, null, 2));
  else chmodSync(file, 0o600);
  const serverCertPath = path.join(dir, "emulator-ca.pem");
  const clientCertificatePath = path.join(dir, "test-app-certificate.pem");
  writePrivateFile(serverCertPath, String(stored.serverCert));
  writePrivateFile(clientCertificatePath, String(stored.clientCertificate));
  const der = new X509Certificate(String(stored.clientCertificate)).raw;
  return {
    ...(stored as unknown as EmulatorSecrets),
    serverCertPath,
    clientCertificatePath,
    clientCertificateThumbprint: createHash("sha1").update(der).digest("hex").toUpperCase(),
  };
}
