import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../analyzer/bundle/manifest.js';
import { bundleFromFiles } from '../../analyzer/bundle/read-bundle.js';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { MANIFEST } from './sample-bundle.js';

function manifestFile(text: string): SourceFile {
  return new SourceFile('manifest.json', text);
}

describe('parseManifest', () => {
  it('reads the documented manifest, with each item line', () => {
    const { value, issues } = parseManifest(manifestFile(MANIFEST));
    expect(issues).toEqual([]);
    expect(value).toEqual({
      format: 'netdump/v1',
      createdAt: '2026-11-26T10:00:00Z',
      collector: { name: 'netdump', version: '0.1.0' },
      cluster: { context: 'prod-eu-1', serviceCIDR: '10.96.0.0/12' },
      items: [
        {
          index: 0,
          line: 7,
          path: 'nodes/node-a/iptables-save.txt',
          node: 'node-a',
          command: 'iptables-save',
          exitCode: 0,
          durationMs: 84,
          stderr: '',
        },
        {
          index: 1,
          line: 9,
          path: 'nodes/node-a/ipvsadm.txt',
          node: 'node-a',
          command: 'ipvsadm -Ln',
          exitCode: 127,
          durationMs: 3,
          stderr: 'sh: ipvsadm: not found',
          error: 'command not found',
        },
      ],
    });
  });

  it('finds item lines in a pretty-printed manifest with nested values and tricky strings', () => {
    const text = JSON.stringify(
      {
        format: 'netdump/v1',
        cluster: { context: 'ctx "items": [' },
        notes: ['{', '}', '[', ']'],
        items: [
          { path: 'cluster/pods.json', command: 'kubectl get pods -A -o json', stderr: 'a \\"quoted\\" {brace}' },
          { path: 'nodes/n1/ip-route.txt', command: 'ip route show table all' },
          { path: 'nodes/n1/nft-ruleset.txt', command: 'nft list ruleset', exitCode: 1 },
        ],
      },
      null,
      2,
    );
    const file = manifestFile(text);
    const { value, issues } = parseManifest(file);
    expect(issues).toEqual([]);
    expect(value.items.map((item) => item.line)).toEqual([13, 18, 22]);
    for (const item of value.items) expect(file.lineText(item.line).trim()).toBe('{');
    expect(file.lineText(value.items[1]!.line + 1)).toContain('"path": "nodes/n1/ip-route.txt"');
  });

  it('finds item lines in a single-line manifest', () => {
    const { value } = parseManifest(manifestFile('{"items":[{"path":"a"},{"path":"b"}]}'));
    expect(value.items.map((item) => [item.index, item.line])).toEqual([
      [0, 1],
      [1, 1],
    ]);
  });

  it('reports invalid JSON with the line of the error', () => {
    const text = '{\n  "format": "netdump/v1",\n  "items": [\n    { "path": "a" }\n    { "path": "b" }\n  ]\n}\n';
    const { value, issues } = parseManifest(manifestFile(text));
    expect(value).toEqual({ items: [] });
    expect(issues).toMatchObject([{ code: 'INVALID_JSON', file: 'manifest.json', line: 5, text: '    { "path": "b" }' }]);
  });

  it('reports a manifest cut short on its last line', () => {
    const { issues } = parseManifest(manifestFile('{\n  "format": "netdump/v1",\n  "items": ['));
    expect(issues).toMatchObject([{ code: 'INVALID_JSON', line: 3 }]);
  });

  it('warns about an unknown format and still reads the manifest', () => {
    const text = '{\n  "format": "netdump/v2",\n  "createdAt": "2027-01-01T00:00:00Z",\n  "items": []\n}\n';
    const { value, issues } = parseManifest(manifestFile(text));
    expect(value.format).toBe('netdump/v2');
    expect(value.createdAt).toBe('2027-01-01T00:00:00Z');
    expect(issues).toMatchObject([
      { code: 'UNKNOWN_FORMAT_VERSION', line: 2, severity: 'warning', text: '  "format": "netdump/v2",' },
    ]);
  });

  it('drops fields of the wrong type, with a warning at their line', () => {
    const text = [
      '{',
      '  "format": "netdump/v1",',
      '  "cluster": "prod",',
      '  "items": [',
      '    { "path": "nodes/a/ipvsadm.txt", "exitCode": "127" },',
      '    "nodes/a/ip-route.txt",',
      '    { "path": "nodes/a/sysctl.txt", "exitCode": 0 }',
      '  ]',
      '}',
    ].join('\n');
    const { value, issues } = parseManifest(manifestFile(text));
    expect(value.cluster).toBeUndefined();
    expect(value.items).toEqual([
      { index: 0, line: 5, path: 'nodes/a/ipvsadm.txt' },
      { index: 2, line: 7, path: 'nodes/a/sysctl.txt', exitCode: 0 },
    ]);
    expect(issues.map((issue) => [issue.code, issue.line, issue.message])).toEqual([
      ['BAD_MANIFEST', 3, 'manifest cluster must be an object, found string "prod"'],
      ['BAD_MANIFEST', 5, 'manifest items[0].exitCode must be a number, found string "127"'],
      ['BAD_MANIFEST', 6, 'manifest items[1] must be an object, found string "nodes/a/ip-route.txt"'],
    ]);
  });

  it('rejects a manifest that is not an object', () => {
    const { value, issues } = parseManifest(manifestFile('[{"path": "a"}]\n'));
    expect(value).toEqual({ items: [] });
    expect(issues).toMatchObject([{ code: 'BAD_MANIFEST', line: 1 }]);
  });
});

describe('a bundle manifest', () => {
  it('carries the manifest issues with the manifest path', () => {
    const bundle = bundleFromFiles({ 'netdump-x/manifest.json': '{"format": "netdump/v9", "items": []}' });
    expect(bundle.manifest?.format).toBe('netdump/v9');
    expect(bundle.issues).toMatchObject([{ code: 'UNKNOWN_FORMAT_VERSION', file: 'manifest.json', line: 1 }]);
  });
});
