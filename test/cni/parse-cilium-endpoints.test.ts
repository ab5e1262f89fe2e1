import { describe, expect, it } from 'vitest';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { parseCiliumEndpoints, type CiliumEndpoint } from '../../analyzer/cni/parse-cilium-endpoints.js';
import { SAMPLES_MISSING, sampleSection, samplesAvailable } from './cni-samples.js';

const json = (text: string) => new SourceFile('nodes/kind-worker/cilium/endpoints.json', text);
const summary = (e: CiliumEndpoint) => [e.id, e.identity, e.state, e.ready, e.ipv4, e.ipv6, e.policyIngress, e.policyEgress, e.namespace, e.line];

/** `cilium endpoint list -o json`, Cilium 1.15 (controllers, logs and realized policy shortened). */
const ENDPOINTS_JSON = `[
  {
    "id": 1447,
    "spec": {
      "label-configuration": {},
      "options": {
        "Conntrack": "Enabled",
        "Debug": "Disabled",
        "DropNotification": "Enabled",
        "PolicyAuditMode": "Disabled",
        "TraceNotification": "Enabled"
      }
    },
    "status": {
      "controllers": [
        {
          "configuration": {
            "error-retry": true,
            "interval": "5m0s"
          },
          "name": "resolve-identity-1447",
          "status": {
            "consecutive-failure-count": 0,
            "last-failure-timestamp": "0001-01-01T00:00:00.000Z",
            "last-success-timestamp": "2024-09-02T10:11:09.614Z",
            "success-count": 3
          },
          "uuid": "8a2c7b9e-1d5f-4c3a-9b7e-6f0d2e1a3c4b"
        }
      ],
      "external-identifiers": {
        "cni-attachment-id": "3b1f9e2d4c5a:eth0",
        "container-id": "3b1f9e2d4c5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c",
        "container-name": "eth0",
        "k8s-namespace": "default",
        "k8s-pod-name": "web-6d4cf56db6-8kq2x",
        "pod-name": "default/web-6d4cf56db6-8kq2x"
      },
      "health": {
        "bpf": "OK",
        "connected": true,
        "overallHealth": "OK",
        "policy": "OK"
      },
      "identity": {
        "id": 6848,
        "labels": [
          "k8s:app=web",
          "k8s:io.cilium.k8s.policy.cluster=default",
          "k8s:io.cilium.k8s.policy.serviceaccount=default",
          "k8s:io.kubernetes.pod.namespace=default"
        ],
        "labelsSHA256": "5f2a9c1e7b3d4a6f8e0c2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d2f4a"
      },
      "networking": {
        "addressing": [
          {
            "ipv4": "10.244.1.33",
            "ipv4-pool-name": "default"
          }
        ],
        "host-mac": "6e:2a:9c:1e:7b:3d",
        "interface-index": 14,
        "interface-name": "lxc5a8d2e1f0b7c",
        "mac": "8a:4f:2c:6e:1b:9d"
      },
      "policy": {
        "proxy-statistics": [],
        "realized": {
          "build": 5,
          "id": 6848,
          "policy-enabled": "ingress",
          "policy-revision": 5
        },
        "spec": {
          "build": 5,
          "id": 6848,
          "policy-enabled": "ingress",
          "policy-revision": 5
        }
      },
      "state": "ready"
    }
  },
  {
    "id": 2211,
    "spec": {
      "label-configuration": {}
    },
    "status": {
      "external-identifiers": {
        "k8s-namespace": "shop",
        "k8s-pod-name": "cart-5c9d7f8b6-x2l4q"
      },
      "health": {
        "bpf": "Disabled",
        "connected": false,
        "overallHealth": "Warning",
        "policy": "Disabled"
      },
      "identity": {
        "id": 5,
        "labels": [
          "reserved:init"
        ]
      },
      "networking": {
        "addressing": [
          {
            "ipv4": "10.244.1.71",
            "ipv6": "fd00:10:244:1::a5"
          }
        ],
        "interface-name": "lxc0f1e2d3c4b5a"
      },
      "policy": {
        "realized": {
          "policy-enabled": "none"
        }
      },
      "state": "waiting-for-identity"
    }
  },
  {
    "id": 449,
    "status": {
      "identity": {
        "id": 4,
        "labels": [
          "reserved:health"
        ]
      },
      "networking": {
        "addressing": [
          {
            "ipv4": "10.244.1.148"
          }
        ]
      },
      "policy": {
        "realized": {
          "policy-enabled": "audit-both"
        }
      },
      "state": "ready"
    }
  }
]
`;

/** `cilium endpoint list`, 1.14 without IPv6 (the IPv6 cell is empty; labels continue below). */
const TABLE = `ENDPOINT   POLICY (ingress)   POLICY (egress)   IDENTITY   LABELS (source:key[=value])                 IPv6   IPv4           STATUS   
           ENFORCEMENT        ENFORCEMENT   
127        Disabled           Disabled          1          k8s:node-role.kubernetes.io/control-plane                         ready   
                                                           reserved:host   
449        Disabled (Audit)   Disabled          4          reserved:health                                    10.244.0.148   ready   
2211       Enabled            Enabled           5          reserved:init                                      10.244.0.71    waiting-for-identity   
`;

describe('parseCiliumEndpoints (JSON)', () => {
  it('reads state, identity, addresses, enforcement and the pod, with each endpoint line', () => {
    const { value, issues } = parseCiliumEndpoints(json(ENDPOINTS_JSON));
    expect(issues).toEqual([]);
    expect(value.endpoints.map(summary)).toEqual([
      [1447, 6848, 'ready', true, '10.244.1.33', undefined, 'enabled', 'disabled', 'default', 2],
      [2211, 5, 'waiting-for-identity', false, '10.244.1.71', 'fd00:10:244:1::a5', 'disabled', 'disabled', 'shop', 85],
      [449, 4, 'ready', true, '10.244.1.148', undefined, 'audit', 'audit', undefined, 124],
    ]);
    const [web, cart] = value.endpoints;
    expect(web).toMatchObject({ podName: 'web-6d4cf56db6-8kq2x', interfaceName: 'lxc5a8d2e1f0b7c', health: 'OK', containerId: expect.stringMatching(/^3b1f9e2d/) });
    expect(web!.labels).toContain('k8s:app=web');
    expect(cart).toMatchObject({ podName: 'cart-5c9d7f8b6-x2l4q', health: 'Warning' });
    expect(cart!.source!.at('status.state')).toMatchObject({ line: 121, text: '"state": "waiting-for-identity"' });
  });

  it('reads the layout before Cilium 1.0 (fields at the top of the endpoint)', () => {
    const old = `[{"addressing": {"ipv4": "10.15.251.95", "ipv6": "f00d::a00:20f:0:f8a"},
  "container-id": "749ae2bd22860126072d3a9aec3ce86a3f8402497fc6f868323443c9d476c517",
  "id": 3978, "identity": {"id": 267, "labels": ["cilium:id.server"]}, "interface-name": "lxc249be", "state": "not-ready"}]`;
    const { value, issues } = parseCiliumEndpoints(json(old));
    expect(issues).toEqual([]);
    expect(value.endpoints.map(summary)).toEqual([[3978, 267, 'not-ready', false, '10.15.251.95', 'f00d::a00:20f:0:f8a', undefined, undefined, undefined, 1]]);
  });

  it('skips endpoints without an id and keeps what precedes a syntax error', () => {
    const text = `[
  {"id": 1, "status": {"state": "ready"}},
  {"status": {"state": "ready"}},
  "nope",
  {"id": 2, "status": {"state": "regenerating"}},
  {"id": 3, "status": {"sta`;
    const { value, issues } = parseCiliumEndpoints(json(text));
    expect(value.endpoints.map((e) => [e.id, e.state])).toEqual([
      [1, 'ready'],
      [2, 'regenerating'],
    ]);
    expect(issues.map((i) => [i.code, i.line])).toEqual([
      ['INVALID_JSON', 6],
      ['UNEXPECTED_SHAPE', 3],
      ['UNEXPECTED_SHAPE', 4],
    ]);
  });
});

describe('parseCiliumEndpoints (table)', () => {
  it('reads the table by column: empty IPv6 cells, audit mode, continued labels', () => {
    const { value, issues } = parseCiliumEndpoints(new SourceFile('endpoints.txt', TABLE));
    expect(issues).toEqual([]);
    expect(value.endpoints.map(summary)).toEqual([
      [127, 1, 'ready', true, undefined, undefined, 'disabled', 'disabled', undefined, 3],
      [449, 4, 'ready', true, '10.244.0.148', undefined, 'audit', 'disabled', undefined, 5],
      [2211, 5, 'waiting-for-identity', false, '10.244.0.71', undefined, 'enabled', 'enabled', undefined, 6],
    ]);
    expect(value.endpoints[0]!.labels).toEqual(['k8s:node-role.kubernetes.io/control-plane', 'reserved:host']);
  });

  it('reports rows that do not line up, bad ids and orphan continuations', () => {
    const text = `                                                           k8s:orphan
${TABLE}x12        Enabled            Disabled          9          k8s:app=x                                          10.244.0.9     ready
12 Enabled Disabled 9 k8s:app=y 10.244.0.10 ready
13         Enabled            Disabled          9          k8s:app=z                                          10.244.0.11
`;
    const { value, issues } = parseCiliumEndpoints(new SourceFile('endpoints.txt', text));
    expect(value.endpoints.map((e) => [e.id, e.state])).toEqual([
      [127, 'ready'],
      [449, 'ready'],
      [2211, 'waiting-for-identity'],
      [13, ''],
    ]);
    expect(issues.map((i) => [i.line, i.severity ?? 'error'])).toEqual([
      [1, 'error'],
      [8, 'error'],
      [9, 'error'],
      [10, 'warning'],
    ]);
  });

  it('reads the samples (several releases, a regenerating endpoint, reserved identities)', (context) => {
    if (!samplesAvailable()) return context.skip(SAMPLES_MISSING);
    const first = parseCiliumEndpoints(sampleSection('cilium-endpoint-list.txt', 0));
    expect(first.issues).toEqual([]);
    expect(first.value.endpoints.map(summary)).toEqual([
      [173, 49823, 'ready', true, '10.10.1.66', 'f00d::a0a:100:0:ad', 'disabled', 'disabled', 'kube-system', 4],
      [174, 27211, 'ready', true, '10.10.1.67', 'f00d::a0a:100:0:ae', 'enabled', 'disabled', undefined, 6],
    ]);
    expect(first.value.endpoints[0]!.labels).toEqual(['k8s:io.kubernetes.pod.namespace=kube-system', 'k8s:k8s-app=kube-dns']);

    const regenerating = parseCiliumEndpoints(sampleSection('cilium-endpoint-list.txt', 2));
    expect(regenerating.issues).toEqual([]);
    expect(regenerating.value.endpoints.map((e) => [e.id, e.state, e.ready, e.labels.length, e.namespace])).toEqual([[11230, 'regenerating', false, 6, 'default']]);

    const reserved = parseCiliumEndpoints(sampleSection('cilium-endpoint-list.txt', 3));
    expect(reserved.value.endpoints.map((e) => [e.id, e.identity, e.labels])).toEqual([
      [14441, 129, ['container:id.foo=bar', 'container:io.cilium.fixed-identity=kube-dns']],
      [14877, 4, ['reserved:health']],
    ]);

    // `cilium bpf policy get` is another table: nothing read, every line reported.
    const other = parseCiliumEndpoints(sampleSection('cilium-endpoint-list.txt', 4));
    expect(other.value.endpoints).toEqual([]);
    expect(other.issues[0]).toMatchObject({ code: 'BAD_LINE', line: 29 });
  });
});
