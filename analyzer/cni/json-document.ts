/**
 * Reads a file holding one JSON object that is not a kubectl object (a CNI `.conflist`, a
 * `weave report`), and keeps where its fields sit: JSON.parse does the parsing, and a field is
 * located only when a finding cites it (`source.at('plugins[1].ipam.subnet')`), by the same
 * walk the kubectl List reader uses.
 *
 * Input sample (`/etc/cni/net.d/10-flannel.conflist`):
 *   {
 *     "name": "cbr0",
 *     "cniVersion": "0.3.1",
 *     "plugins": [ { "type": "flannel", "delegate": { "hairpinMode": true } } ]
 *   }
 */
import type { ParseIssue, ParseResult } from '../bundle/parse-issue.js';
import type { Evidence, SourceFile } from '../bundle/source-file.js';
import { locateJsonPath, syntaxErrorOffset } from '../kube/json-list.js';
import type { ObjectSource } from '../kube/types.js';

const BOM = 0xfeff;

export interface JsonDocument {
  /** The parsed value (any JSON value: callers check its shape). */
  root: unknown;
  /** Positions of the root and of any field under it. */
  source: ObjectSource;
}

/** Parses the whole file as one JSON value; undefined with an INVALID_JSON issue when it is not. */
export function parseJsonDocument(file: SourceFile): ParseResult<JsonDocument | undefined> {
  const text = file.text;
  const base = text.charCodeAt(0) === BOM ? 1 : 0;
  let start = base;
  while (start < text.length && /\s/.test(text[start]!)) start++;
  try {
    const root: unknown = JSON.parse(base === 0 ? text : text.slice(base));
    return { value: { root, source: new DocumentSource(file, start) }, issues: [] };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const offset = syntaxErrorOffset(text, base, message);
    const line = file.lineOf(offset);
    const issue: ParseIssue = {
      code: 'INVALID_JSON',
      file: file.path,
      line,
      message: `invalid JSON at line ${line}: ${message}`,
      text: file.lineText(line).trim(),
    };
    return { value: undefined, issues: [issue] };
  }
}

class DocumentSource implements ObjectSource {
  readonly file: string;

  constructor(
    private readonly sourceFile: SourceFile,
    private readonly start: number,
  ) {
    this.file = sourceFile.path;
  }

  get line(): number {
    return this.sourceFile.lineOf(this.start);
  }

  at(path?: string, note?: string): Evidence {
    const offset = path ? locateJsonPath(this.sourceFile.text, this.start, path) : this.start;
    return this.sourceFile.evidenceAtOffset(offset, note);
  }
}
