import { describe, expect, it } from 'vitest';
import {
  formatLabels,
  formatSelector,
  isEmptySelector,
  matchesEquality,
  matchesLabelSelector,
} from '../../analyzer/kube/label-selector.js';
import type { LabelSelector } from '../../analyzer/kube/types.js';

const web = { app: 'cart', tier: 'web', 'app.kubernetes.io/name': 'cart' };
const api = { app: 'cart', tier: 'api' };
const canary = { app: 'cart', tier: 'web', canary: 'true' };
const bare = {};

const selects = (selector: LabelSelector | undefined | null) =>
  [web, api, canary, bare].map((labels) => matchesLabelSelector(labels, selector));

describe('matchesLabelSelector (metav1.LabelSelector)', () => {
  it('selects nothing when the selector is absent, everything when it is {}', () => {
    expect(selects(undefined)).toEqual([false, false, false, false]);
    expect(selects(null)).toEqual([false, false, false, false]);
    expect(selects({})).toEqual([true, true, true, true]);
    expect(selects({ matchLabels: {}, matchExpressions: [] })).toEqual([true, true, true, true]);
  });

  it('matchLabels requires every pair', () => {
    expect(selects({ matchLabels: { app: 'cart' } })).toEqual([true, true, true, false]);
    expect(selects({ matchLabels: { app: 'cart', tier: 'web' } })).toEqual([true, false, true, false]);
    expect(selects({ matchLabels: { 'app.kubernetes.io/name': 'cart' } })).toEqual([true, false, false, false]);
  });

  it('In: the label is present with one of the values', () => {
    expect(selects({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'db'] }] })).toEqual([true, false, true, false]);
  });

  it('NotIn: the label is absent, or has none of the values', () => {
    expect(selects({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['web'] }] })).toEqual([false, true, false, true]);
  });

  it('Exists and DoesNotExist look at the key only', () => {
    expect(selects({ matchExpressions: [{ key: 'canary', operator: 'Exists' }] })).toEqual([false, false, true, false]);
    expect(selects({ matchExpressions: [{ key: 'canary', operator: 'DoesNotExist' }] })).toEqual([true, true, false, true]);
    expect(selects({ matchExpressions: [{ key: 'tier', operator: 'Exists', values: [] }] })).toEqual([true, true, true, false]);
  });

  it('ANDs matchLabels and every expression', () => {
    const selector: LabelSelector = {
      matchLabels: { app: 'cart' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['web', 'api'] },
        { key: 'canary', operator: 'DoesNotExist' },
      ],
    };
    expect(selects(selector)).toEqual([true, true, false, false]);
  });

  it('an invalid requirement matches nothing, as LabelSelectorAsSelector refuses it', () => {
    expect(selects({ matchExpressions: [{ key: 'tier', operator: 'Gt', values: ['1'] }] })).toEqual([false, false, false, false]);
    expect(selects({ matchExpressions: [{ key: 'tier', operator: 'in', values: ['web'] }] })).toEqual([false, false, false, false]);
    expect(selects({ matchExpressions: [{ key: 'tier', operator: 'In', values: [] }] })).toEqual([false, false, false, false]);
    expect(selects({ matchExpressions: [{ key: 'tier', operator: 'NotIn' }] })).toEqual([false, false, false, false]);
    expect(selects({ matchExpressions: [{ key: 'canary', operator: 'Exists', values: ['true'] }] })).toEqual([false, false, false, false]);
  });
});

describe('matchesEquality (Service spec.selector)', () => {
  it('requires every key=value', () => {
    expect(matchesEquality(web, { app: 'cart' })).toBe(true);
    expect(matchesEquality(api, { app: 'cart', tier: 'web' })).toBe(false);
    expect(matchesEquality(bare, { app: 'cart' })).toBe(false);
  });

  it('an absent or empty selector selects nothing (no endpoints are managed)', () => {
    expect(matchesEquality(web, undefined)).toBe(false);
    expect(matchesEquality(web, {})).toBe(false);
    expect(matchesEquality(bare, {})).toBe(false);
  });

  it('does not confuse inherited properties with labels', () => {
    expect(matchesEquality({}, { toString: 'x' })).toBe(false);
  });
});

describe('formatting', () => {
  it('prints selectors in kubectl -l syntax', () => {
    expect(
      formatSelector({
        matchLabels: { app: 'cart' },
        matchExpressions: [
          { key: 'tier', operator: 'In', values: ['web', 'api'] },
          { key: 'track', operator: 'NotIn', values: ['canary'] },
          { key: 'release', operator: 'Exists' },
          { key: 'legacy', operator: 'DoesNotExist' },
        ],
      }),
    ).toBe('app=cart,tier in (web,api),track notin (canary),release,!legacy');
    expect(formatSelector({})).toBe('<all>');
    expect(formatSelector(undefined)).toBe('<none>');
    expect(formatSelector({ matchExpressions: [{ key: 'x', operator: 'Gt', values: ['1'] }] })).toBe('x Gt (1)');
  });

  it('prints labels and Service selectors as key=value pairs, empty as ""', () => {
    expect(formatLabels({ app: 'cart', 'app.kubernetes.io/name': 'cart' })).toBe('app=cart,app.kubernetes.io/name=cart');
    expect(formatLabels({})).toBe('');
    expect(formatLabels(undefined)).toBe('');
  });

  it('isEmptySelector tells {} apart from a selector with requirements', () => {
    expect(isEmptySelector({})).toBe(true);
    expect(isEmptySelector({ matchLabels: {} })).toBe(true);
    expect(isEmptySelector({ matchLabels: { app: 'x' } })).toBe(false);
    expect(isEmptySelector({ matchExpressions: [{ key: 'a', operator: 'Exists' }] })).toBe(false);
  });
});
