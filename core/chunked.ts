// Splits a list into blocks of at most `size`, in order: a request per block (a filter of 15 users,
// 20 addresses an Exchange -Filter, an LDAP search of a chunk). Pure.

/** `items` in blocks of `size` (the last may be shorter); none for an empty list. */
export const chunked = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
