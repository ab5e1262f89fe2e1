import { describe, expect, it } from 'vitest';
import { objectPath, parseObjectPath } from '../../analyzer/kube/object-path.js';

describe('parseObjectPath', () => {
  it('splits dotted keys and indexes', () => {
    expect(parseObjectPath('spec.ports[1].targetPort')).toEqual(['spec', 'ports', 1, 'targetPort']);
    expect(parseObjectPath('status.containerStatuses[0].state.waiting.reason')).toEqual([
      'status',
      'containerStatuses',
      0,
      'state',
      'waiting',
      'reason',
    ]);
    expect(parseObjectPath('')).toEqual([]);
  });

  it('reads keys with dots, slashes and quotes in brackets', () => {
    expect(parseObjectPath('metadata.labels["app.kubernetes.io/name"]')).toEqual(['metadata', 'labels', 'app.kubernetes.io/name']);
    expect(parseObjectPath("metadata.annotations['kubernetes.io/ingress.class']")).toEqual(['metadata', 'annotations', 'kubernetes.io/ingress.class']);
    expect(parseObjectPath('data["a\\"b"].x')).toEqual(['data', 'a"b', 'x']);
  });

  it('stops at a malformed bracket, keeping what came before', () => {
    expect(parseObjectPath('spec.ports[one].name')).toEqual(['spec', 'ports']);
    expect(parseObjectPath('metadata.labels["unclosed')).toEqual(['metadata', 'labels']);
  });
});

describe('objectPath', () => {
  it('quotes only the keys the dotted form cannot carry, and round-trips', () => {
    const path = objectPath('metadata', 'labels', 'app.kubernetes.io/name');
    expect(path).toBe('metadata.labels["app.kubernetes.io/name"]');
    expect(parseObjectPath(path)).toEqual(['metadata', 'labels', 'app.kubernetes.io/name']);
    expect(objectPath('spec', 'ports', 1, 'targetPort')).toBe('spec.ports[1].targetPort');
    expect(objectPath('data', 'a"b')).toBe('data["a\\"b"]');
    expect(parseObjectPath(objectPath('data', 'a"b', 'c\\d'))).toEqual(['data', 'a"b', 'c\\d']);
  });
});
