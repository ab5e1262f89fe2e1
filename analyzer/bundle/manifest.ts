/**
 * Reads manifest.json (bundle-format.md): what the collector ran, when, on which cluster.
 * The manifest is optional and only informs; every problem with it is reported and the
 * readable part is kept.
 *
 * Sample input:
 *   { "format": "netdump/v1", "createdAt": "2026-11-26T10:00:00Z",
 *     "items": [ { "path": "nodes/node-a/ipvsadm.txt", "node": "node-a",
 *                  "command": "ipvsadm -Ln", "exitCode": 127, "stderr": "sh: ipvsadm: not found" } ] }
 */
import type { Manifest, ManifestItem } from './bundle.js';
import type { ParseIssue, ParseResult } from './parse-issue.js';
import type { SourceFile } from './source-file.js';

export const MANIFEST_FORMAT = 'netdump/v1';

type JsonObject = Record<string, unknown>;

export function parseManifest(file: SourceFile): ParseResult<Manifest> {
  const issues: ParseIssue[] = [];
  const manifest: Manifest = { items: [] };

  let document: unknown;
  try {
    document = JSON.parse(file.text);
  } catch (err) {
    const line = jsonErrorLine(file, (err as Error).message);
    issues.push({
      code: 'INVALID_JSON',
      file: file.path,
      line,
      message: `manifest.json is not valid JSON: ${(err as Error).message}`,
      text: file.lineText(line),
    });
    return { value: manifest, issues };
  }

  if (!isObject(document)) {
    issues.push({
      code: 'BAD_MANIFEST',
      file: file.path,
      line: 1,
      message: `manifest.json must hold a JSON object, found ${describe(document)}`,
      text: file.lineText(1),
    });
    return { value: manifest, issues };
  }

  const layout = scanLayout(file.text);
  const keyLine = (key: string): number => file.lineOf(layout.keys.get(key) ?? 0);
  const bad = (line: number, message: string): void => {
    issues.push({ code: 'BAD_MANIFEST', file: file.path, line, message, text: file.lineText(line), severity: 'warning' });
  };

  const format = stringField(document, 'format', 'format', keyLine('format'), bad);
  if (format !== undefined) {
    manifest.format = format;
    if (format !== MANIFEST_FORMAT) {
      const line = keyLine('format');
      issues.push({
        code: 'UNKNOWN_FORMAT_VERSION',
        file: file.path,
        line,
        message: `manifest format "${format}" is not ${MANIFEST_FORMAT}; reading the bundle as ${MANIFEST_FORMAT}`,
        text: file.lineText(line),
        severity: 'warning',
      });
    }
  }

  const createdAt = stringField(document, 'createdAt', 'createdAt', keyLine('createdAt'), bad);
  if (createdAt !== undefined) manifest.createdAt = createdAt;

  const collector = objectField(document, 'collector', keyLine('collector'), bad);
  if (collector) {
    manifest.collector = {};
    for (const key of ['name', 'version'] as const) {
      const value = stringField(collector, key, `collector.${key}`, keyLine('collector'), bad);
      if (value !== undefined) manifest.collector[key] = value;
    }
  }

  const cluster = objectField(document, 'cluster', keyLine('cluster'), bad);
  if (cluster) {
    manifest.cluster = {};
    for (const key of ['context', 'serverVersion', 'clusterDomain', 'serviceCIDR', 'clusterCIDR'] as const) {
      const value = stringField(cluster, key, `cluster.${key}`, keyLine('cluster'), bad);
      if (value !== undefined) manifest.cluster[key] = value;
    }
  }

  const redaction = objectField(document, 'redaction', keyLine('redaction'), bad);
  if (redaction) manifest.redaction = redaction;

  const items = document.items;
  if (items !== undefined && !Array.isArray(items)) {
    bad(keyLine('items'), `manifest "items" must be an array, found ${describe(items)}`);
  } else if (items) {
    items.forEach((entry: unknown, index: number) => {
      const offset = layout.items[index];
      const line = offset === undefined ? keyLine('items') : file.lineOf(offset);
      if (!isObject(entry)) {
        bad(line, `manifest items[${index}] must be an object, found ${describe(entry)}`);
        return;
      }
      manifest.items.push(readItem(entry, index, line, bad));
    });
  }

  return { value: manifest, issues };
}

function readItem(entry: JsonObject, index: number, line: number, bad: (line: number, message: string) => void): ManifestItem {
  const item: ManifestItem = { index, line };
  for (const key of ['path', 'node', 'command', 'stderr', 'error', 'note'] as const) {
    const value = stringField(entry, key, `items[${index}].${key}`, line, bad);
    if (value !== undefined) item[key] = value;
  }
  for (const key of ['exitCode', 'durationMs'] as const) {
    const value = entry[key];
    if (value === undefined || value === null) continue;
    if (typeof value === 'number') item[key] = value;
    else bad(line, `manifest items[${index}].${key} must be a number, found ${describe(value)}`);
  }
  return item;
}

function stringField(
  object: JsonObject,
  key: string,
  label: string,
  line: number,
  bad: (line: number, message: string) => void,
): string | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  bad(line, `manifest ${label} must be a string, found ${describe(value)}`);
  return undefined;
}

function objectField(
  object: JsonObject,
  key: string,
  line: number,
  bad: (line: number, message: string) => void,
): JsonObject | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  if (isObject(value)) return value;
  bad(line, `manifest ${key} must be an object, found ${describe(value)}`);
  return undefined;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

/**
 * The line a JSON.parse error points at. V8 names a character position ("at position 42");
 * newer releases also give "(line 3 column 5)". Without either (unexpected end), the last line.
 */
function jsonErrorLine(file: SourceFile, message: string): number {
  const lineColumn = /\(line (\d+) column \d+\)/.exec(message);
  if (lineColumn) return Number(lineColumn[1]);
  const position = /at position (\d+)/.exec(message);
  if (position) return file.lineOf(Number(position[1]));
  return file.lineCount;
}

/** Where things start in a manifest that JSON.parse accepted. */
interface ManifestLayout {
  /** Offset of each top-level key's opening quote. */
  keys: Map<string, number>;
  /** Offset at which each element of the top-level `items` array starts. */
  items: number[];
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * One pass over valid JSON text that tracks nesting and strings, noting where top-level keys
 * and the elements of `items` start. JSON.parse keeps no positions, and a second, positional
 * parser would cost far more than this scan.
 */
function scanLayout(text: string): ManifestLayout {
  const keys = new Map<string, number>();
  let items: number[] = [];
  let depth = 0;
  let itemsDepth = -1;
  let expectItem = false;
  let currentKey: string | undefined;
  let lastString: { start: number; end: number } | undefined;

  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;

    if (depth === itemsDepth && expectItem && c !== 0x5d /* ] */) {
      items.push(i);
      expectItem = false;
    }

    if (c === QUOTE) {
      const start = i;
      for (i++; i < text.length && text.charCodeAt(i) !== QUOTE; i++) {
        if (text.charCodeAt(i) === BACKSLASH) i++;
      }
      lastString = depth === 1 ? { start, end: i } : undefined;
      continue;
    }

    switch (c) {
      case 0x3a /* : */:
        if (depth === 1 && lastString) {
          currentKey = text.slice(lastString.start + 1, lastString.end);
          keys.set(currentKey, lastString.start);
        }
        break;
      case 0x7b /* { */:
      case 0x5b /* [ */:
        depth++;
        if (c === 0x5b && depth === 2 && currentKey === 'items') {
          itemsDepth = 2;
          expectItem = true;
          items = [];
        }
        break;
      case 0x7d /* } */:
      case 0x5d /* ] */:
        if (depth === itemsDepth) itemsDepth = -1;
        depth--;
        break;
      case 0x2c /* , */:
        if (depth === itemsDepth) expectItem = true;
        if (depth === 1) currentKey = undefined;
        break;
    }
    lastString = undefined;
  }
  return { keys, items };
}
