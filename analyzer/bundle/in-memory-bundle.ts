import type { Bundle, Manifest } from './bundle.js';
import type { ParseIssue } from './parse-issue.js';
import type { SourceFile } from './source-file.js';

/** The Bundle every reader produces: files already decoded, paths relative to the root. */
export class InMemoryBundle implements Bundle {
  private sortedPaths: string[] | undefined;
  private nodes: string[] | undefined;

  constructor(
    readonly origin: string,
    readonly files: ReadonlyMap<string, SourceFile>,
    readonly issues: readonly ParseIssue[],
    readonly manifest: Manifest | undefined,
    readonly skipped: ReadonlySet<string>,
    /** Folders known from archive directory entries, so an empty `nodes/<node>/` counts. */
    private readonly folders: ReadonlySet<string> = new Set(),
  ) {}

  has(path: string): boolean {
    return this.files.has(path);
  }

  get(path: string): SourceFile | undefined {
    return this.files.get(path);
  }

  list(prefix: string): SourceFile[] {
    const paths = this.paths();
    // Binary search for the first path >= prefix; every match follows it contiguously.
    let lo = 0;
    let hi = paths.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (paths[mid]! < prefix) lo = mid + 1;
      else hi = mid;
    }
    const found: SourceFile[] = [];
    for (let i = lo; i < paths.length && paths[i]!.startsWith(prefix); i++) found.push(this.files.get(paths[i]!)!);
    return found;
  }

  nodeNames(): string[] {
    if (this.nodes) return [...this.nodes];
    const names = new Set<string>();
    for (const path of this.list('nodes/')) {
      const end = path.path.indexOf('/', 'nodes/'.length);
      if (end > 'nodes/'.length) names.add(path.path.slice('nodes/'.length, end));
    }
    for (const folder of this.folders) {
      const [top, node] = folder.split('/');
      if (top === 'nodes' && node) names.add(node);
    }
    this.nodes = [...names].sort();
    return [...this.nodes];
  }

  private paths(): string[] {
    this.sortedPaths ??= [...this.files.keys()].sort();
    return this.sortedPaths;
  }
}
