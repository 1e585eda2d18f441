// How a spec key names an AD user: its userPrincipalName, the cloud's onPremisesImmutableId
// (base64 of the objectGUID's bytes, as Entra Connect sets it by default) or its SID string (the
// cloud's onPremisesSecurityIdentifier). Each becomes an LDAP filter term and a key to match the
// entries a search returns. Pure.
import { EqualityFilter, type Filter } from "ldapts";

export type IdentityKind = "upn" | "immutableId" | "sid";

export interface ParsedIdentity {
  readonly identity: string;
  readonly kind: IdentityKind;
  /** The same key `keysOf` gives a matching entry. */
  readonly key: string;
  /** One term of an OR filter. A filter object, not text: ldapts reads `\xx` escapes in filter
   * text as UTF-8, which mangles the bytes of a GUID or SID. */
  readonly filter: Filter;
}

const SID = /^S-1-\d+(-\d+)+$/i;
const IMMUTABLE_ID = /^[A-Za-z0-9+/]{22}==$/;

/** A SID's binary form (MS-DTYP §2.4.2.2) as its string `S-1-5-21-…`. */
export function sidToString(bytes: Buffer): string {
  const count = bytes[1] ?? 0;
  const authority = bytes.readUIntBE(2, 6);
  const subs: number[] = [];
  for (let i = 0; i < count; i++) subs.push(bytes.readUInt32LE(8 + 4 * i));
  return `S-${bytes[0]}-${authority}${subs.map((s) => `-${s}`).join("")}`;
}

/** A SID string as its binary form. */
export function sidToBytes(sid: string): Buffer {
  const parts = sid.slice(2).split("-").map(Number);
  const [revision, authority, ...subs] = parts as [number, number, ...number[]];
  const bytes = Buffer.alloc(8 + 4 * subs.length);
  bytes[0] = revision;
  bytes[1] = subs.length;
  bytes.writeUIntBE(authority, 2, 6);
  subs.forEach((s, i) => bytes.writeUInt32LE(s, 8 + 4 * i));
  return bytes;
}

/** The identity as the directory understands it, or undefined for a form it has no filter for. */
export function parseIdentity(identity: string): ParsedIdentity | undefined {
  const text = identity.trim();
  if (text.includes("@")) {
    return {
      identity,
      kind: "upn",
      key: `upn:${text.toLowerCase()}`,
      filter: new EqualityFilter({ attribute: "userPrincipalName", value: text }),
    };
  }
  if (SID.test(text)) {
    const sid = text.toUpperCase();
    return {
      identity,
      kind: "sid",
      key: `sid:${sid}`,
      filter: new EqualityFilter({ attribute: "objectSid", value: sidToBytes(sid) }),
    };
  }
  if (IMMUTABLE_ID.test(text)) {
    const bytes = Buffer.from(text, "base64");
    if (bytes.length === 16)
      return {
        identity,
        kind: "immutableId",
        key: `guid:${text}`,
        filter: new EqualityFilter({ attribute: "objectGUID", value: bytes }),
      };
  }
  return undefined;
}

/** Every key by which an entry can be named: its UPN, immutable id and SID. */
export function keysOf(entry: { upn: string | undefined; immutableId: string; sid: string }): string[] {
  const keys = [`guid:${entry.immutableId}`, `sid:${entry.sid.toUpperCase()}`];
  if (entry.upn !== undefined) keys.push(`upn:${entry.upn.toLowerCase()}`);
  return keys;
}
