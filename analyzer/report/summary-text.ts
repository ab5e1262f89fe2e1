import type { Report } from './report.js';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** "2 critical, 1 warning, 4 info; 2 root causes", or "no findings". */
export function describeCounts(summary: Report['summary']): string {
  const total = summary.critical + summary.warning + summary.info;
  if (total === 0) return 'no findings';
  const counts = `${summary.critical} critical, ${plural(summary.warning, 'warning')}, ${summary.info} info`;
  return `${counts}; ${plural(summary.rootCauses, 'root cause')}`;
}

export { plural };
