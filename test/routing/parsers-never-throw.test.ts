/**
 * The routing parsers on arbitrary text built from the tokens real output uses (and garbage):
 * they must return a value and positioned issues, never throw, and the lookup must answer any
 * query on whatever they produced.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { parseSysctl } from '../../analyzer/node/parse-sysctl.js';
import { parseIpAddr } from '../../analyzer/routing/parse-ip-addr.js';
import { parseIpLink } from '../../analyzer/routing/parse-ip-link.js';
import { parseIpRoute } from '../../analyzer/routing/parse-ip-route.js';
import { parseIpRule } from '../../analyzer/routing/parse-ip-rule.js';
import { parseNetstatS } from '../../analyzer/routing/parse-netstat-s.js';
import { lookupRoute } from '../../analyzer/routing/route-lookup.js';

const TOKENS = [
  '2:', 'eth0:', 'eth0@if7:', '<BROADCAST,UP,LOWER_UP>', 'mtu', '1500', 'link/ether', 'inet', 'inet6', '10.0.0.1/24',
  'fd00::1/64', 'scope', 'global', 'secondary', 'valid_lft', 'forever', 'RX:', 'TX:', 'bytes', 'packets', 'errors',
  'vxlan', 'id', 'srcport', 'dstport', 'default', 'via', 'inet6', 'dev', 'table', 'local', 'blackhole', 'nexthop',
  'weight', 'metric', 'mtu', 'lock', 'from', 'to', 'all', 'lookup', 'goto', 'fwmark', '0x1/0xff', 'not', 'iif',
  'uidrange', '1-2', 'Tcp:', 'segments', 'retransmitted', '=', 'net.ipv4.ip_forward', '0', '65536', '::', '', '\t',
  '-1', '1e9', '6.04T', '999999999999999999999', '[detached]', 'suppress_prefixlength', 'sport', 'ipproto', '#',
];

const text = fc
  .array(
    fc.tuple(
      fc.constantFrom('', '    ', '\t', '       '),
      fc.array(fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 6 })), { maxLength: 10 }),
    ),
    { maxLength: 25 },
  )
  .map((lines) => lines.map(([indent, tokens]) => indent + tokens.join(' ')).join('\n'));

describe('routing parsers on arbitrary input', () => {
  it('never throw, and every issue points into the file', () => {
    fc.assert(
      fc.property(text, (content) => {
        const file = new SourceFile('nodes/x/any.txt', content);
        const results = [parseIpAddr(file), parseIpLink(file), parseIpRoute(file), parseIpRule(file), parseSysctl(file), parseNetstatS(file)];
        for (const { issues } of results) {
          for (const issue of issues) {
            expect(issue.file).toBe('nodes/x/any.txt');
            expect(issue.line).toBeGreaterThanOrEqual(0);
            expect(issue.line).toBeLessThanOrEqual(file.lineCount);
          }
        }
        const routes = parseIpRoute(file).value.routes;
        const rules = parseIpRule(file).value.rules;
        const interfaces = parseIpAddr(file).value.interfaces;
        for (const dst of ['10.0.0.5', 'fd00::5']) {
          const result = lookupRoute({ interfaces, routes, rules }, { dst, src: dst, iif: interfaces[0]?.name });
          expect(typeof result.reason).toBe('string');
        }
      }),
      { numRuns: 400, seed: 20261126 },
    );
  });
});
