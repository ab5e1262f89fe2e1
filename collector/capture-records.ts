/**
 * Reads what node-capture.sh writes about its own run: `capture-log/records.tsv`, one line per
 * command (tab-separated, a header line first).
 *
 *   seq  id             path               exitCode  durationMs  error              note                           command
 *   6    ipset-save     ipset-save.txt     127       0           command not found                                 ipset save
 *   7    ipvsadm        ipvsadm.txt                                                 IPVS is not loaded (no ...)    ipvsadm -Ln
 *   13   conntrack-...  conntrack-stats.txt 124      30010       timed out                                         conntrack -S
 *
 * An empty exitCode means the command was not run (a condition was not met, or the capture
 * was interrupted first).
 */

export interface CaptureRecord {
  /** 1-based order of the command in the run; its stderr is `capture-log/stderr/<seq>.txt`. */
  seq: number;
  /** The spec id (collection-specs.ts). */
  id: string;
  /** Relative to nodes/<node>/. */
  path: string;
  /** Undefined when the command was not run. */
  exitCode?: number;
  durationMs?: number;
  /** 'command not found', 'timed out', 'interrupted'. */
  error?: string;
  /** Why a command was not run, or what was done with its output. */
  note?: string;
  command: string;
}

export interface CaptureRecords {
  records: CaptureRecord[];
  /** Lines that could not be read, with their line number. */
  problems: string[];
}

const COLUMNS = ['seq', 'id', 'path', 'exitCode', 'durationMs', 'error', 'note', 'command'];

export function parseCaptureRecords(text: string): CaptureRecords {
  const records: CaptureRecord[] = [];
  const problems: string[] = [];
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    const lineNo = index + 1;
    if (line === '') return;
    const fields = line.split('\t');
    if (lineNo === 1 && fields.join(',') === COLUMNS.join(',')) return;
    if (fields.length !== COLUMNS.length) {
      problems.push(`records.tsv:${lineNo}: expected ${COLUMNS.length} tab-separated fields, found ${fields.length}`);
      return;
    }
    const [seq, id, path, exitCode, durationMs, error, note, command] = fields as [string, string, string, string, string, string, string, string];
    if (!/^\d+$/.test(seq) || id === '' || path === '' || !/^\d*$/.test(exitCode) || !/^-?\d*$/.test(durationMs)) {
      problems.push(`records.tsv:${lineNo}: not a command record: ${line.slice(0, 200)}`);
      return;
    }
    const record: CaptureRecord = { seq: Number(seq), id, path, command };
    if (exitCode !== '') record.exitCode = Number(exitCode);
    // Centisecond clocks can step back across CPUs by a tick; a duration is never negative.
    if (durationMs !== '') record.durationMs = Math.max(0, Number(durationMs));
    if (error !== '') record.error = error;
    if (note !== '') record.note = note;
    records.push(record);
  });
  return { records, problems };
}

