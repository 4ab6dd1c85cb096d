/**
 * String similarity for the `similar` assertion: normalized Levenshtein similarity,
 * 1 - distance / max(length), over Unicode code points. 1 = identical, 0 = nothing in common.
 *
 * Bounded (SPEC §11): the assertion only needs to know whether the distance is within
 * k = floor((1 - threshold) * max length), so it runs Ukkonen's banded dynamic programme over a
 * diagonal band of width 2k + 1 — O(k · n) instead of O(n · m) — and stops as soon as every cell
 * of a row exceeds k. Work beyond MAX_SIMILAR_CELLS is refused with a clear message instead of
 * taking minutes on two long replies.
 */

/** The most DP cells one `similar` assertion may compute (~0.2 s). */
export const MAX_SIMILAR_CELLS = 50_000_000;

export function levenshtein(a: readonly string[] | string, b: readonly string[] | string): number {
  const x = typeof a === 'string' ? [...a] : a;
  const y = typeof b === 'string' ? [...b] : b;
  return boundedLevenshtein(x, y, Math.max(x.length, y.length)) ?? Math.max(x.length, y.length);
}

/**
 * The edit distance of x and y when it is at most `k`, else null; only the cells within `k` of
 * the diagonal are computed.
 */
export function boundedLevenshtein(x: readonly string[], y: readonly string[], k: number): number | null {
  const n = x.length;
  const m = y.length;
  if (Math.abs(n - m) > k) return null;
  if (n === 0 || m === 0) return Math.max(n, m) <= k ? Math.max(n, m) : null;
  const BIG = k + 1;
  let prev = new Uint32Array(m + 1);
  let cur = new Uint32Array(m + 1);
  for (let j = 0; j <= m; j++) prev[j] = j <= k ? j : BIG;
  for (let i = 1; i <= n; i++) {
    const lo = Math.max(1, i - k);
    const hi = Math.min(m, i + k);
    cur[0] = i <= k ? i : BIG;
    if (lo > 1) cur[lo - 1] = BIG;
    const xi = x[i - 1];
    let rowMin = cur[0]!;
    for (let j = lo; j <= hi; j++) {
      const del = prev[j]! + 1;
      const ins = cur[j - 1]! + 1;
      const sub = prev[j - 1]! + (xi === y[j - 1] ? 0 : 1);
      let v = del < ins ? (del < sub ? del : sub) : ins < sub ? ins : sub;
      if (v > BIG) v = BIG;
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (hi < m) cur[hi + 1] = BIG;
    if (rowMin > k) return null;
    [prev, cur] = [cur, prev];
  }
  const d = prev[m]!;
  return d <= k ? d : null;
}

export type Similarity = { score: number; exact: boolean } | { tooLong: string };

/**
 * Whether a and b are at least `threshold` similar: the exact similarity when it is at least the
 * threshold (or the strings are short), else an upper bound of it; `tooLong` when even the band
 * would exceed MAX_SIMILAR_CELLS.
 */
export function similarityAtLeast(a: string, b: string, threshold: number): Similarity {
  const x = [...a];
  const y = [...b];
  const max = Math.max(x.length, y.length);
  if (max === 0) return { score: 1, exact: true };
  const full = x.length * y.length <= MAX_SIMILAR_CELLS;
  const k = full ? max : Math.floor((1 - threshold) * max + 1e-9);
  const band = Math.min(x.length, y.length) * (2 * k + 1);
  if (!full && band > MAX_SIMILAR_CELLS) {
    return { tooLong: `the output (${x.length} characters) and the value (${y.length} characters) are too long to compare at threshold ${threshold} (at most ${MAX_SIMILAR_CELLS} cells); shorten the value, raise the threshold, or use contains / regex` };
  }
  const d = boundedLevenshtein(x, y, k);
  if (d === null) return { score: Math.max(0, 1 - (k + 1) / max), exact: false };
  return { score: 1 - d / max, exact: true };
}

export function similarity(a: string, b: string): number {
  const r = similarityAtLeast(a, b, 0);
  return 'score' in r ? r.score : 0;
}
