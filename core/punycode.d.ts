// The `punycode` package's file (RFC 3492) has no types of its own; `punycode/punycode.js` is the
// package's CommonJS entry, not Node's deprecated built-in module of the same name.
declare module "punycode/punycode.js" {
  /** The Unicode text of an encoded label's tail (after `xn--`); throws on invalid input. */
  export function decode(input: string): string;
  /** The encoded tail of a label's Unicode text. */
  export function encode(input: string): string;
}
