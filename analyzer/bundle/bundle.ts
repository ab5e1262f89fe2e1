import type { ParseIssue } from './parse-issue.js';
import type { SourceFile } from './source-file.js';

/** The manifest of bundle-format.md; every field optional because the manifest is. */
export interface ManifestItem {
  path?: string;
  node?: string;
  command?: string;
  exitCode?: number;
  durationMs?: number;
  stderr?: string;
  error?: string;
  /** Why the command was not run (`/etc/cni/net.d holds no files`), or what was done with its output. */
  note?: string;
  /** Index of this item in manifest.json's `items`, to find its line. */
  index: number;
  /** 1-based line in manifest.json where the item starts. */
  line: number;
}

export interface Manifest {
  format?: string;
  createdAt?: string;
  collector?: { name?: string; version?: string };
  cluster?: {
    context?: string;
    serverVersion?: string;
    clusterDomain?: string;
    serviceCIDR?: string;
    clusterCIDR?: string;
  };
  items: ManifestItem[];
  redaction?: Record<string, unknown>;
}

/** Limits that keep a hostile or huge bundle from exhausting memory. */
export interface BundleLimits {
  /** A single file larger than this is skipped (recorded as FILE_TOO_LARGE). */
  maxFileBytes: number;
  /** Reading stops once this many bytes were decompressed (TOTAL_SIZE_EXCEEDED). */
  maxTotalBytes: number;
  /** Reading stops after this many archive entries (TOO_MANY_ENTRIES). */
  maxEntries: number;
}

export const DEFAULT_LIMITS: BundleLimits = {
  maxFileBytes: 256 * 1024 * 1024,
  maxTotalBytes: 2 * 1024 * 1024 * 1024,
  maxEntries: 200_000,
};

/**
 * A read-only, in-memory view of a bundle. Paths are relative to the bundle root (the folder
 * holding manifest.json, cluster/ or nodes/), with forward slashes.
 */
export interface Bundle {
  /** What the user named: a .tgz/.tar path, a directory, or a label for in-memory bundles. */
  readonly origin: string;
  readonly files: ReadonlyMap<string, SourceFile>;
  /** Problems met while reading the archive and the manifest. Parsers add theirs elsewhere. */
  readonly issues: readonly ParseIssue[];
  readonly manifest: Manifest | undefined;
  /** Paths that were in the archive but whose content was not kept (too large, not text...). */
  readonly skipped: ReadonlySet<string>;
  has(path: string): boolean;
  get(path: string): SourceFile | undefined;
  /** Files whose path starts with `prefix` (use a trailing '/' for folders), sorted. */
  list(prefix: string): SourceFile[];
  /** Names of the nodes with a `nodes/<node>/` folder, sorted. */
  nodeNames(): string[];
}
