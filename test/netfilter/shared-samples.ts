/**
 * Access to the reference outputs in ../shared/samples (outside the project; absent in some
 * checkouts). Several samples concatenate outputs of different tools separated by `# ----` or
 * `# ====` comment lines; `sampleSections` keeps only the sections a parser reads, blanking the
 * others so that line numbers still match the file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SourceFile } from '../../analyzer/bundle/source-file.js';

export const SAMPLES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'samples');
export const samplesAvailable = existsSync(SAMPLES_DIR);
export const SKIP_MESSAGE = `reference samples not found at ${SAMPLES_DIR} (they live outside the project)`;

export function readSample(name: string): string {
  return readFileSync(join(SAMPLES_DIR, name), 'utf8');
}

export type SectionFormat = 'iptables-save' | 'iptables-listing' | 'ipset-list' | 'ipset-save' | 'ipvsadm' | 'other';

/** What a section holds, from its first line that is not a comment or blank. */
function classify(lines: string[]): SectionFormat {
  const first = lines.find((l) => l.trim() !== '' && !l.startsWith('#'))?.trim() ?? '';
  if (/^(\*|:|-A |\[\d+:\d+\] -A )/.test(first)) return 'iptables-save';
  if (/^Chain \S+ \(/.test(first) || /^\d+\s+\d+\s/.test(first)) return 'iptables-listing';
  if (first.startsWith('Name:')) return 'ipset-list';
  if (/^(ipset )?(create|add) /.test(first)) return 'ipset-save';
  if (/^(IP Virtual Server|Prot LocalAddress|TCP |UDP |SCTP |FWM )/.test(first)) return 'ipvsadm';
  return 'other';
}

/**
 * The sample's text with every section not in `formats` blanked (same line count). A section
 * starts at a line beginning with `# ----` or `# ====`.
 */
export function sampleSections(text: string, formats: SectionFormat[]): string {
  const lines = text.split('\n');
  const out: string[] = [];
  let section: string[] = [];
  const flush = () => {
    const keep = formats.includes(classify(section));
    for (const line of section) out.push(keep ? line : '');
    section = [];
  };
  for (const line of lines) {
    if (/^# (----|====)/.test(line)) {
      flush();
      out.push(line);
      continue;
    }
    section.push(line);
  }
  flush();
  return out.join('\n');
}

export function sampleFile(name: string, formats?: SectionFormat[]): SourceFile {
  const text = readSample(name);
  return new SourceFile(`samples/${name}`, formats ? sampleSections(text, formats) : text);
}
