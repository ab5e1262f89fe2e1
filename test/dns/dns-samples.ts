/**
 * The reference outputs in ../shared/samples (outside the project; absent in some
 * checkouts). The DNS samples concatenate several captures separated by `# ----` or `# ====`
 * lines; `sampleSection` keeps one of them and blanks the rest, so line numbers still match
 * the sample file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SourceFile } from '../../analyzer/bundle/source-file.js';

export const SAMPLES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'samples');
export const samplesAvailable = existsSync(SAMPLES_DIR);
export const SKIP_MESSAGE = samplesAvailable ? '' : ` (skipped: reference samples not found at ${SAMPLES_DIR})`;

/** Section `index` (0 = before the first separator) of a sample, the others blanked. */
export function sampleSection(name: string, index: number): SourceFile {
  const lines = readFileSync(join(SAMPLES_DIR, name), 'utf8').split('\n');
  let section = 0;
  const kept = lines.map((line) => {
    if (/^# (----|====)/.test(line)) {
      section++;
      return '';
    }
    return section === index ? line : '';
  });
  return new SourceFile(`samples/${name}`, kept.join('\n'));
}

/** 1-based line of the first line of `file` containing `needle` at or after line `from`. */
export function lineWith(file: SourceFile, needle: string, from = 1): number {
  for (let line = from; line <= file.lineCount; line++) if (file.lineText(line).includes(needle)) return line;
  throw new Error(`lineWith: ${JSON.stringify(needle)} not found in ${file.path}`);
}
