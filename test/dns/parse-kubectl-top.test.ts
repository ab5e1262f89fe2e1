import { describe, expect, it } from 'vitest';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { parseKubectlTop, parseQuantity } from '../../analyzer/dns/parse-kubectl-top.js';

const parse = (text: string) => parseKubectlTop(new SourceFile('cluster/top-pods.txt', text));

describe('parseKubectlTop', () => {
  it('reads kubectl top pods -A', () => {
    const text = [
      'NAMESPACE     NAME                                        CPU(cores)   MEMORY(bytes)',
      'kube-system   coredns-5d78c9869d-8kq2p                    3m           12Mi',
      'kube-system   coredns-5d78c9869d-x7tzd                    998m         168Mi',
      'kube-system   kube-proxy-9w2lz                            1            1Gi',
      'shop          cart-7d9f8b6c4d-x2x7q                       0m           23456Ki',
      '',
    ].join('\n');
    const { value, issues } = parse(text);
    expect(issues).toEqual([]);
    expect(value.perContainer).toBe(false);
    expect(value.pods).toEqual([
      { namespace: 'kube-system', pod: 'coredns-5d78c9869d-8kq2p', cpuMillicores: 3, memoryBytes: 12 * 2 ** 20, line: 2 },
      { namespace: 'kube-system', pod: 'coredns-5d78c9869d-x7tzd', cpuMillicores: 998, memoryBytes: 168 * 2 ** 20, line: 3 },
      { namespace: 'kube-system', pod: 'kube-proxy-9w2lz', cpuMillicores: 1000, memoryBytes: 2 ** 30, line: 4 },
      { namespace: 'shop', pod: 'cart-7d9f8b6c4d-x2x7q', cpuMillicores: 0, memoryBytes: 23456 * 1024, line: 5 },
    ]);
  });

  it('reads kubectl top pods -A --containers, and without the namespace column', () => {
    const containers = parse(
      'NAMESPACE     POD                          NAME          CPU(cores)   MEMORY(bytes)\nkube-system   node-local-dns-4kz8x         node-cache    2m           19Mi\n',
    ).value;
    expect(containers.perContainer).toBe(true);
    expect(containers.pods).toEqual([
      { namespace: 'kube-system', pod: 'node-local-dns-4kz8x', container: 'node-cache', cpuMillicores: 2, memoryBytes: 19 * 2 ** 20, line: 2 },
    ]);
    const oneNamespace = parse('NAME                       CPU(cores)   MEMORY(bytes)   SWAP(bytes)\ncoredns-5d78c9869d-8kq2p   3m           12Mi            0\n').value;
    expect(oneNamespace.pods).toEqual([{ pod: 'coredns-5d78c9869d-8kq2p', cpuMillicores: 3, memoryBytes: 12 * 2 ** 20, line: 2 }]);
  });

  it("reports kubectl's errors and broken lines", () => {
    const text = [
      'W1126 09:14:02.123456   41234 top_pod.go:140] Using json format to get metrics. Next release will switch to protocol-buffers',
      'NAMESPACE     NAME          CPU(cores)   MEMORY(bytes)',
      'kube-system   coredns-a     3m',
      'kube-system   coredns-b     lots         12Mi',
      'error: Metrics API not available',
    ].join('\n');
    const { value, issues } = parse(text);
    expect(issues.map((i) => [i.line, i.severity ?? 'error'])).toEqual([
      [1, 'warning'],
      [3, 'error'],
      [4, 'error'],
      [5, 'error'],
    ]);
    expect(value.pods).toEqual([{ namespace: 'kube-system', pod: 'coredns-b', memoryBytes: 12 * 2 ** 20, line: 4 }]);
  });

  it('reads quantities', () => {
    expect(parseQuantity('250m')).toBeCloseTo(0.25);
    expect(parseQuantity('1.5')).toBe(1.5);
    expect(parseQuantity('128974848')).toBe(128974848);
    expect(parseQuantity('129M')).toBe(129e6);
    expect(parseQuantity('12Mi')).toBe(12582912);
    expect(parseQuantity('12MiB')).toBeUndefined();
  });
});
