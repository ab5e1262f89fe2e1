import { describe, expect, it } from 'vitest';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { parseProbes } from '../../analyzer/probes/parse-probes.js';

const PROBES = `{
  "format": "netdump-probes/v1",
  "items": [
    {
      "name": "ingress-nginx-to-frontend",
      "type": "tcp",
      "source": { "namespace": "ingress-nginx", "pod": "ingress-nginx-controller-5c8d66c76d-x7lkq" },
      "target": { "host": "frontend.shop.svc.cluster.local", "address": "10.108.19.240", "port": 80, "protocol": "TCP" },
      "command": "kubectl -n ingress-nginx exec ingress-nginx-controller-5c8d66c76d-x7lkq -- nc -z -w 5 10.108.19.240 80",
      "startedAt": "2025-06-12T14:03:41Z",
      "durationMs": 5004,
      "outcome": "timeout",
      "error": "nc: 10.108.19.240 (10.108.19.240:80): Operation timed out"
    },
    {
      "type": "dns",
      "source": { "node": "node-b" },
      "target": { "name": "kubernetes.default.svc.cluster.local", "server": "10.96.0.10" },
      "durationMs": 2,
      "outcome": "success"
    },
    {
      "type": "http",
      "source": { "namespace": "shop", "pod": "frontend-1" },
      "target": { "address": "10.104.122.87", "port": 80 },
      "outcome": "success"
    },
    {
      "type": "tcp",
      "source": { "namespace": "shop" },
      "target": { "address": "10.104.122.87", "port": 80 },
      "outcome": "refused"
    },
    {
      "type": "udp",
      "source": { "address": "10.0.1.12" },
      "target": { "address": "10.244.2.9" },
      "outcome": "timeout"
    }
  ]
}
`;

/** 1-based line where `needle` starts. */
const lineOf = (needle: string) => PROBES.slice(0, PROBES.indexOf(needle)).split('\n').length;

describe('parseProbes', () => {
  const { value, issues } = parseProbes(new SourceFile('probes/probes.json', PROBES));

  it('reads TCP and DNS probes with their source, target and outcome', () => {
    expect(value.map((p) => [p.index, p.type, p.outcome])).toEqual([
      [0, 'tcp', 'timeout'],
      [1, 'dns', 'success'],
    ]);
    expect(value[0]).toMatchObject({
      name: 'ingress-nginx-to-frontend',
      source: { namespace: 'ingress-nginx', pod: 'ingress-nginx-controller-5c8d66c76d-x7lkq' },
      target: { host: 'frontend.shop.svc.cluster.local', address: '10.108.19.240', port: 80, protocol: 'TCP' },
      durationMs: 5004,
      error: 'nc: 10.108.19.240 (10.108.19.240:80): Operation timed out',
    });
    // A DNS look-up goes to the server on 53/UDP unless told otherwise.
    expect(value[1]!.target).toEqual({ host: 'kubernetes.default.svc.cluster.local', address: '10.96.0.10', port: 53, protocol: 'UDP' });
  });

  it('keeps where each probe sits, for evidence', () => {
    expect(value[0]!.at.at('outcome').line).toBe(lineOf('"outcome": "timeout"'));
    expect(value[1]!.at.line).toBe(lineOf('    {\n      "type": "dns"'));
  });

  it('leaves out probes it cannot replay, each with an issue at its line', () => {
    expect(issues.map((i) => [i.code, i.line, i.message])).toEqual([
      ['UNEXPECTED_SHAPE', lineOf('"type": "http"'), 'probe 2: type "http" is not tcp, udp or dns; left out'],
      ['UNEXPECTED_SHAPE', lineOf('"source": { "namespace": "shop" }'), 'probe 3: the source names no pod (namespace and pod), node or address; left out'],
      ['UNEXPECTED_SHAPE', lineOf('"target": { "address": "10.244.2.9" }'), 'probe 4: a tcp or udp probe needs a target port; left out'],
    ]);
    expect(issues.every((i) => i.severity === 'warning' && i.file === 'probes/probes.json')).toBe(true);
  });

  it('never throws on text that is not JSON', () => {
    const broken = parseProbes(new SourceFile('probes/probes.json', '{"items": [ {"type": "tcp",\n'));
    expect(broken.value).toEqual([]);
    expect(broken.issues[0]!.code).toBe('INVALID_JSON');
  });

  it('reads a bare array of probes', () => {
    const bare = parseProbes(new SourceFile('probes/probes.json', '[{"type":"tcp","source":{"node":"node-a"},"target":{"address":"10.0.1.13","port":10250},"outcome":"success"}]\n'));
    expect(bare.issues).toEqual([]);
    expect(bare.value[0]).toMatchObject({ type: 'tcp', source: { node: 'node-a' }, target: { address: '10.0.1.13', port: 10250, protocol: 'TCP' }, outcome: 'success' });
  });
});
