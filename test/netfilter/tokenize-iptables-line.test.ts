import { describe, expect, it } from 'vitest';
import { tokenizeIptablesLine } from '../../analyzer/netfilter/tokenize-iptables-line.js';

describe('tokenizeIptablesLine (iptables-restore argument rules)', () => {
  it.each([
    ['-A INPUT -j ACCEPT', ['-A', 'INPUT', '-j', 'ACCEPT']],
    ['-A X -m comment --comment "a b" -j Y', ['-A', 'X', '-m', 'comment', '--comment', 'a b', '-j', 'Y']],
    ['-A X --comment "a  b"   -j Y ', ['-A', 'X', '--comment', 'a  b', '-j', 'Y']],
    ['-A\tX\t--comment "tab\tinside"', ['-A', 'X', '--comment', 'tab\tinside']],
    [String.raw`--comment "q\"uote \\ back"`, ['--comment', 'q"uote \\ back']],
    ['--comment ""', ['--comment', '']],
    ['--comment "a"b', ['--comment', 'a', 'b']],
    ['--comment ab"c d"', ['--comment', 'abc d']],
    [String.raw`--path C:\dir`, ['--path', 'C:\\dir']],
  ])('%s', (line, tokens) => {
    expect(tokenizeIptablesLine(line)).toEqual({ tokens });
  });

  it('reports an unterminated quote', () => {
    expect(tokenizeIptablesLine('-A X --comment "open').error).toBe('unterminated quote');
    expect(tokenizeIptablesLine('-A X --comment "a\\"').error).toBe('unterminated quote');
  });
});
