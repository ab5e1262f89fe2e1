/**
 * Reads the YAML twin of a kubectl List file (`kubectl get pods -A -o yaml`), for bundles that
 * hold `.yaml` instead of `.json`. Also accepts several documents (`---`), each a List or an
 * object, and a bare YAML sequence of objects. Positions come from the yaml package's node
 * ranges; `at(path)` walks the item's node tree.
 *
 * Input sample:
 *   apiVersion: v1
 *   items:
 *   - apiVersion: v1
 *     kind: Service
 *     metadata:
 *       name: cart
 *       namespace: shop
 *     spec:
 *       selector:
 *         app: cart
 *   kind: List
 *   metadata:
 *     resourceVersion: ""
 */
import { isAlias, isMap, isScalar, isSeq, parseAllDocuments, type Document, type Node } from 'yaml';
import type { ParseIssue, ParseResult } from '../bundle/parse-issue.js';
import type { Evidence, SourceFile } from '../bundle/source-file.js';
import { listShape, type KubeList, type ListItem } from './kube-list.js';
import { parseObjectPath } from './object-path.js';
import type { ObjectSource } from './types.js';

/** Parses a kubectl List (or objects, one per document, or a bare sequence) from YAML. */
export function parseYamlList(file: SourceFile): ParseResult<KubeList> {
  const items: ListItem[] = [];
  const issues: ParseIssue[] = [];
  // Plain error messages: the issue carries the line itself. The yaml package reports every
  // problem (even nesting too deep for the stack, as of yaml 2.9) as a document error.
  const parsed = parseAllDocuments(file.text, { prettyErrors: false });
  const documents = Array.isArray(parsed) ? parsed : [];
  let sawContent = false;

  documents.forEach((document, d) => {
    const docLabel = documents.length > 1 ? `document ${d + 1}` : 'the file';
    if (document.errors.length > 0) {
      const error = document.errors[0]!;
      const more = document.errors.length > 1 ? ` (and ${document.errors.length - 1} more)` : '';
      issues.push(issueAt(file, 'INVALID_YAML', error.pos[0], (line) => `invalid YAML at line ${line}: ${firstLine(error.message)}${more}; ${docLabel} was not read`));
      return;
    }
    const contents = document.contents as Node | null;
    if (contents === null || (isScalar(contents) && contents.value === null)) return; // an empty document
    sawContent = true;
    let root: unknown;
    try {
      root = document.toJS();
    } catch (error) {
      // toJS refuses alias bombs (more aliases than maxAliasCount).
      const message = error instanceof Error ? error.message : String(error);
      issues.push(issueAt(file, 'INVALID_YAML', rangeStart(contents, 0), () => `invalid YAML: ${message}; ${docLabel} was not read`));
      return;
    }
    const shape = listShape(root);
    const start = rangeStart(contents, 0);
    if (shape.kind === 'unexpected') {
      issues.push(issueAt(file, 'UNEXPECTED_SHAPE', start, () => shape.message));
      return;
    }
    if (shape.kind === 'single') {
      items.push({ object: root, source: new YamlObjectSource(file, document, contents, start) });
      return;
    }
    const sequence = shape.kind === 'list' && isMap(contents) ? contents.get('items', true) : contents;
    const nodes = isSeq(sequence) ? (sequence.items as (Node | null)[]) : [];
    const sequenceStart = rangeStart(sequence as Node, start);
    shape.items.forEach((object, i) => {
      const node = nodes[i] ?? null;
      items.push({ object, source: new YamlObjectSource(file, document, node, rangeStart(node, sequenceStart)) });
    });
  });

  if (!sawContent && issues.length === 0) {
    issues.push(issueAt(file, 'UNEXPECTED_SHAPE', 0, () => 'empty YAML file: expected a kubectl List or objects'));
  }
  return { value: { items }, issues };
}

class YamlObjectSource implements ObjectSource {
  readonly file: string;
  readonly line: number;

  constructor(
    private readonly sourceFile: SourceFile,
    private readonly document: Document,
    private readonly node: Node | null,
    private readonly start: number,
  ) {
    this.file = sourceFile.path;
    this.line = sourceFile.lineOf(start);
  }

  at(path?: string, note?: string): Evidence {
    const offset = path ? locateYamlPath(this.document, this.node, this.start, path) : this.start;
    return this.sourceFile.evidenceAtOffset(offset, note);
  }
}

/**
 * Offset of the field named by `path` below `node`: a mapping key's offset, or a sequence
 * item's. When a segment is missing, the offset of the deepest one found (at worst `start`).
 */
function locateYamlPath(document: Document, node: Node | null, start: number, path: string): number {
  let found = start;
  let current: unknown = node;
  for (const segment of parseObjectPath(path)) {
    if (isAlias(current)) current = current.resolve(document);
    if (typeof segment === 'number') {
      if (!isSeq(current)) break;
      const item = current.items[segment] as Node | null | undefined;
      if (item === undefined) break;
      found = rangeStart(item, found);
      current = item;
    } else {
      if (!isMap(current)) break;
      const pair = current.items.find((p) => isScalar(p.key) && String(p.key.value) === segment);
      if (!pair) break;
      found = rangeStart(pair.key as Node, found);
      current = pair.value;
    }
  }
  return found;
}

function rangeStart(node: Node | null | undefined, fallback: number): number {
  return node?.range?.[0] ?? fallback;
}

function firstLine(message: string): string {
  const end = message.indexOf('\n');
  return end < 0 ? message : message.slice(0, end);
}

function issueAt(file: SourceFile, code: ParseIssue['code'], offset: number, message: (line: number) => string): ParseIssue {
  const line = file.lineOf(offset);
  return { code, file: file.path, line, message: message(line), text: file.lineText(line).trim() };
}
