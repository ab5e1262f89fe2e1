/**
 * `sysctl <keys>` / `sysctl -a` (bundle: `nodes/<node>/sysctl.txt`), one `key = value` a line:
 *
 *   net.ipv4.ip_forward = 1
 *   net.ipv4.conf.all.rp_filter = 1
 *   net.ipv4.conf.flannel/1.rp_filter = 2
 *   net.ipv4.ip_local_port_range = 32768	60999
 *   sysctl: cannot stat /proc/sys/net/bridge/bridge-nf-call-iptables: No such file or directory
 *
 * Values are kept as printed (tabs between fields normalized to one space). A key the kernel does
 * not have — the `cannot stat` line, printed when stderr was captured with stdout — is recorded
 * as missing: for `net.bridge.*` that is itself a finding (br_netfilter not loaded).
 */
import type { SourceFile } from '../bundle/source-file.js';
import type { ParseResult } from '../bundle/parse-issue.js';
import { IssueSink } from '../netfilter/issue-sink.js';

export interface SysctlEntry {
  key: string;
  value: string;
  line: number;
}

export interface SysctlSettings {
  file: string;
  /** By key as printed (`net.ipv4.conf.all.rp_filter`); a repeated key keeps its last value. */
  values: Map<string, SysctlEntry>;
  /** Keys sysctl reported as absent (`cannot stat /proc/sys/...`), with the line saying so. */
  missing: Map<string, number>;
}

const CANNOT_STAT = /^sysctl: cannot stat \/proc\/sys\/(\S+?):/;

export function parseSysctl(file: SourceFile): ParseResult<SysctlSettings> {
  const sink = new IssueSink(file.path);
  const values = new Map<string, SysctlEntry>();
  const missing = new Map<string, number>();
  for (let line = 1; line <= file.lineCount; line++) {
    const raw = file.lineText(line);
    const text = raw.trim();
    if (text === '' || text.startsWith('#') || text.startsWith(';')) continue;
    const absent = CANNOT_STAT.exec(text);
    if (absent) {
      missing.set(absent[1]!.replaceAll('/', '.'), line);
      continue;
    }
    const equals = text.indexOf('=');
    const key = equals === -1 ? '' : text.slice(0, equals).trim();
    if (key === '' || /\s/.test(key)) {
      sink.add('BAD_LINE', line, 'not a `key = value` sysctl line', { text: raw });
      continue;
    }
    values.set(key, { key, value: text.slice(equals + 1).trim().replace(/\s+/g, ' '), line });
  }
  return { value: { file: file.path, values, missing }, issues: sink.finish() };
}
