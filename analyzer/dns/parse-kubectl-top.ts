/**
 * Reads `kubectl top pods -A` (bundle file `cluster/top-pods.txt`), with or without
 * `--containers`, with or without the NAMESPACE column:
 *
 *   NAMESPACE     NAME                       CPU(cores)   MEMORY(bytes)
 *   kube-system   coredns-5d78c9869d-8kq2p   3m           12Mi
 *
 *   NAMESPACE     POD                        NAME      CPU(cores)   MEMORY(bytes)
 *   kube-system   coredns-5d78c9869d-8kq2p   coredns   3m           12Mi
 *
 * Columns are found by their header, so extra ones (SWAP(bytes)) do no harm. kubectl's own
 * error lines (`error: Metrics API not available`) and klog warnings are reported. Never
 * throws on data.
 */
import type { ParseResult } from '../bundle/parse-issue.js';
import type { SourceFile } from '../bundle/source-file.js';
import { IssueSink } from '../netfilter/issue-sink.js';

export interface PodUsage {
  namespace?: string;
  pod: string;
  /** With `--containers`. */
  container?: string;
  cpuMillicores?: number;
  memoryBytes?: number;
  line: number;
}

export interface KubectlTop {
  perContainer: boolean;
  pods: PodUsage[];
}

const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** A Kubernetes quantity (`12Mi`, `250m`, `1.5`) as a number of base units; undefined if malformed. */
export function parseQuantity(text: string): number | undefined {
  const match = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|K|M|G|T|P|E)?$/.exec(text);
  if (!match) return undefined;
  const suffix = match[2] ?? '';
  return Number(match[1]) * (BINARY[suffix] ?? DECIMAL[suffix]!);
}

export function parseKubectlTop(file: SourceFile): ParseResult<KubectlTop> {
  const sink = new IssueSink(file.path);
  const top: KubectlTop = { perContainer: false, pods: [] };
  let columns: Map<string, number> | undefined;
  const lineCount = file.text === '' ? 0 : file.lineCount;

  for (let lineNo = 1; lineNo <= lineCount; lineNo++) {
    const text = file.lineText(lineNo);
    const trimmed = text.trim();
    if (trimmed === '' || trimmed === 'No resources found') continue;
    if (/^error:/i.test(trimmed) || /^[EWIF]\d{4} /.test(trimmed)) {
      sink.add('UNEXPECTED_SHAPE', lineNo, `kubectl said: ${trimmed}`, { text, severity: /^[WI]/.test(trimmed) ? 'warning' : 'error' });
      continue;
    }
    const fields = trimmed.split(/\s+/);
    if (fields.some((f) => f.startsWith('CPU(')) && fields.some((f) => f.startsWith('MEMORY('))) {
      columns = new Map(fields.map((f, i) => [f, i]));
      top.perContainer = columns.has('POD');
      continue;
    }
    if (!columns) {
      sink.add('BAD_LINE', lineNo, 'line before the kubectl top header', { text });
      continue;
    }
    if (fields.length < columns.size) {
      sink.add('BAD_LINE', lineNo, `expected ${columns.size} columns, found ${fields.length}`, { text });
      continue;
    }
    const at = (name: string) => (columns!.has(name) ? fields[columns!.get(name)!] : undefined);
    const usage: PodUsage = top.perContainer ? { pod: at('POD')!, container: at('NAME')!, line: lineNo } : { pod: at('NAME')!, line: lineNo };
    const namespace = at('NAMESPACE');
    if (namespace !== undefined) usage.namespace = namespace;
    const cpu = at('CPU(cores)');
    const memory = at('MEMORY(bytes)');
    const cores = cpu === undefined ? undefined : parseQuantity(cpu);
    const bytes = memory === undefined ? undefined : parseQuantity(memory);
    if (cpu !== undefined && cores === undefined) sink.add('BAD_LINE', lineNo, `CPU \`${cpu}\` is not a quantity`, { text });
    if (memory !== undefined && bytes === undefined) sink.add('BAD_LINE', lineNo, `memory \`${memory}\` is not a quantity`, { text });
    if (cores !== undefined) usage.cpuMillicores = Math.round(cores * 1000 * 1000) / 1000;
    if (bytes !== undefined) usage.memoryBytes = Math.round(bytes);
    top.pods.push(usage);
  }
  return { value: top, issues: sink.finish() };
}
