import { describe, expect, it } from 'vitest';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { parseJsonList } from '../../analyzer/kube/json-list.js';
import { parseYamlList } from '../../analyzer/kube/yaml-list.js';
import { findLine, SERVICES_JSON, SERVICES_YAML } from './kubectl-fixtures.js';

const parse = (text: string, path = 'cluster/services.yaml') => parseYamlList(new SourceFile(path, text));
const names = (items: { object: unknown }[]) => items.map((i) => (i.object as { metadata: { name: string } }).metadata.name);

describe('parseYamlList', () => {
  it('reads a kubectl -o yaml List into the same objects as its JSON twin', () => {
    const { value, issues } = parse(SERVICES_YAML);
    expect(issues).toEqual([]);
    const json = parseJsonList(new SourceFile('cluster/services.json', SERVICES_JSON)).value.items;
    expect(value.items.map((i) => i.object)).toEqual(json.slice(0, 2).map((i) => i.object));
  });

  it('places each item at its "- " line', () => {
    const { value } = parse(SERVICES_YAML);
    expect(value.items.map((i) => i.source.line)).toEqual([3, findLine(SERVICES_YAML, '- apiVersion: v1', '- apiVersion: v1')]);
    expect(value.items[0]!.source.file).toBe('cluster/services.yaml');
  });

  it('locates fields with at(), dotted label keys included', () => {
    const [cart, headless] = parse(SERVICES_YAML).value.items.map((i) => i.source);
    expect(cart!.at('spec.selector["app.kubernetes.io/name"]', 'selector')).toEqual({
      file: 'cluster/services.yaml',
      line: findLine(SERVICES_YAML, 'selector:', 'app.kubernetes.io/name: cart'),
      text: 'app.kubernetes.io/name: cart',
      note: 'selector',
    });
    expect(cart!.at('spec.ports[1].port').text).toBe('port: 9090');
    expect(cart!.at('spec.ports[1]').text).toBe('- name: metrics');
    expect(cart!.at('spec.clusterIPs[1]').text).toBe('- fd00:10:96::1234');
    expect(cart!.at('spec.sessionAffinityConfig.clientIP.timeoutSeconds').text).toBe('timeoutSeconds: 10800');
    expect(headless!.at('spec.publishNotReadyAddresses').text).toBe('publishNotReadyAddresses: true');
  });

  it('falls back to the nearest ancestor for a missing field', () => {
    const [cart, headless] = parse(SERVICES_YAML).value.items.map((i) => i.source);
    expect(cart!.at('spec.ports[1].targetPort').text).toBe('- name: metrics');
    expect(headless!.at('spec.externalTrafficPolicy').text).toBe('spec:');
    expect(headless!.at('status.loadBalancer.ingress[0].ip').text).toBe('loadBalancer: {}');
    expect(headless!.at().line).toBe(headless!.line);
  });

  it('accepts several documents, each a List or an object, and a bare sequence', () => {
    const multi = [
      '---',
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: coredns',
      '  namespace: kube-system',
      'data:',
      '  Corefile: |',
      '    .:53 {',
      '        kubernetes cluster.local in-addr.arpa ip6.arpa',
      '    }',
      '---',
      'apiVersion: v1',
      'kind: List',
      'items:',
      '- metadata:',
      '    name: kube-proxy',
      '- metadata:',
      '    name: cilium-config',
      '---',
      '',
    ].join('\n');
    const { value, issues } = parse(multi, 'cluster/configmaps.yaml');
    expect(issues).toEqual([]);
    expect(names(value.items)).toEqual(['coredns', 'kube-proxy', 'cilium-config']);
    expect(value.items.map((i) => i.source.line)).toEqual([2, 16, 18]);
    expect(value.items[0]!.source.at('data.Corefile').line).toBe(8);

    const bare = parse('- metadata:\n    name: a\n- metadata:\n    name: b\n');
    expect(names(bare.value.items)).toEqual(['a', 'b']);
    expect(bare.value.items.map((i) => i.source.line)).toEqual([1, 3]);
  });

  it('reports invalid YAML at its line and still reads the other documents', () => {
    const text = ['metadata:', '  name: good', '---', 'metadata:', '  name: [unclosed', '  labels: {}', '---', 'metadata:', '  name: also-good', ''].join('\n');
    const { value, issues } = parse(text);
    expect(names(value.items)).toEqual(['good', 'also-good']);
    expect(issues).toHaveLength(1);
    // The yaml package notices the unclosed flow sequence where the block mapping goes on.
    expect(issues[0]).toMatchObject({ code: 'INVALID_YAML', file: 'cluster/services.yaml', line: 6, text: 'labels: {}' });
    expect(issues[0]!.message).toMatch(/^invalid YAML at line 6: Flow sequence .*; document 2 was not read$/);
  });

  it('reports a List without items, and an empty file', () => {
    expect(parse('apiVersion: v1\nkind: List\nmetadata: {}\n').issues[0]).toMatchObject({ code: 'UNEXPECTED_SHAPE', line: 1 });
    expect(parse('').issues[0]).toMatchObject({ code: 'UNEXPECTED_SHAPE', line: 1 });
    expect(parse('').value.items).toEqual([]);
  });

  it('reads CRLF files with the same lines', () => {
    const crlf = SERVICES_YAML.replace(/\n/g, '\r\n');
    const { value, issues } = parse(crlf);
    expect(issues).toEqual([]);
    const cart = value.items[0]!.source;
    expect(cart.at('spec.ports[0].targetPort')).toMatchObject({
      line: findLine(SERVICES_YAML, 'targetPort: http'),
      text: 'targetPort: http',
    });
  });
});
