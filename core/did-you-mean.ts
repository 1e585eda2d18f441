// "Did you mean …?" for names a user typed: settings keys, stack names, fault settings. Pure.
import { distance } from "fastest-levenshtein";

/**
 * The known name closest to `input`, when it is close enough to be a typo: at most a third of
 * its length in edits, rounded up (at least 1, at most 3), compared case-insensitively.
 */
export function closestName(input: string, known: readonly string[]): string | undefined {
  const wanted = input.toLowerCase();
  const limit = Math.min(3, Math.max(1, Math.ceil(wanted.length / 3)));
  let best: { name: string; edits: number } | undefined;
  for (const name of known) {
    const edits = distance(wanted, name.toLowerCase());
    if (edits <= limit && (best === undefined || edits < best.edits)) best = { name, edits };
  }
  return best?.name;
}

/** ` (did you mean "x"?)`, or nothing when no known name is close. */
export function didYouMean(input: string, known: readonly string[]): string {
  const near = closestName(input, known);
  return near === undefined ? "" : ` (did you mean "${near}"?)`;
}
