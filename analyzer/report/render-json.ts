import type { Report } from './report.js';

/** The report exactly, as report-format.md defines it. */
export function renderJson(report: Report): string {
  return JSON.stringify(report, null, 2) + '\n';
}
