// "Did you mean …?" for names a user typed: settings keys, stack names, fault settings. Pure.
// Edits are counted as commander counts them for commands and options (its suggester uses the
// optimal string alignment distance): a swap of two neighbouring letters is one edit, so `dve`
// finds `dev` as `drfit` finds `drift`.

/** Insertions, deletions, substitutions and swaps of neighbours (optimal string alignment distance). */
export function editDistance(a: string, b: string): number {
  // Three rows of the dynamic-programming table: two back, for a swap.
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i, ...new Array<number>(b.length).fill(0)];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, before[j - 2]! + 1);
      current[j] = best;
    }
    before = previous;
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The known name closest to `input`, when it is close enough to be a typo: at most a third of
 * its length in edits, rounded up (at least 1, at most 3), compared case-insensitively.
 */
export function closestName(input: string, known: readonly string[]): string | undefined {
  const wanted = input.toLowerCase();
  const limit = Math.min(3, Math.max(1, Math.ceil(wanted.length / 3)));
  let best: { name: string; edits: number } | undefined;
  for (const name of known) {
    const edits = editDistance(wanted, name.toLowerCase());
    if (edits <= limit && (best === undefined || edits < best.edits)) best = { name, edits };
  }
  return best?.name;
}

/** ` (did you mean "x"?)`, or nothing when no known name is close. */
export function didYouMean(input: string, known: readonly string[]): string {
  const near = closestName(input, known);
  return near === undefined ? "" : ` (did you mean "${near}"?)`;
}
