/**
 * Calico IP pools, from two sources:
 *
 * `calicoctl get ippool -o wide` (tabwriter table; SELECTOR may hold spaces, newer calicoctl adds
 * ASSIGNMENTMODE; without `-o wide` only NAME, CIDR and SELECTOR are printed):
 *
 *   NAME                  CIDR            NAT    IPIPMODE   VXLANMODE   DISABLED   DISABLEBGPEXPORT   SELECTOR
 *   default-ipv4-ippool   10.244.0.0/16   true   Never      Always      false      false              all()
 *
 * and `cluster/calico/ippools.json` (`calicoctl get ippool -o json`, or the crd.projectcalico.org
 * objects through kubectl), each item's `spec`:
 *
 *   { "cidr": "10.244.0.0/16", "ipipMode": "Always", "vxlanMode": "Never", "natOutgoing": true,
 *     "blockSize": 26, "nodeSelector": "all()", "disabled": false }
 *
 * An absent mode is Calico's default, Never; an absent blockSize its default, 26 (IPv4) or 122
 * (IPv6). The v1 API's `ipip: { enabled, mode }` and `nat-outgoing` are read too.
 */
import type { ParseIssue, ParseResult } from '../bundle/parse-issue.js';
import type { SourceFile } from '../bundle/source-file.js';
import { parseJsonList } from '../kube/json-list.js';
import type { KubeList } from '../kube/kube-list.js';
import { asObject, objectOrEmpty } from '../kube/object-fields.js';
import type { ObjectSource } from '../kube/types.js';
import { parseYamlList } from '../kube/yaml-list.js';
import { parseCidr, type Cidr } from '../netfilter/ip-cidr.js';
import { IssueSink } from '../netfilter/issue-sink.js';
import { cutRow, headerColumns, type TableColumn } from './column-table.js';

export type CalicoEncapMode = 'Always' | 'CrossSubnet' | 'Never';

export interface CalicoIpPool {
  name: string;
  /** The CIDR as written. */
  cidrText: string;
  /** Parsed; absent when the text is not a CIDR. */
  cidr?: Cidr;
  /** Absent when the source does not show it (the table without `-o wide`). */
  ipipMode?: CalicoEncapMode;
  vxlanMode?: CalicoEncapMode;
  natOutgoing?: boolean;
  disabled?: boolean;
  disableBgpExport?: boolean;
  blockSize?: number;
  nodeSelector?: string;
  assignmentMode?: string;
  line: number;
  /** Positions of the pool's fields (JSON and YAML sources). */
  source?: ObjectSource;
}

export interface CalicoIpPools {
  file: string;
  pools: CalicoIpPool[];
}

/** By lower-cased name without dashes: the v1 API wrote `always`, `cross-subnet`, `off`. */
const ENCAP_MODES = new Map<string, CalicoEncapMode>([
  ['always', 'Always'],
  ['crosssubnet', 'CrossSubnet'],
  ['never', 'Never'],
  ['off', 'Never'],
]);

/** Reads the `calicoctl get ippool [-o wide]` table. */
export function parseCalicoIpPoolTable(file: SourceFile): ParseResult<CalicoIpPools> {
  const sink = new IssueSink(file.path);
  const pools: CalicoIpPool[] = [];
  /** undefined before any header; null under a header that is not an IP pool table (its rows are skipped). */
  let columns: TableColumn[] | null | undefined;
  for (let line = 1; line <= file.lineCount; line++) {
    const raw = file.lineText(line);
    const text = raw.trim();
    if (text === '' || text.startsWith('#')) continue;
    if (/^NAME\s/.test(text)) {
      columns = headerColumns(raw);
      if (!columns.some((c) => c.name === 'CIDR')) {
        sink.add('UNEXPECTED_SHAPE', line, `not an IP pool table (no CIDR column): ${columns.map((c) => c.name).join(' ')}; its rows are skipped`, { text: raw });
        columns = null;
      }
      continue;
    }
    if (columns === null) continue;
    if (!columns) {
      sink.add('BAD_LINE', line, 'not a line of `calicoctl get ippool` (no NAME ... CIDR header above it)', { text: raw });
      continue;
    }
    const cells = cutRow(raw, columns) ?? splitLoose(raw, columns.length);
    if (!cells) {
      sink.add('BAD_LINE', line, `expected ${columns.length} columns (${columns.map((c) => c.name).join(' ')})`, { text: raw });
      continue;
    }
    // An empty cell is a value the row does not have (a cut-off line), not an empty value.
    const value = (name: string) => {
      const index = columns!.findIndex((c) => c.name === name);
      return index < 0 || cells[index] === '' ? undefined : cells[index];
    };
    const missing = columns.filter((_, index) => cells[index] === '').map((c) => c.name);
    const name = value('NAME');
    const cidrText = value('CIDR');
    if (name === undefined || cidrText === undefined) {
      sink.add('BAD_LINE', line, 'an IP pool row needs a NAME and a CIDR (truncated?)', { text: raw });
      continue;
    }
    if (missing.length > 0) sink.add('BAD_LINE', line, `row ends early: no ${missing.join(', ')} (truncated?)`, { text: raw, severity: 'warning' });
    const pool: CalicoIpPool = { name, cidrText, line };
    const cidr = parseCidr(cidrText);
    if (cidr) pool.cidr = cidr;
    else sink.add('BAD_LINE', line, `"${cidrText}" is not a CIDR`, { text: raw });
    const bad = (message: string) => sink.add('BAD_LINE', line, message, { text: raw, severity: 'warning' });
    setMode(pool, 'ipipMode', value('IPIPMODE'), bad);
    setMode(pool, 'vxlanMode', value('VXLANMODE'), bad);
    setBoolean(pool, 'natOutgoing', value('NAT'), bad);
    setBoolean(pool, 'disabled', value('DISABLED'), bad);
    setBoolean(pool, 'disableBgpExport', value('DISABLEBGPEXPORT'), bad);
    const selector = value('SELECTOR');
    if (selector !== undefined) pool.nodeSelector = selector;
    const assignment = value('ASSIGNMENTMODE');
    if (assignment !== undefined) pool.assignmentMode = assignment;
    pools.push(pool);
  }
  return { value: { file: file.path, pools }, issues: sink.finish() };
}

/** Reads IP pools from a JSON (or YAML) list: `calicoctl get ippool -o json`, or the CRDs. */
export function parseCalicoIpPoolList(file: SourceFile): ParseResult<CalicoIpPools> {
  const parsed: ParseResult<KubeList> = /\.ya?ml$/.test(file.path) ? parseYamlList(file) : parseJsonList(file);
  const issues: ParseIssue[] = [...parsed.issues];
  const pools: CalicoIpPool[] = [];
  for (const item of parsed.value.items) {
    const problem = (path: string | undefined, message: string, severity?: 'warning') => {
      const evidence = item.source.at(path);
      const issue: ParseIssue = { code: 'UNEXPECTED_SHAPE', file: evidence.file, line: evidence.line, message, text: evidence.text };
      if (severity) issue.severity = severity;
      issues.push(issue);
    };
    const object = asObject(item.object);
    if (!object) {
      problem(undefined, 'an item is not an object; skipped');
      continue;
    }
    const kind = typeof object.kind === 'string' ? object.kind : 'IPPool';
    if (kind !== 'IPPool' && kind !== 'ipPool') {
      problem('kind', `a ${kind} in the IP pool list; skipped`, 'warning');
      continue;
    }
    const metadata = objectOrEmpty(object.metadata);
    const spec = objectOrEmpty(object.spec);
    // The v1 API named pools by their CIDR, in metadata.
    const cidrText = typeof spec.cidr === 'string' ? spec.cidr : typeof metadata.cidr === 'string' ? metadata.cidr : '';
    const name = typeof metadata.name === 'string' ? metadata.name : cidrText;
    if (cidrText === '') {
      problem('spec', `IP pool ${name || '(unnamed)'} has no spec.cidr; skipped`);
      continue;
    }
    const pool: CalicoIpPool = { name, cidrText, line: item.source.line, source: item.source };
    const cidr = parseCidr(cidrText);
    if (cidr) pool.cidr = cidr;
    else problem('spec.cidr', `IP pool ${name}: "${cidrText}" is not a CIDR`);
    const legacyIpip = asObject(spec.ipip);
    const ipipText = typeof spec.ipipMode === 'string' ? spec.ipipMode : legacyIpip ? (legacyIpip.enabled === false ? 'Never' : String(legacyIpip.mode ?? 'Always')) : '';
    setMode(pool, 'ipipMode', ipipText === '' ? 'Never' : ipipText, (message) => problem('spec.ipipMode', `IP pool ${name}: ${message}`, 'warning'));
    const vxlanText = typeof spec.vxlanMode === 'string' && spec.vxlanMode !== '' ? spec.vxlanMode : 'Never';
    setMode(pool, 'vxlanMode', vxlanText, (message) => problem('spec.vxlanMode', `IP pool ${name}: ${message}`, 'warning'));
    const nat = spec.natOutgoing ?? spec['nat-outgoing'];
    pool.natOutgoing = nat === true;
    pool.disabled = spec.disabled === true;
    pool.disableBgpExport = spec.disableBGPExport === true;
    const blockSize = typeof spec.blockSize === 'number' ? spec.blockSize : cidr?.family === 6 ? 122 : 26;
    pool.blockSize = blockSize;
    pool.nodeSelector = typeof spec.nodeSelector === 'string' && spec.nodeSelector !== '' ? spec.nodeSelector : 'all()';
    if (typeof spec.assignmentMode === 'string') pool.assignmentMode = spec.assignmentMode;
    pools.push(pool);
  }
  return { value: { file: file.path, pools }, issues };
}

function setMode(pool: CalicoIpPool, key: 'ipipMode' | 'vxlanMode', text: string | undefined, bad: (message: string) => void): void {
  if (text === undefined) return;
  const mode = ENCAP_MODES.get(text.toLowerCase().replace(/[-_]/g, ''));
  if (mode) pool[key] = mode;
  else bad(`${key === 'ipipMode' ? 'IPIP' : 'VXLAN'} mode "${text}" is not Always, CrossSubnet or Never`);
}

function setBoolean(pool: CalicoIpPool, key: 'natOutgoing' | 'disabled' | 'disableBgpExport', text: string | undefined, bad: (message: string) => void): void {
  if (text === undefined) return;
  if (text === 'true' || text === 'false') pool[key] = text === 'true';
  else bad(`${key} "${text}" is not true or false`);
}

/** A row that does not line up with its header: whitespace-separated cells, when the count fits. */
function splitLoose(raw: string, count: number): string[] | undefined {
  const cells = raw.trim().split(/\s{2,}/);
  return cells.length === count ? cells : undefined;
}
