/**
 * Reads a kubectl List file (`kubectl get pods -A -o json`) and keeps where each item sits.
 *
 * JSON.parse does the parsing. Positions come from one linear scan of the text that tracks
 * string/escape state and nesting depth and records where each element of the top-level
 * `items` array starts. A field inside an item is located later, only when a finding cites
 * it, by walking that item's slice of the text (`ObjectSource.at`).
 *
 * Input sample (4-space indentation, as kubectl prints it):
 *   {
 *       "apiVersion": "v1",
 *       "items": [
 *           {
 *               "apiVersion": "v1",
 *               "kind": "Pod",
 *               "metadata": { ... },
 *               ...
 *           }
 *       ],
 *       "kind": "List",
 *       "metadata": {
 *           "resourceVersion": ""
 *       }
 *   }
 */
import type { ParseIssue, ParseResult } from '../bundle/parse-issue.js';
import type { Evidence, SourceFile } from '../bundle/source-file.js';
import { listShape, type KubeList, type ListItem } from './kube-list.js';
import { parseObjectPath } from './object-path.js';
import type { ObjectSource } from './types.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const BOM = 0xfeff;

/** Parses a kubectl List (or a single object, or a bare array of objects) from JSON. */
export function parseJsonList(file: SourceFile): ParseResult<KubeList> {
  const text = file.text;
  // JSON.parse rejects a byte-order mark; offsets below stay relative to the full text.
  const base = text.charCodeAt(0) === BOM ? 1 : 0;
  let root: unknown;
  try {
    root = JSON.parse(base === 0 ? text : text.slice(base));
  } catch (error) {
    return readUpToError(file, base, error instanceof Error ? error.message : String(error));
  }

  const shape = listShape(root);
  const rootStart = skipWhitespace(text, base, text.length);
  if (shape.kind === 'unexpected') {
    return { value: { items: [] }, issues: [shapeIssue(file, rootStart, shape.message)] };
  }
  if (shape.kind === 'single') {
    const locator = new KnownStarts([rootStart]);
    return { value: { items: [{ object: root, source: new JsonObjectSource(file, locator, 0) }] }, issues: [] };
  }
  const locator = new SearchedStarts(text, base, shape.items);
  const items: ListItem[] = new Array(shape.items.length);
  for (let i = 0; i < shape.items.length; i++) {
    items[i] = { object: shape.items[i], source: new JsonObjectSource(file, locator, i) };
  }
  return { value: { items }, issues: [] };
}

/** Where the items of one file start. */
interface ItemStarts {
  startOf(index: number): number;
}

class KnownStarts implements ItemStarts {
  constructor(private readonly starts: readonly number[]) {}
  startOf(index: number): number {
    return this.starts[index]!;
  }
}

/**
 * Item offsets from the scan, run once per file the first time a position is asked for: a
 * build that cites nothing in a 400 MB pods.json pays for JSON.parse alone.
 */
class ScannedStarts implements ItemStarts {
  private spans: ItemSpans | undefined;

  constructor(
    private readonly text: string,
    private readonly base: number,
    private readonly itemCount: number,
  ) {}

  startOf(index: number): number {
    this.spans ??= kubectlLayoutSpans(this.text, this.itemCount) ?? scanItemSpans(this.text, this.base, this.text.length);
    // The scan and JSON.parse read the same text, so every item has its span; the array's
    // start is only a guard against a disagreement between the two.
    return this.spans.starts[index] ?? this.spans.arrayStart;
  }
}

/**
 * Item offsets found one at a time, for files where findings cite a few items among many
 * (a rule citing 50 of 100,000 pods). kubectl prints an item's `"uid": "<uid>"` once, in its
 * metadata, and items are of similar size: the uid is searched in a window around the offset
 * interpolated from the items already located, widening until found, and the item's start is
 * the `\n        {` line before it. The hit is accepted only when it is that item's
 * metadata.uid and its metadata.name is the item's name; otherwise (no uid, another layout,
 * a uid given twice) the whole file is scanned once, as ScannedStarts does.
 */
class SearchedStarts implements ItemStarts {
  private readonly uids: (string | undefined)[];
  private readonly names: (string | undefined)[];
  /** Located items, by increasing index: anchors for the next estimates. */
  private readonly anchorIndexes: number[] = [];
  private readonly anchorStarts: number[] = [];
  private scanned: ScannedStarts | undefined;

  constructor(
    private readonly text: string,
    private readonly base: number,
    items: readonly unknown[],
  ) {
    // Only the identity strings are kept, never the parsed items (the model drops them).
    const count = items.length;
    this.uids = new Array(count);
    this.names = new Array(count);
    for (let i = 0; i < count; i++) {
      const metadata = (items[i] as { metadata?: { uid?: unknown; name?: unknown } } | null)?.metadata;
      const uid = metadata?.uid;
      const name = metadata?.name;
      this.uids[i] = typeof uid === 'string' && SEARCHABLE_UID.test(uid) ? uid : undefined;
      this.names[i] = typeof name === 'string' ? name : undefined;
    }
  }

  startOf(index: number): number {
    const at = this.anchorAt(index);
    if (at >= 0) return this.anchorStarts[at]!;
    const start = this.scanned ? -1 : this.search(index);
    if (start < 0) {
      this.scanned ??= new ScannedStarts(this.text, this.base, this.uids.length);
      return this.scanned.startOf(index);
    }
    const insertAt = ~at;
    this.anchorIndexes.splice(insertAt, 0, index);
    this.anchorStarts.splice(insertAt, 0, start);
    return start;
  }

  /** Position of `index` among the anchors, or `~insertion point` when it is not one. */
  private anchorAt(index: number): number {
    const indexes = this.anchorIndexes;
    let lo = 0;
    let hi = indexes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (indexes[mid]! < index) lo = mid + 1;
      else hi = mid;
    }
    return lo < indexes.length && indexes[lo] === index ? lo : ~lo;
  }

  /** The item's start found by its uid, or -1. */
  private search(index: number): number {
    const uid = this.uids[index];
    const name = this.names[index];
    if (uid === undefined || name === undefined) return -1;
    const text = this.text;
    const { lo, hi, estimate } = this.bounds(index);
    const pattern = `"uid": "${uid}"`;
    let hit = -1;
    for (let window = SEARCH_WINDOW; hit < 0; window *= 4) {
      const from = Math.max(lo, estimate - window);
      const to = Math.min(hi, estimate + window + pattern.length);
      const found = text.slice(from, to).indexOf(pattern);
      if (found >= 0) hit = from + found;
      else if (from === lo && to === hi) return -1;
    }
    const marker = text.lastIndexOf(ITEM_MARKER, hit);
    const start = marker + ITEM_MARKER.length - 1;
    if (marker < 0 || start < lo) return -1;
    if (locateJsonPath(text, start, 'metadata.uid') !== hit) return -1;
    const nameKey = locateJsonPath(text, start, 'metadata.name');
    return text.startsWith(`"name": ${JSON.stringify(name)}`, nameKey) ? start : -1;
  }

  /**
   * Where item `index` can be (after the located item before it, before the one after it)
   * and where it probably starts (interpolated between them, or the ends of the text).
   */
  private bounds(index: number): { lo: number; hi: number; estimate: number } {
    const insertAt = ~this.anchorAt(index);
    const before = insertAt - 1;
    const after = insertAt < this.anchorIndexes.length ? insertAt : -1;
    const loIndex = before >= 0 ? this.anchorIndexes[before]! : 0;
    const loStart = before >= 0 ? this.anchorStarts[before]! : this.base;
    const hiIndex = after >= 0 ? this.anchorIndexes[after]! : this.uids.length;
    const hi = after >= 0 ? this.anchorStarts[after]! : this.text.length;
    const estimate = Math.round(loStart + ((index - loIndex) / (hiIndex - loIndex)) * (hi - loStart));
    return { lo: before >= 0 ? loStart + 1 : loStart, hi, estimate };
  }
}

/** kubectl's item start: `{` alone on a line at 8 spaces (see kubectlLayoutSpans). */
const ITEM_MARKER = '\n        {';
/** Uids searched as written (kubectl's are UUIDs); others would need JSON escaping rules. */
const SEARCHABLE_UID = /^[A-Za-z0-9-]{8,}$/;
/** Half-width of the first window searched for a uid, in characters (a pod is ~4,000). */
const SEARCH_WINDOW = 32 * 1024;

/**
 * An item of a JSON List: its start line, and fields located on demand by walking the item's
 * text (only when a finding asks).
 */
class JsonObjectSource implements ObjectSource {
  readonly file: string;

  constructor(
    private readonly sourceFile: SourceFile,
    private readonly starts: ItemStarts,
    private readonly index: number,
  ) {
    this.file = sourceFile.path;
  }

  get line(): number {
    return this.sourceFile.lineOf(this.starts.startOf(this.index));
  }

  at(path?: string, note?: string): Evidence {
    const start = this.starts.startOf(this.index);
    const offset = path ? locateJsonPath(this.sourceFile.text, start, path) : start;
    return this.sourceFile.evidenceAtOffset(offset, note);
  }
}

/**
 * Offset of the field named by `path` in the JSON value starting at `start`: the key's
 * offset for an object member, the element's for an array index. When a segment is missing,
 * the offset of the deepest segment found (at worst `start`).
 */
export function locateJsonPath(text: string, start: number, path: string): number {
  const end = text.length;
  let found = start;
  let value = skipWhitespace(text, start, end);
  for (const segment of parseObjectPath(path)) {
    if (typeof segment === 'number') {
      if (text.charCodeAt(value) !== OPEN_BRACKET) return found;
      let i = skipWhitespace(text, value + 1, end);
      for (let index = 0; ; index++) {
        if (i >= end || text.charCodeAt(i) === CLOSE_BRACKET) return found;
        if (index === segment) break;
        i = skipWhitespace(text, valueEnd(text, i, end), end);
        if (text.charCodeAt(i) !== COMMA) return found;
        i = skipWhitespace(text, i + 1, end);
      }
      found = value = i;
    } else {
      if (text.charCodeAt(value) !== OPEN_BRACE) return found;
      let i = skipWhitespace(text, value + 1, end);
      for (;;) {
        if (i >= end || text.charCodeAt(i) !== QUOTE) return found;
        const keyStart = i;
        const keyClose = stringClose(text, i, end);
        const key = readKey(text, keyStart, keyClose);
        i = skipWhitespace(text, keyClose + 1, end);
        if (text.charCodeAt(i) !== COLON) return found;
        const memberValue = skipWhitespace(text, i + 1, end);
        if (key === segment) {
          found = keyStart;
          value = memberValue;
          break;
        }
        i = skipWhitespace(text, valueEnd(text, memberValue, end), end);
        if (text.charCodeAt(i) !== COMMA) return found;
        i = skipWhitespace(text, i + 1, end);
      }
    }
  }
  return found;
}

function readKey(text: string, open: number, close: number): string {
  const raw = text.slice(open + 1, close);
  if (raw.indexOf('\\') < 0) return raw;
  try {
    return JSON.parse(text.slice(open, close + 1)) as string;
  } catch {
    return raw;
  }
}

/** Where each element of the top-level `items` array (or of a root array) starts and ends. */
export interface ItemSpans {
  /** Offset of the `[` that opens the items array (or the first character when absent). */
  arrayStart: number;
  starts: number[];
  /** Offset just past each element, for the elements that close before `limit`. */
  ends: number[];
}

/**
 * kubectl (and JSON.stringify with 4 spaces) prints a List as `"items": [` at 4 spaces with each
 * item's opening brace alone on a line at 8 spaces, and nothing else in the items array sits at
 * that depth. JSON strings cannot hold raw newlines, so `\n        {` then marks exactly the
 * item starts, found with native indexOf instead of a character walk (the walk costs seconds on
 * a gigabyte of pods). Used only when the count agrees with JSON.parse; otherwise undefined and
 * the general scan runs.
 */
export function kubectlLayoutSpans(text: string, itemCount: number): ItemSpans | undefined {
  const itemsKey = text.indexOf('\n    "items": [');
  if (itemsKey === -1) return undefined;
  const arrayStart = itemsKey + '\n    "items": '.length;
  let arrayEnd = text.indexOf('\n    ]', arrayStart);
  if (arrayEnd === -1) {
    // `"items": []` on one line, or a layout this shortcut does not know.
    return itemCount === 0 ? { arrayStart, starts: [], ends: [] } : undefined;
  }
  const marker = '\n        {';
  const starts: number[] = [];
  for (let i = text.indexOf(marker, arrayStart); i !== -1 && i < arrayEnd; i = text.indexOf(marker, i + marker.length)) {
    starts.push(i + marker.length - 1);
  }
  if (starts.length !== itemCount) return undefined;
  // Between an item's closing brace and the next item there is only `,` and white space.
  const ends = starts.map((_, n) => text.lastIndexOf('}', (n + 1 < starts.length ? starts[n + 1]! : arrayEnd) - 1) + 1);
  return { arrayStart, starts, ends };
}

/**
 * The one linear scan over the text: tracks strings (with escapes) and depth, and records the
 * elements of the root array or of the root object's `items` array. Reads up to `limit`, so it
 * can also tell which items were complete before a syntax error. A regular expression jumps
 * between quotes and brackets (the text between them cannot change depth); strings are
 * skipped with indexOf.
 */
export function scanItemSpans(text: string, from: number, limit: number): ItemSpans {
  const first = skipWhitespace(text, from, limit);
  const rootIsArray = text.charCodeAt(first) === OPEN_BRACKET;
  const itemDepth = rootIsArray ? 1 : 2;
  let arrayStart = rootIsArray ? first : -1;
  let starts: number[] = [];
  let ends: number[] = [];
  let inItems = false;
  let depth = 0;
  const structural = /["{}[\]]/g;

  let i = first;
  while (i < limit) {
    if (inItems && depth === itemDepth) {
      // Between two elements of the items array: the next one starts, or the array ends.
      i = skipSeparators(text, i, limit);
      if (i >= limit) break;
      const c = text.charCodeAt(i);
      if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
        inItems = false;
        depth--;
        i++;
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        starts.push(i);
        depth++;
        i++;
      } else {
        // A string or scalar element (not an object: the model builder reports it).
        const end = c === QUOTE ? stringClose(text, i, limit) + 1 : scalarEnd(text, i, limit);
        starts.push(i);
        ends.push(end);
        i = end;
      }
      continue;
    }
    structural.lastIndex = i;
    if (!structural.test(text)) break;
    i = structural.lastIndex - 1;
    if (i >= limit) break;
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const close = stringClose(text, i, limit);
      if (depth === 1 && !rootIsArray && close === i + 6 && text.startsWith('items', i + 1)) {
        // A member named "items" of the root object: its value is the array we want when the
        // next tokens are `:` and `[` (a string "items" elsewhere is followed by `,` or `}`).
        const colon = skipWhitespace(text, close + 1, limit);
        if (text.charCodeAt(colon) === COLON) {
          const open = skipWhitespace(text, colon + 1, limit);
          if (text.charCodeAt(open) === OPEN_BRACKET) {
            // JSON.parse keeps the last of duplicate keys; so does this.
            arrayStart = open;
            starts = [];
            ends = [];
          }
        }
      }
      i = close + 1;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (i === arrayStart) inItems = true;
      depth++;
      i++;
    } else {
      depth--;
      if (inItems && depth === itemDepth) ends.push(i + 1);
      i++;
    }
  }
  return { arrayStart: arrayStart < 0 ? first : arrayStart, starts, ends };
}

function skipSeparators(text: string, i: number, limit: number): number {
  while (i < limit) {
    const c = text.charCodeAt(i);
    if (c !== COMMA && !isWhitespace(c)) break;
    i++;
  }
  return i;
}

/** Index of the quote closing the string opened at `open`, or `limit` when unterminated. */
function stringClose(text: string, open: number, limit: number): number {
  let i = open + 1;
  for (;;) {
    const close = text.indexOf('"', i);
    if (close < 0 || close >= limit) return limit;
    let backslashes = 0;
    for (let k = close - 1; text.charCodeAt(k) === BACKSLASH; k--) backslashes++;
    if ((backslashes & 1) === 0) return close;
    i = close + 1;
  }
}

/** Offset just past the JSON value starting at `start`. */
function valueEnd(text: string, start: number, limit: number): number {
  const c = text.charCodeAt(start);
  if (c === QUOTE) return stringClose(text, start, limit) + 1;
  if (c !== OPEN_BRACE && c !== OPEN_BRACKET) return scalarEnd(text, start, limit);
  let depth = 0;
  for (let i = start; i < limit; i++) {
    const d = text.charCodeAt(i);
    if (d === QUOTE) i = stringClose(text, i, limit);
    else if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
    else if ((d === CLOSE_BRACE || d === CLOSE_BRACKET) && --depth === 0) return i + 1;
  }
  return limit;
}

function scalarEnd(text: string, start: number, limit: number): number {
  let i = start;
  while (i < limit) {
    const c = text.charCodeAt(i);
    if (c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || isWhitespace(c)) break;
    i++;
  }
  return i;
}

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

function skipWhitespace(text: string, i: number, limit: number): number {
  while (i < limit && isWhitespace(text.charCodeAt(i))) i++;
  return i;
}

/**
 * A syntax error: report its line, and keep the items that were complete before it (a
 * truncated pods.json still tells about the pods it holds). Items after the error are lost,
 * and the issue says so.
 */
function readUpToError(file: SourceFile, base: number, message: string): ParseResult<KubeList> {
  const text = file.text;
  const offset = syntaxErrorOffset(text, base, message);
  const spans = scanItemSpans(text, base, offset);
  const items: ListItem[] = [];
  const locator = new KnownStarts(spans.starts);
  for (let i = 0; i < spans.ends.length; i++) {
    try {
      items.push({ object: JSON.parse(text.slice(spans.starts[i], spans.ends[i])), source: new JsonObjectSource(file, locator, i) });
    } catch {
      break;
    }
  }
  const line = file.lineOf(offset);
  const kept =
    items.length === 0
      ? 'no object of this file could be read'
      : `the ${items.length} item(s) before it were read, the rest of the file was not`;
  const issue: ParseIssue = {
    code: 'INVALID_JSON',
    file: file.path,
    line,
    message: `invalid JSON at line ${line}: ${message}; ${kept}`,
    text: file.lineText(line).trim(),
  };
  return { value: { items }, issues: [issue] };
}

// V8 (Node 20) cites a position for most errors ("... in JSON at position 812", plus
// "(line 3 column 9)" in later versions). "Unexpected token" errors quote up to 10 characters
// either side of the token instead, with "..." where the quote is cut.
const POSITION = /at position (\d+)/;
const TOKEN_IN_CONTEXT = /^Unexpected token '([\s\S])', (\.\.\.)?"([\s\S]*)"(\.\.\.)? is not valid JSON$/;
const CONTEXT_CHARS = 10;

/**
 * Offset in `text` of the error a JSON.parse message describes (best effort, never past it).
 * An error at the end of the input (a truncated file) is placed after the last non-blank
 * character, on the last line that has text.
 */
export function syntaxErrorOffset(text: string, base: number, message: string): number {
  let end = text.length;
  while (end > base && isWhitespace(text.charCodeAt(end - 1))) end--;
  const position = POSITION.exec(message);
  if (position) return Math.min(base + Number(position[1]), end);
  if (message.startsWith('Unexpected end of JSON input')) return end;
  const token = TOKEN_IN_CONTEXT.exec(message);
  if (!token) return base;
  const [, tokenChar = '', cutBefore, context = '', cutAfter] = token;
  if (!cutBefore && cutAfter) return base + context.length - CONTEXT_CHARS; // context starts the text
  if (cutBefore && !cutAfter) return text.length - context.length + CONTEXT_CHARS; // context ends it
  if (cutBefore) {
    // The first occurrence of the quoted context is at or before the real one.
    const at = text.indexOf(context, base);
    return at < 0 ? base : at + CONTEXT_CHARS;
  }
  // The whole (short) text was quoted.
  const at = text.indexOf(tokenChar, base);
  return at < 0 ? base : at;
}

function shapeIssue(file: SourceFile, offset: number, message: string): ParseIssue {
  const line = file.lineOf(offset);
  return { code: 'UNEXPECTED_SHAPE', file: file.path, line, message, text: file.lineText(line).trim() };
}
