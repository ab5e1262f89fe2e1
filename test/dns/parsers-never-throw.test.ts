/**
 * Every DNS parser returns a value and issues for any text, however broken: lines built from
 * the formats' own words in random order, braces and quotes included.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { corednsMetrics } from '../../analyzer/dns/coredns-metrics.js';
import { parseConntrackCount, parseConntrackStats } from '../../analyzer/dns/parse-conntrack-stats.js';
import { parseCorednsLogs } from '../../analyzer/dns/parse-coredns-logs.js';
import { parseCorefile } from '../../analyzer/dns/parse-corefile.js';
import { parseKubectlTop } from '../../analyzer/dns/parse-kubectl-top.js';
import { parsePrometheusText } from '../../analyzer/dns/parse-prometheus-text.js';
import { parseResolvConf, resolverConfigFor } from '../../analyzer/dns/parse-resolv-conf.js';

const WORDS = [
  '.:53', '{', '}', '"', '\\"', '#', ';', '(snip)', 'import', 'snip', 'kubernetes', 'forward', '.', '/etc/resolv.conf', 'tls://1.1.1.1',
  'cache', '30', 'pods', 'insecure', 'fallthrough', 'nameserver', 'search', 'domain', 'options', 'ndots:5', 'timeout:99', 'attempts:-1',
  '10.96.0.10', 'fd00::a%eth0', 'cpu=0', 'found=12', 'insert_failed=x', 'entries', '00ff', 'NAMESPACE', 'NAME', 'CPU(cores)',
  'MEMORY(bytes)', '3m', '12Mi', '# HELP', '# TYPE', 'histogram', 'x_bucket{le="+Inf"}', 'x{a="\\', 'NaN', '[ERROR]', 'plugin/errors:',
  '2', 'a.example.', 'A:', 'read udp 1.2.3.4:5->8.8.8.8:53: i/o timeout', '{$VAR}', '\t', '10.0.0.0/24:1053', 'dns://[::1]:53',
];

const line = fc
  .tuple(fc.array(fc.oneof(fc.constantFrom(...WORDS), fc.string({ maxLength: 6 })), { maxLength: 8 }), fc.constantFrom(' ', '  ', '\t', ''))
  .map(([words, separator]) => words.join(separator));
const text = fc.array(line, { maxLength: 30 }).map((lines) => lines.join('\n'));

describe('DNS parsers on arbitrary text', () => {
  it('never throw and keep issue lines within the file', () => {
    fc.assert(
      fc.property(text, (input) => {
        const file = new SourceFile('fuzz.txt', input);
        const results = [
          parseResolvConf(file),
          parseCorefile(file),
          parsePrometheusText(file),
          parseKubectlTop(file),
          parseCorednsLogs(file),
          parseConntrackStats(file),
          parseConntrackCount(file),
        ];
        resolverConfigFor(parseResolvConf(file).value, 'musl');
        corednsMetrics(parsePrometheusText(file).value);
        for (const { issues } of results) {
          for (const issue of issues) expect(issue.line).toBeLessThanOrEqual(file.lineCount);
        }
      }),
      { numRuns: 300, seed: 20261126 },
    );
  });
});
