import { describe, expect, it } from 'vitest';
import { FORMAT_NAMES, renderers } from '../../analyzer/report/renderers.js';
import { sampleReport } from './sample-report.js';

describe('renderer registry', () => {
  it('offers human, json and markdown', () => {
    expect(FORMAT_NAMES).toEqual(['human', 'json', 'markdown']);
  });

  it('renders json as the report exactly, and nothing else', () => {
    const report = sampleReport();
    const text = renderers.json(report, { color: true });
    expect(text).toBe(JSON.stringify(report, null, 2) + '\n');
    expect(JSON.parse(text)).toEqual(report);
  });

  it('ends every format with a newline', () => {
    for (const name of FORMAT_NAMES) expect(renderers[name](sampleReport(), { color: false }).endsWith('\n')).toBe(true);
  });
});
