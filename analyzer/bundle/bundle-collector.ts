import type { Bundle } from './bundle.js';
import { decodeText } from './decode-text.js';
import { findBundleRoot } from './find-bundle-root.js';
import { InMemoryBundle } from './in-memory-bundle.js';
import { parseManifest } from './manifest.js';
import type { ParseIssue } from './parse-issue.js';
import { SourceFile } from './source-file.js';

/**
 * Gathers what a reader finds (files, skipped paths, folders, issues), keyed by the path inside
 * the archive or directory, then turns it into a Bundle rooted at the bundle root. The root is
 * known only once everything was read, so issues are re-pathed at the end too.
 */
export class BundleCollector {
  private readonly files = new Map<string, SourceFile>();
  private readonly skipped = new Set<string>();
  private readonly folders = new Set<string>();
  /** `verbatim`: `file` is a raw entry name, kept as is instead of made root-relative. */
  private readonly issues: Array<{ issue: ParseIssue; verbatim: boolean }> = [];

  /** Records a problem; `file` is the path inside the archive ('' for the archive itself). */
  note(issue: ParseIssue): void {
    this.issues.push({ issue, verbatim: false });
  }

  /** Records an entry refused for its name; the issue names it exactly as the archive does. */
  refuse(name: string, reason: string): void {
    this.issues.push({
      issue: { code: 'UNSAFE_PATH', file: name, line: 0, message: `entry ${name} refused: ${reason}` },
      verbatim: true,
    });
  }

  addBytes(path: string, data: Buffer): void {
    const decoded = decodeText(data);
    if ('notText' in decoded) {
      this.skip(path, { code: 'NOT_TEXT', file: path, line: 0, message: `not read as text: ${decoded.notText}` });
      return;
    }
    this.addText(path, decoded.text, data.length);
  }

  addText(path: string, text: string, size = Buffer.byteLength(text)): void {
    this.replacing(path);
    this.files.set(path, new SourceFile(path, text, size));
  }

  /** A file that was in the archive but whose content is not kept, and why. */
  skip(path: string, issue: ParseIssue): void {
    this.replacing(path);
    this.skipped.add(path);
    this.note(issue);
  }

  addFolder(path: string): void {
    if (path !== '') this.folders.add(path);
  }

  finish(origin: string): Bundle {
    const root = findBundleRoot(this.knownPaths());
    const prefix = root === '' ? '' : `${root}/`;
    const rebase = (path: string): string | undefined =>
      prefix === '' ? path : path.startsWith(prefix) ? path.slice(prefix.length) : undefined;

    const files = new Map<string, SourceFile>();
    const outside: string[] = [];
    for (const [path, file] of this.files) {
      const rebased = rebase(path);
      if (rebased === undefined) outside.push(path);
      else files.set(rebased, prefix === '' ? file : new SourceFile(rebased, file.text, file.size));
    }
    const skipped = new Set<string>();
    for (const path of this.skipped) {
      const rebased = rebase(path);
      if (rebased === undefined) outside.push(path);
      else skipped.add(rebased);
    }
    const folders = new Set<string>();
    for (const path of this.folders) {
      const rebased = rebase(path);
      if (rebased) folders.add(rebased);
    }

    const issues = this.issues.map(({ issue, verbatim }) => {
      const rebased = verbatim || issue.file === '' ? issue.file : rebase(issue.file);
      return rebased === undefined || rebased === issue.file ? issue : { ...issue, file: rebased };
    });
    if (outside.length > 0) {
      outside.sort();
      issues.push({
        code: 'UNEXPECTED_SHAPE',
        file: '',
        line: 0,
        message:
          `${outside.length} file(s) outside the bundle root ${prefix} were ignored ` +
          `(first: ${outside.slice(0, 3).join(', ')})`,
        severity: 'warning',
      });
    }

    const manifestFile = files.get('manifest.json');
    let manifest;
    if (manifestFile) {
      const parsed = parseManifest(manifestFile);
      manifest = parsed.value;
      issues.push(...parsed.issues);
    }
    return new InMemoryBundle(origin, files, issues, manifest, skipped, folders);
  }

  /** A later entry with the same path replaces the earlier one, as tar extraction would. */
  private replacing(path: string): void {
    if (!this.files.has(path) && !this.skipped.has(path)) return;
    this.files.delete(path);
    this.skipped.delete(path);
    this.note({
      code: 'DUPLICATE_ENTRY',
      file: path,
      line: 0,
      message: 'appears more than once in the archive; the last copy is used',
      severity: 'warning',
    });
  }

  private *knownPaths(): Iterable<string> {
    yield* this.files.keys();
    yield* this.skipped;
    for (const folder of this.folders) yield `${folder}/`;
  }
}
