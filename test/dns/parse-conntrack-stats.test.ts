import { describe, expect, it } from 'vitest';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { parseConntrackCount, parseConntrackStats } from '../../analyzer/dns/parse-conntrack-stats.js';
import { lineWith, sampleSection, samplesAvailable, SKIP_MESSAGE } from './dns-samples.js';

const parse = (text: string) => parseConntrackStats(new SourceFile('nodes/worker-1/conntrack-stats.txt', text));

describe('parseConntrackStats', () => {
  it('sums per-CPU counters of a current kernel, clash_resolve and chaintoolong included', () => {
    const { value, issues } = parse(
      [
        'cpu=0       \tfound=412 invalid=97 insert=0 insert_failed=13 drop=13 early_drop=0 error=0 search_restart=41 clash_resolve=288 chaintoolong=0',
        'cpu=1       \tfound=377 invalid=85 insert=0 insert_failed=9 drop=9 early_drop=0 error=2 search_restart=39 clash_resolve=301 chaintoolong=1',
        '',
      ].join('\n'),
    );
    expect(issues).toEqual([]);
    expect(value.format).toBe('conntrack-tools');
    expect(value.cpus.map((c) => [c.cpu, c.line])).toEqual([
      [0, 1],
      [1, 2],
    ]);
    expect(value.totals).toEqual({
      found: 789,
      invalid: 182,
      insert: 0,
      insert_failed: 22,
      drop: 22,
      early_drop: 0,
      error: 2,
      search_restart: 80,
      clash_resolve: 589,
      chaintoolong: 1,
    });
    expect(value.fields).toEqual(['found', 'invalid', 'insert', 'insert_failed', 'drop', 'early_drop', 'error', 'search_restart', 'clash_resolve', 'chaintoolong']);
  });

  it('reads the old format with searched/new/delete', () => {
    const { value, issues } = parse(
      'cpu=0 searched=1207 found=8812 new=2207 invalid=0 ignore=17 delete=2143 delete_list=2143 insert=2207 insert_failed=0 drop=0 early_drop=0 icmp_error=0 expect_new=0 expect_create=0 expect_delete=0 search_restart=0\n',
    );
    expect(issues).toEqual([]);
    expect(value.totals).toMatchObject({ searched: 1207, new: 2207, delete: 2143, insert: 2207 });
  });

  it('reads /proc/net/stat/nf_conntrack', () => {
    const { value, issues } = parse(
      [
        'entries  searched found new invalid ignore delete delete_list insert insert_failed drop early_drop icmp_error  expect_new expect_create expect_delete search_restart',
        '0000f1a3  00000000 00001c2f 00000000 00000a1b 00002e7d 00000000 00000000 00000000 0000004a 0000004a 00000000 00000000  00000000 00000000 00000000 00000064',
        '0000f1a3  00000000 00001d79 00000000 00000f70 00003b0a 00000000 00000000 00000000 000000af 000000af 00000000 00000000  00000000 00000000 00000000 0000009f',
      ].join('\n'),
    );
    expect(issues).toEqual([]);
    expect(value.format).toBe('proc');
    expect(value.entries).toBe(0xf1a3);
    expect(value.cpus.map((c) => c.cpu)).toEqual([0, 1]);
    expect(value.totals).toMatchObject({ found: 0x1c2f + 0x1d79, insert_failed: 0x4a + 0xaf, drop: 0x4a + 0xaf, search_restart: 0x64 + 0x9f });
  });

  it('reports lines that are not conntrack -S and repeated CPUs', () => {
    const { value, issues } = parse(
      ['conntrack v1.4.6 (conntrack-tools): 248113 flow entries have been shown.', 'cpu=0 found=1 drop=x', 'cpu=0 found=2', 'cpu=0 found=3'].join('\n'),
    );
    expect(issues.map((i) => [i.line, i.severity ?? 'error'])).toEqual([
      [1, 'error'],
      [2, 'error'],
      [3, 'warning'],
      [4, 'warning'],
    ]);
    expect(value.totals.found).toBe(6);
  });
});

describe('parseConntrackCount', () => {
  it('reads conntrack -C', () => {
    expect(parseConntrackCount(new SourceFile('nodes/worker-1/conntrack-count.txt', '248113\n')).value).toEqual({ count: 248113, line: 1 });
    const bad = parseConntrackCount(new SourceFile('nodes/worker-1/conntrack-count.txt', 'conntrack: command not found\n'));
    expect(bad.value).toBeUndefined();
    expect(bad.issues).toEqual([expect.objectContaining({ line: 1, code: 'BAD_LINE' })]);
  });
});

describe.skipIf(!samplesAvailable)(`parseConntrackStats on shared samples${SKIP_MESSAGE}`, () => {
  it('sums the conntrack-race demo (tab separators): insert_failed equals drop', () => {
    const file = sampleSection('conntrack-S.txt', 0);
    const { value, issues } = parseConntrackStats(file);
    expect(issues).toEqual([]);
    expect(value.cpus.map((c) => c.cpu)).toEqual([0, 1, 2, 3, 4]);
    expect(value.totals).toMatchObject({ found: 28233, insert_failed: 553, drop: 553, ignore: 2 });
    expect(value.cpus[0]!.line).toBe(lineWith(file, 'cpu=0'));
  });

  it('reads every other capture: no ignore field, trailing spaces, non-zero error, clash', () => {
    const expected: Record<number, Record<string, number>> = {
      1: { insert_failed: 2, ignore: 961572259 },
      2: { invalid: 281, error: 1, search_restart: 29 },
      3: { found: 205, search_restart: 4341 },
      4: { error: 29, insert_failed: 39 },
      5: { clash: 1, insert: 10 },
    };
    for (const [section, totals] of Object.entries(expected)) {
      const { value, issues } = parseConntrackStats(sampleSection('conntrack-S.txt', Number(section)));
      expect(issues, `section ${section}`).toEqual([]);
      expect(value.totals, `section ${section}`).toMatchObject(totals);
    }
    expect(parseConntrackStats(sampleSection('conntrack-S.txt', 3)).value.cpus.map((c) => c.cpu)).toEqual([0, 7]);
  });
});
