/**
 * The field paths that `ObjectSource.at()` understands: dotted keys with indexes
 * (`spec.ports[1].targetPort`) and a bracket form for keys that contain dots
 * (`metadata.labels["app.kubernetes.io/name"]`).
 */

/** A key of an object, or an index into an array. */
export type PathSegment = string | number;

/**
 * Splits a path into segments. A malformed tail (an unclosed bracket, say) ends the path
 * where it stops making sense: `at()` then points at the deepest field it could name.
 */
export function parseObjectPath(path: string): PathSegment[] {
  const segments: PathSegment[] = [];
  let i = 0;
  const n = path.length;
  while (i < n) {
    const c = path[i];
    if (c === '.') {
      i++;
      continue;
    }
    if (c === '[') {
      const close = readBracket(path, i, segments);
      if (close < 0) break;
      i = close + 1;
      continue;
    }
    let j = i;
    while (j < n && path[j] !== '.' && path[j] !== '[') j++;
    segments.push(path.slice(i, j));
    i = j;
  }
  return segments;
}

/** Reads `[3]`, `["key"]` or `['key']` at `open`; returns the index of `]`, or -1. */
function readBracket(path: string, open: number, segments: PathSegment[]): number {
  const quote = path[open + 1];
  if (quote === '"' || quote === "'") {
    let j = open + 2;
    let key = '';
    while (j < path.length && path[j] !== quote) {
      if (path[j] === '\\' && j + 1 < path.length) j++;
      key += path[j];
      j++;
    }
    if (path[j + 1] !== ']') return -1;
    segments.push(key);
    return j + 1;
  }
  const close = path.indexOf(']', open);
  if (close < 0) return -1;
  const digits = path.slice(open + 1, close);
  if (!/^\d+$/.test(digits)) return -1;
  segments.push(Number(digits));
  return close;
}

/**
 * Builds a path string from segments, quoting keys that the dotted form cannot carry
 * (`objectPath('metadata', 'labels', 'app.kubernetes.io/name')` gives
 * `metadata.labels["app.kubernetes.io/name"]`).
 */
export function objectPath(...segments: PathSegment[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (segment === '' || /[.[\]"']/.test(segment)) out += `[${JSON.stringify(segment)}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}
