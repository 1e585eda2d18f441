// The emulator's keys and certificates, made on first start and kept in its state folder:
// the HTTPS certificate for 127.0.0.1 (trust it with NODE_EXTRA_CA_CERTS; MSAL refuses http://),
// the key that signs the tokens it issues, the test app's client certificate, and the key of a
// stand-in CI identity provider whose tokens the test app trusts (workload identity federation).
import { createHash, generateKeyPairSync, randomBytes, randomUUID, X509Certificate } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
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
  readonly federationKey: string;
  readonly federationPublicKey: string;
}

async function selfSignedCertificate(commonName: string, withAltNames: boolean): Promise<{ cert: string; key: string }> {
  const selfsigned = (await import("selfsigned")).default ?? (await import("selfsigned"));
  const result = await (selfsigned as unknown as { generate: (a: unknown, o: unknown) => Promise<{ cert: string; private: string }> }).generate(
    [{ name: "commonName", value: commonName }],
    {
      keySize: 2048,
      notAfterDate: new Date(Date.now() + 825 * 24 * 3600 * 1000),
      extensions: withAltNames
        ? [
            { name: "basicConstraints", cA: true },
            { name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }, { type: 2, value: "localhost" }] },
          ]
        : [{ name: "basicConstraints", cA: false }],
    },
  );
  return { cert: result.cert, key: result.private };
}

function rsaKeyPair(): { privateKey: string; publicKey: string } {
  return generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
}

/** Loads the emulator's secrets from `dir`, creating any that are missing. */
export async function ensureSecrets(dir: string): Promise<EmulatorSecrets> {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "secrets.json");
  if (!existsSync(file)) {
    const server = await selfSignedCertificate("mailbox-addresses emulator (127.0.0.1)", true);
    const client = await selfSignedCertificate("mailbox-addresses emulator test app", false);
    const signing = rsaKeyPair();
    const federation = rsaKeyPair();
    const stored = {
      serverKey: server.key,
      serverCert: server.cert,
      tokenSigningKey: signing.privateKey,
      tokenSigningPublicKey: signing.publicKey,
      tokenKeyId: randomBytes(8).toString("hex"),
      clientId: randomUUID(),
      clientSecret: randomBytes(24).toString("base64url"),
      clientCertificate: `${client.cert.trim()}\n${client.key.trim()}\n`,
      unprivilegedClientId: randomUUID(),
      unprivilegedClientSecret: randomBytes(24).toString("base64url"),
      federationKey: federation.privateKey,
      federationPublicKey: federation.publicKey,
    };
    writeFileSync(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
  }
  const stored = JSON.parse(readFileSync(file, "utf8"));
  const serverCertPath = path.join(dir, "emulator-ca.pem");
  const clientCertificatePath = path.join(dir, "test-app-certificate.pem");
  writeFileSync(serverCertPath, stored.serverCert);
  writeFileSync(clientCertificatePath, stored.clientCertificate, { mode: 0o600 });
  const der = new X509Certificate(stored.clientCertificate).raw;
  return {
    ...stored,
    serverCertPath,
    clientCertificatePath,
    clientCertificateThumbprint: createHash("sha1").update(der).digest("hex").toUpperCase(),
  };
}
