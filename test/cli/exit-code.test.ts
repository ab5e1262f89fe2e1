import { describe, expect, it } from 'vitest';
import { exitCodeFor } from '../../analyzer/cli/exit-code.js';
import type { Finding, Severity } from '../../analyzer/report/report.js';

const withSeverities = (...severities: Severity[]) => ({ findings: severities.map((severity) => ({ severity }) as Finding) });

describe('exitCodeFor', () => {
  it('is 1 when a finding is at or above --fail-on', () => {
    expect(exitCodeFor(withSeverities('info', 'critical'), 'critical')).toBe(1);
    expect(exitCodeFor(withSeverities('warning'), 'warning')).toBe(1);
    expect(exitCodeFor(withSeverities('critical'), 'info')).toBe(1);
    expect(exitCodeFor(withSeverities('info'), 'info')).toBe(1);
  });

  it('is 0 when every finding is below --fail-on, or there are none', () => {
    expect(exitCodeFor(withSeverities('warning', 'info'), 'critical')).toBe(0);
    expect(exitCodeFor(withSeverities('info'), 'warning')).toBe(0);
    expect(exitCodeFor(withSeverities(), 'info')).toBe(0);
  });
});
