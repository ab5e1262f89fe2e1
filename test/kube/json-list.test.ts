import { describe, expect, it } from 'vitest';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { parseJsonList, syntaxErrorOffset } from '../../analyzer/kube/json-list.js';
import { findLine, linesEqualTo, PODS_JSON, SERVICES_JSON } from './kubectl-fixtures.js';

const parse = (text: string, path = 'cluster/pods.json') => parseJsonList(new SourceFile(path, text));
const names = (items: { object: unknown }[]) => items.map((i) => (i.object as { metadata: { name: string } }).metadata.name);

describe('parseJsonList: items and their lines', () => {
  it('reads every item of a kubectl List and places each at its opening brace', () => {
    const { value, issues } = parse(PODS_JSON);
    expect(issues).toEqual([]);
    expect(names(value.items)).toEqual(['cart-7d9f8b6c4d-x2x7q', 'cart-7d9f8b6c4d-k8s9z', 'kube-proxy-7xq2m']);
    // kubectl opens every List item with a line of 8 spaces and `{`; nested objects sit deeper.
    expect(value.items.map((i) => i.source.line)).toEqual(linesEqualTo(PODS_JSON, '        {'));
    expect(value.items.map((i) => i.source.file)).toEqual(['cluster/pods.json', 'cluster/pods.json', 'cluster/pods.json']);
  });

  it('is not thrown off by braces, brackets, quotes and backslashes inside strings', () => {
    const { value } = parse(PODS_JSON);
    // The first pod's annotations hold a JSON document in a string, and a "]" and "}" after "\\".
    expect(value.items[1]!.source.line).toBe(findLine(PODS_JSON, '"kind": "Pod"', '"kind": "Pod"') - 2);
    expect(value.items[1]!.source.at().text).toBe('{');
  });

  it('accepts a bare array and a single object', () => {
    const array = parse('[\n  {"metadata": {"name": "a"}},\n  {"metadata": {"name": "b"}}\n]\n');
    expect(names(array.value.items)).toEqual(['a', 'b']);
    expect(array.value.items.map((i) => i.source.line)).toEqual([2, 3]);

    const single = parse('\n{\n    "apiVersion": "v1",\n    "kind": "Service",\n    "metadata": {\n        "name": "cart"\n    }\n}\n');
    expect(single.issues).toEqual([]);
    expect(names(single.value.items)).toEqual(['cart']);
    expect(single.value.items[0]!.source.line).toBe(2);
    expect(single.value.items[0]!.source.at('metadata.name').line).toBe(6);
  });

  it('keeps an empty List as no items, without issue', () => {
    const { value, issues } = parse('{\n    "apiVersion": "v1",\n    "items": [],\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n');
    expect(issues).toEqual([]);
    expect(value.items).toEqual([]);
  });

  it('finds the root items array only, not a nested "items" key or an "items" string value', () => {
    const text = [
      '{',
      '    "kind": "items",',
      '    "metadata": {',
      '        "items": [ { "metadata": { "name": "nested" } } ]',
      '    },',
      '    "items": [',
      '        { "metadata": { "name": "x", "items": [1, 2] } },',
      '        "not-an-object",',
      '        { "metadata": { "name": "y" } }',
      '    ]',
      '}',
    ].join('\n');
    const { value } = parse(text);
    expect(value.items.map((i) => i.source.line)).toEqual([7, 8, 9]);
    expect(value.items[1]!.object).toBe('not-an-object');
  });
});

describe('items located by uid in a large List', () => {
  /** A kubectl List of `count` pods of uneven sizes (some with many labels). */
  function podList(count: number, uidOf: (i: number) => string): string {
    const items = Array.from({ length: count }, (_, i) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        labels: Object.fromEntries(Array.from({ length: (i * 7) % 23 }, (_, k) => [`label-${k}`, `value-${i}`])),
        name: `web-${i}`,
        namespace: 'shop',
        // An owner's uid, as kubectl prints it, before the pod's own.
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d8f', uid: 'a3c2d1e0-0000-4000-8000-000000000001' }],
        uid: uidOf(i),
      },
      spec: { containers: [{ image: 'registry.example.com/web:1.0', name: 'web' }], nodeName: `node-${i % 5}` },
    }));
    return JSON.stringify({ apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } }, null, 4) + '\n';
  }
  const uid = (i: number) => `0b6e2f4a-91c3-4c2d-9e1f-${String(i).padStart(12, '0')}`;

  it('places every item and field as the full scan does, whatever the order of the questions', () => {
    const text = podList(400, uid);
    const starts = linesEqualTo(text, '        {');
    const { value } = parse(text);
    // Far apart first, then neighbours: the located items narrow the next searches.
    const order = [399, 0, 200, 17, 398, 1, 250, 251, 249, 100, ...Array.from({ length: 400 }, (_, i) => (i * 37) % 400)];
    for (const i of order) {
      const source = value.items[i]!.source;
      expect(source.line).toBe(starts[i]);
      expect(source.at('spec.nodeName').text).toBe(`"nodeName": "node-${i % 5}"`);
    }
  });

  it('falls back to scanning the file when a uid is given twice', () => {
    const text = podList(50, (i) => (i === 30 ? uid(10) : uid(i)));
    const starts = linesEqualTo(text, '        {');
    const { value } = parse(text);
    expect(value.items[30]!.source.line).toBe(starts[30]);
    expect(value.items[10]!.source.line).toBe(starts[10]);
    expect(value.items[30]!.source.at('metadata.name').text).toBe('"name": "web-30",');
  });
});

describe('ObjectSource.at', () => {
  const [cart, crashing, proxy] = parse(PODS_JSON).value.items.map((i) => i.source);

  it('locates nested fields by dotted path with indexes', () => {
    const at = cart!.at('spec.containers[0].ports[1].name', 'the metrics port');
    expect(at).toEqual({
      file: 'cluster/pods.json',
      line: findLine(PODS_JSON, '"containerPort": 9090', '"name": "metrics"'),
      text: '"name": "metrics"',
      note: 'the metrics port',
    });
    expect(cart!.at('status.podIPs[1].ip').text).toBe('"ip": "fd00:10:244:1::5"');
    expect(cart!.at('status.conditions[1].status').line).toBe(findLine(PODS_JSON, '"lastTransitionTime": "2026-11-26T09:12:51Z"', '"status": "True"'));
    expect(crashing!.at('status.containerStatuses[0].state.waiting.reason').text).toBe('"reason": "CrashLoopBackOff"');
    expect(proxy!.at('spec.hostNetwork').text).toBe('"hostNetwork": true,');
  });

  it('takes label keys that contain dots in the bracket form', () => {
    const line = findLine(PODS_JSON, '"app.kubernetes.io/name": "cart"');
    expect(cart!.at('metadata.labels["app.kubernetes.io/name"]')).toMatchObject({ line, text: '"app.kubernetes.io/name": "cart",' });
    // Read as plain dots, the path names metadata.labels.app, then keys below a string.
    expect(cart!.at('metadata.labels.app.kubernetes.io/name').text).toBe('"app": "cart",');
  });

  it('skips values whose strings hold braces and quotes while walking to a later key', () => {
    // The annotations come before "creationTimestamp"; their strings must not end the walk early.
    expect(cart!.at('metadata.creationTimestamp').line).toBe(findLine(PODS_JSON, '"creationTimestamp": "2026-11-26T09:12:44Z"'));
    expect(cart!.at('metadata.annotations.note').text).toBe(String.raw`"note": "a \\ backslash, a ] bracket and a } brace"`);
    expect(cart!.at('spec.containers[0].image').text).toBe('"image": "registry.example.com/shop/cart:1.4.2",');
  });

  it('falls back to the nearest existing ancestor, and stays inside its own item', () => {
    const statuses = findLine(PODS_JSON, '"kind": "Pod"', '"kind": "Pod"', '"containerStatuses": [');
    expect(crashing!.at('status.containerStatuses[0].state.running.startedAt').text).toBe('"state": {');
    expect(crashing!.at('status.containerStatuses[3].ready').line).toBe(statuses);
    expect(crashing!.at('spec.hostNetwork').text).toBe('"spec": {');
    expect(crashing!.at('no.such.field').line).toBe(crashing!.line);
    expect(crashing!.at().line).toBe(crashing!.line);
  });

  it('answers an index on an object, or a key on an array, with the ancestor', () => {
    expect(cart!.at('metadata[0]').text).toBe('"metadata": {');
    expect(cart!.at('spec.containers.name').text).toBe('"containers": [');
  });
});

describe('invalid JSON', () => {
  it('reports the line of the error and keeps the items complete before it', () => {
    // A missing comma between two members of the third item.
    const broken = PODS_JSON.replace('"hostNetwork": true,', '"hostNetwork": true');
    const { value, issues } = parse(broken);
    expect(issues).toHaveLength(1);
    const line = findLine(broken, '"hostNetwork": true', '"nodeName": "node-a"');
    expect(issues[0]).toMatchObject({ code: 'INVALID_JSON', file: 'cluster/pods.json', line, text: '"nodeName": "node-a",' });
    expect(issues[0]!.message).toContain(`line ${line}`);
    expect(issues[0]!.message).toContain('2 item(s) before it were read');
    expect(names(value.items)).toEqual(['cart-7d9f8b6c4d-x2x7q', 'cart-7d9f8b6c4d-k8s9z']);
    expect(value.items[1]!.source.line).toBe(linesEqualTo(broken, '        {')[1]);
    expect(value.items[1]!.source.at('spec.nodeName').text).toBe('"nodeName": "node-b"');
  });

  it('keeps what a truncated file holds (a collector killed mid-write)', () => {
    const cut = SERVICES_JSON.slice(0, SERVICES_JSON.indexOf('"name": "payments"'));
    const { value, issues } = parse(cut, 'cluster/services.json');
    expect(issues).toHaveLength(1);
    expect(issues[0]!.code).toBe('INVALID_JSON');
    expect(issues[0]!.line).toBe(cut.trimEnd().split('\n').length);
    expect(names(value.items)).toEqual(['cart', 'cart-headless']);
  });

  it('locates "Unexpected token" errors, which V8 reports without a position', () => {
    const broken = SERVICES_JSON.replace('"publishNotReadyAddresses": true', '"publishNotReadyAddresses": yes');
    const { issues } = parse(broken, 'cluster/services.json');
    expect(issues[0]).toMatchObject({
      code: 'INVALID_JSON',
      line: findLine(broken, '"publishNotReadyAddresses": yes'),
      text: '"publishNotReadyAddresses": yes,',
    });
  });

  it('says so when nothing could be read', () => {
    const { value, issues } = parse('{\n    "apiVersion": "v1",\n    "items": [\n        {,\n');
    expect(value.items).toEqual([]);
    expect(issues[0]).toMatchObject({ code: 'INVALID_JSON', line: 4 });
    expect(issues[0]!.message).toContain('no object of this file could be read');
    expect(parse('').issues[0]).toMatchObject({ code: 'INVALID_JSON', line: 1 });
  });
});

describe('syntaxErrorOffset', () => {
  // Each case is what Node's JSON.parse really says about the text.
  const errorOf = (text: string): string => {
    try {
      JSON.parse(text);
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error('expected invalid JSON');
  };
  const cases: [string, string, number][] = [
    ['position', '{"a": 1,}', 8],
    ['token at the start', 'x{"a": 1, "b": 2, "c": 3}', 0],
    ['token in the middle', '{"aaaaaaaaaa": 1, "b": x, "ccccccccccccccc": 3}', 23],
    ['token at the end', '{"aaaaaaaaaaaaaaaaaaaaaaaaa": 1, "b": x}', 38],
    ['token in a short text', '{"a": x}', 6],
    // V8 points past the trailing blank lines; the useful line is the last one with text.
    ['end of input', '{"a": [1, 2\n\n', 11],
    ['end of input, no position', '{"a": \n', 5],
  ];
  for (const [name, text, offset] of cases) {
    it(name, () => {
      expect(syntaxErrorOffset(text, 0, errorOf(text))).toBe(offset);
    });
  }
});

describe('shape', () => {
  it('reports a List without items, and keeps no item', () => {
    const { value, issues } = parse('{\n    "apiVersion": "v1",\n    "kind": "PodList",\n    "metadata": {}\n}\n');
    expect(value.items).toEqual([]);
    expect(issues).toEqual([
      expect.objectContaining({ code: 'UNEXPECTED_SHAPE', line: 1, message: expect.stringContaining('PodList has no items array') }),
    ]);
  });

  it('reports a document that is neither a List nor an object', () => {
    expect(parse('"just a string"\n').issues[0]).toMatchObject({ code: 'UNEXPECTED_SHAPE', line: 1 });
    expect(parse('\n\n{"items": {"a": 1}}\n').issues[0]).toMatchObject({ code: 'UNEXPECTED_SHAPE', line: 3 });
    expect(parse('{"apiVersion": "v1"}').issues[0]).toMatchObject({ code: 'UNEXPECTED_SHAPE' });
  });
});

describe('line endings and byte-order mark', () => {
  it('reads CRLF files with the same lines, and evidence text without the CR', () => {
    const crlf = PODS_JSON.replace(/\n/g, '\r\n');
    const { value, issues } = parse(crlf);
    expect(issues).toEqual([]);
    expect(value.items.map((i) => i.source.line)).toEqual(linesEqualTo(PODS_JSON, '        {'));
    expect(value.items[0]!.source.at('metadata.labels["app.kubernetes.io/name"]').text).toBe('"app.kubernetes.io/name": "cart",');
  });

  it('skips a UTF-8 byte-order mark', () => {
    const { value, issues } = parse(`\ufeff${SERVICES_JSON}`, 'cluster/services.json');
    expect(issues).toEqual([]);
    expect(names(value.items)).toEqual(['cart', 'cart-headless', 'payments', 'ingress-nginx-controller']);
    expect(value.items[0]!.source.line).toBe(4);
  });
});
