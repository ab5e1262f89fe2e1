/**
 * Access to ../shared/samples (outside the project; tests skip when it is absent). A sample file
 * concatenates outputs of several commands, separated by `# ---- <title>`, `# --- <title>` or
 * `# ==== <title>` lines; a section is returned with every other line blanked, so line numbers
 * stay those of the sample file. `# ` notes can be blanked too, for JSON samples.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SourceFile } from '../../analyzer/bundle/source-file.js';

const SAMPLES = fileURLToPath(new URL('../../../shared/samples/', import.meta.url));
const SEPARATOR = /^# (?:-{3,}|={3,})/;

export const SAMPLES_MISSING = '../shared/samples is not there (the shared samples live outside the project)';

export function samplesAvailable(): boolean {
  return existsSync(SAMPLES);
}

export function sampleSection(name: string, index: number, options: { blankComments?: boolean } = {}): SourceFile {
  const lines = readFileSync(`${SAMPLES}${name}`, 'utf8').split('\n');
  let section = 0;
  const kept = lines.map((line) => {
    if (SEPARATOR.test(line)) {
      section++;
      return '';
    }
    if (section !== index) return '';
    return options.blankComments && line.startsWith('#') ? '' : line;
  });
  return new SourceFile(`samples/${name}`, kept.join('\n'));
}
