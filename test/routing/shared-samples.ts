/**
 * Access to ../shared/samples (outside the project; tests skip when it is absent). A sample file
 * concatenates outputs of several commands, separated by `# ---- <title>` lines; a section is
 * returned with every other line blanked, so line numbers stay those of the sample file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SourceFile } from '../../analyzer/bundle/source-file.js';

const SAMPLES = fileURLToPath(new URL('../../../shared/samples/', import.meta.url));

export function samplesAvailable(): boolean {
  return existsSync(SAMPLES);
}

export const SAMPLES_MISSING = `../shared/samples is not there (the shared samples live outside the project)`;

/** Section `index` (0 = before the first `# ----` line) of a sample, as a SourceFile. */
export function sampleSection(name: string, index: number): SourceFile {
  const lines = readFileSync(`${SAMPLES}${name}`, 'utf8').split('\n');
  let section = 0;
  const kept = lines.map((line) => {
    if (line.startsWith('# ----')) {
      section++;
      return '';
    }
    return section === index ? line : '';
  });
  return new SourceFile(`samples/${name}`, kept.join('\n'));
}
