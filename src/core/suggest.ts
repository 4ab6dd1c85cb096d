/** "Did you mean" for near misses such as `descripton` → `description`. */

/**
 * Edit distance counting a swap of two neighbouring letters as one edit (optimal string
 * alignment): `titel` is one edit from `title`, as a reader sees it.
 */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let prev2 = new Array<number>(b.length + 1).fill(0);
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a.charCodeAt(i - 1) === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === b.charCodeAt(j - 1)) d = Math.min(d, prev2[j - 2]! + 1);
      cur[j] = d;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[b.length]!;
}

export interface SuggestOptions {
  /**
   * Also take a short word as an abbreviation (`dev` of `development`, `prd` or `prod` of
   * `production`): its letters in order, the first one first. Used for names people shorten
   * (environments); only a unique such candidate is suggested.
   */
  abbreviations?: boolean;
}

function isAbbreviation(short: string, long: string): boolean {
  if (short.length < 2 || short.length >= long.length || short[0] !== long[0]) return false;
  let j = 0;
  for (const ch of long) if (ch === short[j]) j++;
  return j === short.length;
}

/** The closest candidate within a distance that scales with the word's length, or undefined. */
export function didYouMean(word: string, candidates: Iterable<string>, opts: SuggestOptions = {}): string | undefined {
  const max = Math.max(1, Math.min(3, Math.floor(word.length / 3)));
  let best: string | undefined;
  let bestD = Infinity;
  const lw = word.toLowerCase();
  const all = [...candidates];
  for (const c of all) {
    const d = editDistance(lw, c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  if (bestD <= max) return best;
  if (opts.abbreviations) {
    const abbr = all.filter((c) => isAbbreviation(lw, c.toLowerCase()));
    if (abbr.length === 1) return abbr[0];
  }
  return undefined;
}

/** did-you-mean for environment names, which people shorten: `prd`, `prod` → production, `dev` → development, `stg` → staging. */
export function suggestEnv(name: string, environments: Iterable<string>): string | undefined {
  return didYouMean(name, environments, { abbreviations: true });
}
