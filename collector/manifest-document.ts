/**
 * manifest.json as the collector writes it (docs/bundle-format.md). The analyzer reads it with
 * analyzer/bundle/manifest.ts; the fields beyond the format doc's (`note`, `collection`,
 * `redaction.redacted`) are additions it ignores.
 */
import { MANIFEST_FORMAT } from '../analyzer/bundle/manifest.js';
import { TOOL_VERSION } from '../analyzer/version.js';
import type { CollectionMode } from './collection-specs.js';
import type { RedactionEntry } from './redact.js';

export interface ManifestItemDocument {
  /** Bundle path of the output (a folder, ending in `/`, for a folder that held no file). */
  path: string;
  node?: string;
  command: string;
  /** Absent when the command was not run. */
  exitCode?: number;
  durationMs?: number;
  stderr?: string;
  /** 'command not found', 'timed out', 'interrupted', 'capture ended early'. */
  error?: string;
  /** Why it was not run, or what was done with its output ('partial output kept'). */
  note?: string;
}

export interface ManifestDocument {
  format: typeof MANIFEST_FORMAT;
  createdAt: string;
  collector: { name: 'netdump'; version: string };
  collection: {
    mode: CollectionMode;
    nodes: string[];
    timeoutSeconds: number;
    durationMs: number;
    /** Ctrl-C ended the collection early; items not run say 'interrupted'. */
    interrupted: boolean;
    /** What went wrong with the collection itself rather than with one command. */
    problems: string[];
  };
  items: ManifestItemDocument[];
  redaction: {
    secrets: 'never collected';
    anonymized: false;
    /** Credentials replaced in outputs and stderr: how many of which kind in which file. */
    redacted: RedactionEntry[];
    total: number;
  };
}

/** A manifest item's outcome, for summaries. */
export type ItemOutcome = 'ok' | 'failed' | 'skipped' | 'interrupted';

export function itemOutcome(item: ManifestItemDocument): ItemOutcome {
  if (item.error === 'interrupted') return 'interrupted';
  if (item.exitCode === 0 && !item.error) return 'ok';
  if (item.exitCode === undefined && !item.error) return 'skipped';
  return 'failed';
}

/** `createdAt`: UTC, to the second, as the format doc shows it. */
export function manifestTimestamp(at: Date): string {
  return `${at.toISOString().slice(0, 19)}Z`;
}

export function newManifest(mode: CollectionMode, at: Date, timeoutSeconds: number): ManifestDocument {
  return {
    format: MANIFEST_FORMAT,
    createdAt: manifestTimestamp(at),
    collector: { name: 'netdump', version: TOOL_VERSION },
    collection: { mode, nodes: [], timeoutSeconds, durationMs: 0, interrupted: false, problems: [] },
    items: [],
    redaction: { secrets: 'never collected', anonymized: false, redacted: [], total: 0 },
  };
}
