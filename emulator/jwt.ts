// Minimal JWTs (RS256) for the emulator: the tokens it issues and the assertions it checks.
import { createPublicKey, createSign, createVerify, type KeyObject } from "node:crypto";

export type Claims = Record<string, unknown>;

const b64url = (data: Buffer | string) => Buffer.from(data).toString("base64url");

/** Signs `claims` with an RSA private key (PEM). */
export function signJwt(claims: Claims, privateKeyPem: string, header: Record<string, unknown> = {}): string {
  const head = b64url(JSON.stringify({ alg: "RS256", typ: "JWT", ...header }));
  const body = b64url(JSON.stringify(claims));
  const signature = createSign("RSA-SHA256").update(`${head}.${body}`).sign(privateKeyPem);
  return `${head}.${body}.${b64url(signature)}`;
}

export interface DecodedJwt {
  readonly header: Record<string, unknown>;
  readonly claims: Claims;
  readonly signingInput: string;
  readonly signature: Buffer;
}

/** Splits and decodes a JWT without checking it; undefined when it is not a JWT. */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  try {
    return {
      header: JSON.parse(Buffer.from(parts[0]!, "base64url").toString("utf8")),
      claims: JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8")),
      signingInput: `${parts[0]}.${parts[1]}`,
      signature: Buffer.from(parts[2]!, "base64url"),
    };
  } catch {
    return undefined;
  }
}

/** Checks a decoded JWT's RS256 (or PS256) signature against a public key or certificate (PEM). */
export function verifySignature(jwt: DecodedJwt, key: string | KeyObject): boolean {
  const publicKey = typeof key === "string" ? createPublicKey(key) : key;
  const alg = jwt.header.alg;
  if (alg === "RS256") return createVerify("RSA-SHA256").update(jwt.signingInput).verify(publicKey, jwt.signature);
  if (alg === "PS256") {
    return createVerify("RSA-SHA256")
      .update(jwt.signingInput)
      .verify({ key: publicKey, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: 32 }, jwt.signature);
  }
  return false;
}

/** Seconds since the epoch. */
export const now = () => Math.floor(Date.now() / 1000);
