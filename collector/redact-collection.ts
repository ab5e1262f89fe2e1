/**
 * The last step before a bundle is written, the same for every collection mode: each file's
 * credentials and each item's stderr are redacted, and manifest.json's `redaction` says what was
 * replaced where. A file that cannot be scanned is left out (a problem in the manifest): nothing
 * leaves unredacted.
 */
import type { ManifestDocument } from './manifest-document.js';
import { RedactionReport, redactBytes, redactText } from './redact.js';
import type { BundleEntry } from './write-bundle.js';

export interface CollectedFile {
  /** Its path in the bundle. */
  path: string;
  data: string | Buffer;
}

/** The bundle entries of `files`, redacted and sorted by path; `manifest` gets the redaction report. */
export function redactCollection(files: readonly CollectedFile[], manifest: ManifestDocument): BundleEntry[] {
  const redaction = new RedactionReport();
  const entries: BundleEntry[] = [];
  for (const file of [...files].sort((a, b) => a.path.localeCompare(b.path))) {
    let redacted: ReturnType<typeof redactBytes>;
    try {
      redacted = redactBytes(typeof file.data === 'string' ? Buffer.from(file.data) : file.data);
    } catch (error) {
      manifest.collection.problems.push(`${file.path}: left out, it could not be scanned for credentials (${(error as Error).message})`);
      continue;
    }
    redaction.add(file.path, 'output', redacted.counts);
    entries.push({ path: file.path, data: redacted.data });
  }
  for (const item of manifest.items) {
    if (!item.stderr) continue;
    const redacted = redactText(item.stderr);
    redaction.add(item.path, 'stderr', redacted.counts);
    item.stderr = redacted.text;
  }
  manifest.redaction.redacted = redaction.list();
  manifest.redaction.total = redaction.total;
  return entries;
}
