import { describe, expect, it } from 'vitest';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { parseResolvConf, resolverConfigFor } from '../../analyzer/dns/parse-resolv-conf.js';
import { lineWith, sampleSection, samplesAvailable, SKIP_MESSAGE } from './dns-samples.js';

const parse = (text: string) => parseResolvConf(new SourceFile('pods/shop/cart/resolv.conf', text));

describe('parseResolvConf', () => {
  it('reads a kubelet-written pod resolv.conf with lines', () => {
    const { value, issues } = parse('search shop.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n');
    expect(issues).toEqual([]);
    expect(value.nameservers).toEqual([{ address: '10.96.0.10', line: 2 }]);
    expect(value.search).toEqual(['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local']);
    expect(value.searchLine).toBe(1);
    expect(value.options).toMatchObject({ ndots: 5, timeout: 5, attempts: 2, rotate: false });
    expect(value.optionLines).toEqual({ ndots: 3 });
  });

  it('reads a systemd-resolved host file with comments and every option glibc knows', () => {
    const text = [
      '# This is /run/systemd/resolve/stub-resolv.conf managed by man:systemd-resolved(8).',
      '; Do not edit.',
      'nameserver 127.0.0.53',
      'options edns0 trust-ad',
      'options timeout:2 attempts:3 rotate single-request-reopen use-vc no-aaaa no-tld-query',
      'search ec2.internal',
      '',
    ].join('\n');
    const { value, issues } = parse(text);
    expect(issues).toEqual([]);
    expect(value.nameservers).toEqual([{ address: '127.0.0.53', line: 3 }]);
    expect(value.options).toEqual({
      ndots: 1,
      timeout: 2,
      attempts: 3,
      rotate: true,
      singleRequest: false,
      singleRequestReopen: true,
      useVc: true,
      edns0: true,
      trustAd: true,
      noAaaa: true,
      noTldQuery: true,
      noReload: false,
      inet6: false,
    });
    expect(value.optionLines).toMatchObject({ edns0: 4, trustAd: 4, timeout: 5, useVc: 5 });
    expect(value.optionEntries.map((o) => `${o.text}@${o.line}`)).toEqual([
      'edns0@4',
      'trust-ad@4',
      'timeout:2@5',
      'attempts:3@5',
      'rotate@5',
      'single-request-reopen@5',
      'use-vc@5',
      'no-aaaa@5',
      'no-tld-query@5',
    ]);
  });

  it('uses the first 3 nameservers and reports the rest and duplicates', () => {
    const { value, issues } = parse('nameserver 10.0.0.2\nnameserver 10.0.0.3\nnameserver 10.0.0.2\nnameserver fd00::a%eth0\n');
    expect(value.nameservers.map((n) => n.address)).toEqual(['10.0.0.2', '10.0.0.3', '10.0.0.2']);
    expect(value.ignoredNameservers).toEqual([{ address: 'fd00::a%eth0', line: 4 }]);
    expect(issues.map((i) => [i.line, i.severity, i.message])).toEqual([
      [3, 'warning', 'nameserver 10.0.0.2 repeats line 1: it is queried twice'],
      [4, 'warning', 'nameserver fd00::a%eth0 ignored: glibc and musl use the first 3 only'],
    ]);
  });

  it('lets the last search or domain line win, domain keeping its first word', () => {
    const { value, issues } = parse('search corp.example.com example.com\ndomain lab.example.com extra.example.com\nnameserver 10.0.0.2\n');
    expect(value.search).toEqual(['lab.example.com']);
    expect(value.searchLine).toBe(2);
    expect(issues.map((i) => i.line)).toEqual([2, 2]);
    expect(issues[0]!.message).toMatch(/replaces the search list of line 1/);
    expect(resolverConfigFor(value, 'musl').search).toEqual(['lab.example.com', 'extra.example.com']);
  });

  it('clamps options to glibc limits, musl reading its own', () => {
    const { value, issues } = parse('nameserver 10.96.0.10\noptions ndots:20 timeout:45 attempts:8\n');
    expect(value.options).toMatchObject({ ndots: 15, timeout: 30, attempts: 5 });
    expect(issues.map((i) => i.message)).toEqual([
      "option ndots:20 exceeds glibc's maximum: ndots is 15",
      "option timeout:45 exceeds glibc's maximum: timeout is 30",
      "option attempts:8 exceeds glibc's maximum: attempts is 5",
    ]);
    expect(resolverConfigFor(value, 'musl').options).toMatchObject({ ndots: 15, timeout: 45, attempts: 8, rotate: false });
  });

  it('reports hostile lines at their line and keeps reading', () => {
    const text = [
      'nameserver 10.96.0.10 # kube-dns',
      '  nameserver 10.0.0.99',
      'nameserver dns.example.com',
      'search shop.svc.cluster.local # added by hand',
      'options ndots:abc rotatex debug',
      'lookup file bind',
      'search',
      'options ndots:-1 single-request',
    ].join('\n');
    const { value, issues } = parse(text);
    expect(value.nameservers).toEqual([{ address: '10.96.0.10', line: 1 }]);
    // glibc takes `#` and what follows as search domains.
    expect(value.search).toEqual(['shop.svc.cluster.local', '#', 'added', 'by', 'hand']);
    // glibc keeps the low 4 bits of a negative ndots (read in the lab: -1 searches first up to 14 dots).
    expect(value.options).toMatchObject({ ndots: 15, rotate: true, singleRequest: true });
    expect(issues.map((i) => [i.line, i.code])).toEqual([
      [1, 'BAD_LINE'],
      [2, 'BAD_LINE'],
      [3, 'BAD_LINE'],
      [4, 'BAD_LINE'],
      [5, 'BAD_LINE'],
      [5, 'BAD_LINE'],
      [5, 'UNKNOWN_DIRECTIVE'],
      [6, 'UNKNOWN_DIRECTIVE'],
      [7, 'BAD_LINE'],
      [8, 'BAD_LINE'],
      [8, 'BAD_LINE'],
    ]);
    expect(issues[9]!.message).toBe('option ndots:-1 is negative: glibc keeps its low 4 bits, ndots 15; musl ignores it');
    expect(issues[10]!.message).toBe('option ndots:-1 overrides line 5');
    expect(issues[4]!.message).toBe('option ndots:abc: `abc` is not a number; glibc reads 0');
    expect(issues[5]!.message).toBe('option rotatex is read by glibc as `rotate` (it matches by prefix)');
    expect(issues.every((i) => i.severity === 'warning')).toBe(true);
  });

  it('warns about search lists old glibc or musl cannot hold', () => {
    const domains = Array.from({ length: 7 }, (_, i) => `team-${i}.corp.internal.example.com`);
    const long = `search ${[...domains, ...domains.map((d) => `x${d}`)].join(' ')}`;
    const { value, issues } = parse(`nameserver 10.96.0.10\n${long}\n`);
    expect(value.search).toHaveLength(14);
    expect(issues.map((i) => i.message)).toEqual([
      `line of ${long.length} characters: musl ignores lines of 255 or more`,
      `search list of 14 domains / ${long.length - 7} characters: glibc before 2.26 keeps only 6 domains within 256 characters`,
    ]);
    expect(resolverConfigFor(value, 'musl').search).toEqual([]);
  });

  it('falls back to 127.0.0.1 without a nameserver', () => {
    const { value, issues } = parse('search example.com\n');
    expect(resolverConfigFor(value).nameservers).toEqual(['127.0.0.1']);
    expect(issues).toEqual([expect.objectContaining({ line: 0, code: 'UNEXPECTED_SHAPE' })]);
  });

  it('reads an empty file and one with CRLF line ends', () => {
    expect(parse('').value.nameservers).toEqual([]);
    const { value, issues } = parse('nameserver 10.96.0.10\r\noptions ndots:5\r\n');
    expect(value.nameservers).toEqual([{ address: '10.96.0.10', line: 1 }]);
    expect(value.options.ndots).toBe(5);
    expect(issues).toEqual([]);
  });
});

describe.skipIf(!samplesAvailable)(`parseResolvConf on shared samples${SKIP_MESSAGE}`, () => {
  it('reads the GCE pod resolv.conf with cloud search domains appended', () => {
    const file = sampleSection('resolv-conf-pods.txt', 0);
    const { value, issues } = parseResolvConf(file);
    expect(issues).toEqual([]);
    expect(value.search).toEqual(['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'google.internal', 'c.gce_project_id.internal']);
    expect(value.searchLine).toBe(lineWith(file, 'search default.svc'));
    expect(value.nameservers).toEqual([{ address: '10.0.0.10', line: lineWith(file, 'nameserver 10.0.0.10') }]);
    expect(value.options.ndots).toBe(5);
  });

  it('reads the pod resolv.conf with an inherited host search domain', () => {
    const file = sampleSection('resolv-conf-pods.txt', 1);
    const { value, issues } = parseResolvConf(file);
    expect(issues).toEqual([]);
    expect(value.search.at(-1)).toBe('hsd1.ca.comcast.net');
    expect(value.nameservers[0]).toEqual({ address: '10.100.0.4', line: lineWith(file, 'nameserver 10.100.0.4') });
  });

  it("reads Docker's embedded DNS resolv.conf", () => {
    const file = sampleSection('resolv-conf-pods.txt', 3);
    const { value, issues } = parseResolvConf(file);
    expect(issues).toEqual([]);
    expect(value.nameservers.map((n) => n.address)).toEqual(['127.0.0.11']);
    expect(value.options).toMatchObject({ ndots: 1, timeout: 3, attempts: 2 });
  });
});
