import { describe, expect, it } from 'vitest';
import { isLikelyTypo, levenshtein } from '../../rules/lib/string-distance.js';

describe('levenshtein', () => {
  it('counts insertions, deletions and substitutions', () => {
    expect(levenshtein('cart', 'carts')).toBe(1);
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('', 'abc')).toBe(3);
    expect(levenshtein('same', 'same')).toBe(0);
  });

  it('gives up past the bound', () => {
    expect(levenshtein('frontend', 'database', 2)).toBe(3);
  });
});

describe('isLikelyTypo', () => {
  it.each([
    ['cart', 'carts', 'a plural'],
    ['Cart', 'cart', 'case'],
    ['frontend', 'front-end', 'separators'],
    ['checkout', 'chekout', 'one edit'],
    ['payments', 'paymnets', 'two edits in a long word'],
    ['App', 'app', 'a key in another case'],
  ])('%s / %s: a typo (%s)', (wanted, found) => {
    expect(isLikelyTypo(wanted, found)).toBe(true);
  });

  it.each([
    ['v1', 'v2', 'versions that differ in digits only'],
    ['1.27', '1.28', 'versions that differ in digits only'],
    ['web', 'db', 'different words'],
    ['api', 'app', 'short words one edit apart'],
    ['cart', 'cart', 'identical'],
    ['backend', 'frontend', 'different words of similar length'],
  ])('%s / %s: not a typo (%s)', (wanted, found) => {
    expect(isLikelyTypo(wanted, found)).toBe(false);
  });
});
