/**
 * Reads `conntrack -S` (bundle `nodes/<node>/conntrack-stats.txt`) in the shapes kernels and
 * conntrack-tools have printed, and sums the per-CPU counters:
 *
 *   cpu=0   	found=4601 invalid=2157 ignore=0 insert=0 insert_failed=74 drop=74 early_drop=0 error=0 search_restart=100
 *   cpu=0 found=0 invalid=1 insert=0 insert_failed=0 drop=0 early_drop=0 error=0 search_restart=3 clash_resolve=0 chaintoolong=0
 *   cpu=0 searched=1207 found=8812 new=2207 invalid=0 ignore=17 delete=2143 delete_list=2143 insert=2207 insert_failed=0 drop=0 early_drop=0 icmp_error=0 expect_new=0 expect_create=0 expect_delete=0 search_restart=0
 *
 * and the raw `/proc/net/stat/nf_conntrack` table (a header of field names, then one row of
 * hexadecimal values per CPU; `entries` is the table size, the same on every row).
 * Also `conntrack -C` (bundle `conntrack-count.txt`): one number. Never throws on data.
 *
 * insert_failed / drop / clash_resolve are the counters of the conntrack insert race behind
 * DNS 5-second timeouts (kubernetes#56903); semantics.md f).
 */
import type { ParseResult } from '../bundle/parse-issue.js';
import type { SourceFile } from '../bundle/source-file.js';
import { IssueSink } from '../netfilter/issue-sink.js';

export type ConntrackCounter =
  | 'found'
  | 'invalid'
  | 'ignore'
  | 'insert'
  | 'insert_failed'
  | 'drop'
  | 'early_drop'
  | 'error'
  | 'search_restart'
  | 'clash_resolve'
  | 'chaintoolong'
  | 'searched'
  | 'new'
  | 'delete'
  | 'delete_list'
  | 'icmp_error'
  | 'expect_new'
  | 'expect_create'
  | 'expect_delete';

export interface ConntrackCpuStats {
  cpu: number;
  counters: Partial<Record<ConntrackCounter | string, number>>;
  line: number;
}

export interface ConntrackStats {
  format: 'conntrack-tools' | 'proc';
  cpus: ConntrackCpuStats[];
  /** Every counter summed over the CPUs. */
  totals: Partial<Record<ConntrackCounter | string, number>>;
  /** Counter names in the order first seen. */
  fields: string[];
  /** `entries` of the /proc table: connections tracked. */
  entries?: number;
}

export function parseConntrackStats(file: SourceFile): ParseResult<ConntrackStats> {
  const sink = new IssueSink(file.path);
  const stats: ConntrackStats = { format: 'conntrack-tools', cpus: [], totals: {}, fields: [] };
  const seenCpus = new Map<number, number>();
  let procHeader: string[] | undefined;
  const lineCount = file.text === '' ? 0 : file.lineCount;

  const add = (cpu: number, counters: Record<string, number>, lineNo: number, text: string) => {
    const earlier = seenCpus.get(cpu);
    if (earlier !== undefined) {
      sink.add('BAD_LINE', lineNo, `cpu=${cpu} repeats line ${earlier}: both are summed`, { text, severity: 'warning' });
    }
    seenCpus.set(cpu, lineNo);
    for (const [name, value] of Object.entries(counters)) {
      if (!stats.fields.includes(name)) stats.fields.push(name);
      stats.totals[name] = (stats.totals[name] ?? 0) + value;
    }
    stats.cpus.push({ cpu, counters, line: lineNo });
  };

  for (let lineNo = 1; lineNo <= lineCount; lineNo++) {
    const text = file.lineText(lineNo);
    const fields = text.trim().split(/\s+/);
    if (fields[0] === '' || fields[0]!.startsWith('#')) continue;

    if (fields[0] === 'entries' && fields.length > 1 && fields.every((f) => /^[a-z_]+$/.test(f))) {
      procHeader = fields;
      stats.format = 'proc';
      continue;
    }
    if (procHeader) {
      if (fields.length !== procHeader.length || !fields.every((f) => /^[0-9a-fA-F]+$/.test(f))) {
        sink.add('BAD_LINE', lineNo, `expected ${procHeader.length} hexadecimal columns`, { text });
        continue;
      }
      const counters: Record<string, number> = {};
      procHeader.forEach((name, i) => {
        if (name !== 'entries') counters[name] = Number.parseInt(fields[i]!, 16);
      });
      stats.entries = Number.parseInt(fields[0]!, 16);
      add(stats.cpus.length, counters, lineNo, text);
      continue;
    }

    const cpuMatch = /^cpu=(\d+)$/.exec(fields[0]!);
    if (!cpuMatch) {
      sink.add('BAD_LINE', lineNo, 'not a `cpu=N key=value ...` line of conntrack -S', { text });
      continue;
    }
    const counters: Record<string, number> = {};
    let bad = false;
    for (const pair of fields.slice(1)) {
      const match = /^([a-z_]+)=(\d+)$/.exec(pair);
      if (!match) {
        sink.add('BAD_LINE', lineNo, `\`${pair}\` is not a counter=value pair`, { text });
        bad = true;
        continue;
      }
      counters[match[1]!] = Number(match[2]);
    }
    if (bad && Object.keys(counters).length === 0) continue;
    add(Number(cpuMatch[1]), counters, lineNo, text);
  }
  return { value: stats, issues: sink.finish() };
}

export interface ConntrackCount {
  count: number;
  line: number;
}

/** `conntrack -C`: the number of tracked connections. */
export function parseConntrackCount(file: SourceFile): ParseResult<ConntrackCount | undefined> {
  const lineCount = file.text === '' ? 0 : file.lineCount;
  for (let lineNo = 1; lineNo <= lineCount; lineNo++) {
    const text = file.lineText(lineNo).trim();
    if (text === '') continue;
    if (/^\d+$/.test(text)) return { value: { count: Number(text), line: lineNo }, issues: [] };
    return { value: undefined, issues: [{ code: 'BAD_LINE', file: file.path, line: lineNo, message: 'conntrack -C prints one number', text }] };
  }
  return { value: undefined, issues: [{ code: 'UNEXPECTED_SHAPE', file: file.path, line: 0, message: 'empty conntrack -C output' }] };
}
