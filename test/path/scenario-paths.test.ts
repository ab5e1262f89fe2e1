/**
 * `netdump path` on shipped scenario bundles where the answer is known from the story: in
 * pod-ip-outside-cidr, node-c's running pods kept addresses of its old podCIDR, which no node
 * announces any more. Requests to them from other nodes leave through the default route and are
 * lost; requests from them arrive, but the replies take the same dead end. Pods elsewhere still
 * reach each other.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../../analyzer/analyze.js';
import { readBundle } from '../../analyzer/bundle/read-bundle.js';
import type { AnalysisModel } from '../../analyzer/engine/analysis-model.js';
import type { PathResult } from '../../analyzer/path/path-types.js';
import { tracePath } from '../../analyzer/path/trace-path.js';

const SCENARIOS = join(import.meta.dirname, '..', '..', 'fixtures', 'scenarios');
const ON_B = { frontend: 'shop/frontend-5997b69cc8-d2pms', cart: 'shop/cart-845d9ff6b-mj9pc' }; // 10.244.1.x, in node-b's podCIDR
const ON_C = { frontend: 'shop/frontend-5997b69cc8-xlwlf', cart: 'shop/cart-845d9ff6b-nsk8z' }; // 10.244.2.x, outside node-c's new 10.244.3.0/24

describe('pod-ip-outside-cidr', () => {
  let model: AnalysisModel;
  beforeAll(async () => {
    model = buildModel(await readBundle(join(SCENARIOS, 'pod-ip-outside-cidr')));
  });
  const trace = (from: string, to: string): PathResult => {
    const result = tracePath(model, { from, to });
    if ('error' in result) throw new Error(result.error);
    return result;
  };

  it('to a stray pod: node-b has only its default route for it, and no node announces the address', () => {
    const result = trace(ON_B.frontend, ON_C.cart);
    expect(result.verdict).toBe('blocked');
    const nodeB = result.hops.find((h) => h.name === 'node-b')!;
    expect(nodeB.status).toBe('blocked');
    expect(nodeB.summary).toBe("only the default route matches 10.244.2.21, which lies in no node's podCIDR: no node announces it, so 10.0.1.1 cannot know to send it to node-c");
    expect(nodeB.evidence.some((e) => e.file === 'nodes/node-b/ip-route.txt' && e.text.startsWith('default via 10.0.1.1'))).toBe(true);
  });

  it('from a stray pod: the request arrives, the replies are lost on node-b', () => {
    const result = trace(ON_C.frontend, ON_B.cart);
    expect(result.verdict).toBe('blocked');
    expect(result.hops.map((h) => [h.name, h.status])).toEqual([
      [ON_C.frontend, 'ok'],
      ['node-c', 'ok'],
      [expect.stringContaining('eth0'), 'ok'],
      ['node-b', 'ok'],
      [ON_B.cart, 'ok'],
      ['node-b (replies)', 'blocked'],
    ]);
    const replies = result.hops.at(-1)!;
    expect(replies.summary).toContain('the replies to 10.244.2.9 cannot get back');
    expect(replies.evidence).toMatchObject([{ file: 'nodes/node-b/ip-route.txt', text: 'default via 10.0.1.1 dev eth0 proto static' }]);
  });

  it('between pods inside their podCIDRs: works both ways, no reply hop', () => {
    const nodeA = model.kube.pods.find((p) => p.namespace === 'shop' && p.nodeName === 'node-a');
    const onB = trace(ON_B.frontend, ON_B.cart);
    expect(onB.verdict).toBe('works');
    if (nodeA) {
      const result = trace(`${nodeA.namespace}/${nodeA.name}`, ON_B.cart);
      expect(result.verdict).toBe('works');
      expect(result.hops.some((h) => h.name.endsWith('(replies)'))).toBe(false);
    }
  });
});
