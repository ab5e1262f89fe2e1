/**
 * What the kubectl List readers (JSON and YAML) hand to the model builder: each item as parsed,
 * with the place it came from.
 */
import type { ObjectSource } from './types.js';

export interface ListItem {
  /** The item as parsed; not yet checked to be an object. */
  object: unknown;
  source: ObjectSource;
}

export interface KubeList {
  items: ListItem[];
}

/** How a parsed document holds its objects. */
export type ListShape =
  | { kind: 'list'; items: unknown[] }
  | { kind: 'array'; items: unknown[] }
  | { kind: 'single' }
  | { kind: 'unexpected'; message: string };

/**
 * `kubectl get X -o json` prints a `List` (or `<Kind>List`) with `items`; `kubectl get X name`
 * prints the object itself; hand-made files are sometimes a bare array of objects.
 */
export function listShape(root: unknown): ListShape {
  if (Array.isArray(root)) return { kind: 'array', items: root };
  if (root === null || typeof root !== 'object') {
    return { kind: 'unexpected', message: `expected a kubectl List or an object, found ${describe(root)}` };
  }
  const record = root as Record<string, unknown>;
  if (Array.isArray(record.items)) return { kind: 'list', items: record.items };
  const kind = typeof record.kind === 'string' ? record.kind : undefined;
  if ('items' in record || (kind !== undefined && kind.endsWith('List'))) {
    return { kind: 'unexpected', message: `${kind ?? 'object'} has no items array (items is ${describe(record.items)})` };
  }
  if (record.metadata !== null && typeof record.metadata === 'object' && !Array.isArray(record.metadata)) {
    return { kind: 'single' };
  }
  return { kind: 'unexpected', message: 'expected a kubectl List with items, or an object with metadata' };
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
