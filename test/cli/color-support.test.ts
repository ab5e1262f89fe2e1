import { describe, expect, it } from 'vitest';
import { shouldUseColor } from '../../analyzer/cli/color-support.js';

describe('shouldUseColor', () => {
  it('colours a terminal and nothing else by default', () => {
    expect(shouldUseColor(true, {})).toBe(true);
    expect(shouldUseColor(false, {})).toBe(false);
  });

  it('honours NO_COLOR when set and not empty', () => {
    expect(shouldUseColor(true, { NO_COLOR: '1' })).toBe(false);
    expect(shouldUseColor(true, { NO_COLOR: '' })).toBe(true);
    expect(shouldUseColor(true, { TERM: 'dumb' })).toBe(false);
  });

  it('lets FORCE_COLOR win either way, as Node does', () => {
    expect(shouldUseColor(false, { FORCE_COLOR: '1' })).toBe(true);
    expect(shouldUseColor(false, { FORCE_COLOR: '' })).toBe(true);
    expect(shouldUseColor(false, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(true);
    expect(shouldUseColor(true, { FORCE_COLOR: '0' })).toBe(false);
    expect(shouldUseColor(true, { FORCE_COLOR: 'false' })).toBe(false);
  });
});
