import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { collectList, formatSize, parseCount, parseSize } from '../../analyzer/cli/parse-options.js';

describe('parseSize', () => {
  it('reads bytes and binary K/M/G/T suffixes, with or without B/iB', () => {
    expect(parseSize('1048576')).toBe(1048576);
    expect(parseSize('512M')).toBe(512 * 1024 ** 2);
    expect(parseSize('2G')).toBe(2 * 1024 ** 3);
    expect(parseSize('2g')).toBe(2 * 1024 ** 3);
    expect(parseSize('64KiB')).toBe(64 * 1024);
    expect(parseSize('1.5GB')).toBe(1.5 * 1024 ** 3);
    expect(parseSize('1T')).toBe(1024 ** 4);
  });

  it('rejects what is not a size, as a commander usage error', () => {
    for (const bad of ['', 'abc', '12X', '-5M', '0', '1..5G', 'M']) {
      expect(() => parseSize(bad), bad).toThrow(InvalidArgumentError);
    }
    expect(() => parseSize('12X')).toThrow('expected a size such as 512M or 2G, got "12X"');
  });
});

describe('parseCount', () => {
  it('reads whole numbers with optional k/m', () => {
    expect(parseCount('200000')).toBe(200000);
    expect(parseCount('200k')).toBe(200000);
    expect(parseCount('1M')).toBe(1_000_000);
  });

  it('rejects zero, fractions and words', () => {
    for (const bad of ['0', '1.5', 'many', '-1', '']) expect(() => parseCount(bad), bad).toThrow(InvalidArgumentError);
  });
});

describe('collectList', () => {
  it('accumulates repeated options and splits commas, without duplicates', () => {
    const once = collectList('shop,payments', []);
    expect(once).toEqual(['shop', 'payments']);
    expect(collectList(' web , ,shop', once)).toEqual(['shop', 'payments', 'web']);
  });
});

describe('formatSize', () => {
  it('prints the defaults the way a user would type them', () => {
    expect(formatSize(256 * 1024 ** 2)).toBe('256M');
    expect(formatSize(2 * 1024 ** 3)).toBe('2G');
    expect(formatSize(1500)).toBe('1500');
  });
});
