/**
 * Names close to one that was not found, for "no pod shop/cart: did you mean ...": names that
 * start with it (a Deployment's name for its pods), then those containing it, then those a few
 * edits away.
 */
import { levenshtein } from '../../rules/lib/string-distance.js';

export function nearNames(wanted: string, candidates: readonly string[], limit = 5): string[] {
  const lower = wanted.toLowerCase();
  const scored: { name: string; score: number }[] = [];
  for (const name of candidates) {
    const candidate = name.toLowerCase();
    if (candidate.startsWith(lower)) scored.push({ name, score: 0 });
    else if (candidate.includes(lower)) scored.push({ name, score: 1 });
    else {
      const allowed = Math.max(2, Math.ceil(lower.length / 3));
      const distance = levenshtein(lower, candidate, allowed);
      if (distance <= allowed) scored.push({ name, score: 1 + distance });
    }
  }
  scored.sort((a, b) => a.score - b.score || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return scored.slice(0, limit).map((s) => s.name);
}
