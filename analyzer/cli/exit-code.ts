/**
 * The exit status of `netdump analyze`: 1 when a finding is at or above `--fail-on`, else 0.
 * (2 and 3, usage and internal errors, are decided where those errors are caught.)
 */
import { SEVERITIES, type Report, type Severity } from '../report/report.js';

export function exitCodeFor(report: Pick<Report, 'findings'>, failOn: Severity): 0 | 1 {
  const threshold = SEVERITIES.indexOf(failOn);
  return report.findings.some((f) => SEVERITIES.indexOf(f.severity) <= threshold) ? 1 : 0;
}
