/**
 * How far apart two label keys or values are, to tell a typo (`app=cart` vs `app=carts`)
 * from a genuinely different label (`version=v1` vs `version=v2`).
 */

/** Levenshtein distance, giving up (returning `max + 1`) once it exceeds `max`. */
export function levenshtein(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let previous = new Array<number>(b.length + 1);
  let current = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) previous[j] = j;
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    let rowMin = current[0];
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (current[j]! < rowMin) rowMin = current[j]!;
    }
    if (rowMin > max) return max + 1;
    [previous, current] = [current, previous];
  }
  return previous[b.length]!;
}

const SEPARATORS = /[-_.]/g;

/**
 * True when `found` looks like a slip of the hand for `wanted`: a case difference, a
 * singular/plural pair, different separators (`front-end` / `frontend`), or an edit distance
 * of 1 (words of 4-5 characters) or 2 (6 or more). Shorter words (`api` / `app`) are too
 * easily one edit apart to call it a typo. Strings that differ only in digits
 * (`v1` / `v2`, `1.27` / `1.28`) are deliberate versions, not typos.
 */
export function isLikelyTypo(wanted: string, found: string): boolean {
  if (wanted === found) return false;
  const a = wanted.toLowerCase();
  const b = found.toLowerCase();
  if (a === b) return true;
  if (a + 's' === b || b + 's' === a || a + 'es' === b || b + 'es' === a) return true;
  if (a.replace(SEPARATORS, '') === b.replace(SEPARATORS, '')) return true;
  if (a.replace(/\d/g, '') === b.replace(/\d/g, '')) return false;
  const shorter = Math.min(a.length, b.length);
  if (shorter < 4) return false;
  const allowed = shorter >= 6 ? 2 : 1;
  return levenshtein(a, b, allowed) <= allowed;
}
