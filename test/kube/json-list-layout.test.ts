import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kubectlLayoutSpans, scanItemSpans } from '../../analyzer/kube/json-list.js';

// The kubectl-layout shortcut must find exactly what the general scan finds, or decline.
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ unit: fc.constantFrom('a', '{', '}', '[', ']', '"', '\\', '\n', ' ', ':', ',') }),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 4 }), tie('value'), { maxKeys: 3 }),
  ),
}));
const item = fc.dictionary(fc.constantFrom('metadata', 'spec', 'status', 'kind', '{', 'items'), jsonValue.value, { maxKeys: 4 });

describe('kubectl layout shortcut for item positions', () => {
  it('agrees with the general scan on every 4-space-indented List', () => {
    fc.assert(
      fc.property(fc.array(item, { maxLength: 6 }), (items) => {
        const text = JSON.stringify({ apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } }, null, 4);
        const fast = kubectlLayoutSpans(text, items.length);
        const general = scanItemSpans(text, 0, text.length);
        expect(fast).toBeDefined();
        expect(fast!.starts).toEqual(general.starts);
        expect(fast!.ends).toEqual(general.ends);
      }),
      { numRuns: 300 },
    );
  });

  it('declines compact JSON and counts that disagree with JSON.parse', () => {
    const compact = JSON.stringify({ items: [{ a: 1 }, { b: 2 }] });
    expect(kubectlLayoutSpans(compact, 2)).toBeUndefined();
    const pretty = JSON.stringify({ items: [{ a: 1 }, { b: 2 }] }, null, 4);
    expect(kubectlLayoutSpans(pretty, 3)).toBeUndefined();
    expect(kubectlLayoutSpans(pretty, 2)?.starts).toHaveLength(2);
  });
});
