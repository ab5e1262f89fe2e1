import { describe, expect, it } from 'vitest';
import { makeEvidence, SourceFile } from '../../analyzer/bundle/source-file.js';

const RESOLV = 'search default.svc.cluster.local svc.cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n';

describe('SourceFile line arithmetic', () => {
  it('maps offsets to 1-based lines', () => {
    const file = new SourceFile('nodes/a/resolv.conf', RESOLV);
    expect(file.lineCount).toBe(4); // the empty line after the final newline
    expect(file.lineOf(0)).toBe(1);
    expect(file.lineOf(RESOLV.indexOf('\n'))).toBe(1);
    expect(file.lineOf(RESOLV.indexOf('nameserver'))).toBe(2);
    expect(file.lineOf(RESOLV.indexOf('ndots'))).toBe(3);
    expect(file.lineOf(RESOLV.length)).toBe(4);
  });

  it('gives each line without its ending, and offsets back', () => {
    const file = new SourceFile('nodes/a/resolv.conf', RESOLV);
    expect(file.lineText(2)).toBe('nameserver 10.96.0.10');
    expect(file.offsetOfLine(2)).toBe(RESOLV.indexOf('nameserver'));
    expect(file.lineText(4)).toBe('');
    expect(file.lineText(0)).toBe('');
    expect(file.lineText(5)).toBe('');
  });

  it('strips \\r from CRLF lines but keeps the text verbatim', () => {
    const text = 'nameserver 10.96.0.10\r\noptions ndots:5\r\n';
    const file = new SourceFile('pods/default/web-0/resolv.conf', text);
    expect(file.text).toBe(text);
    expect(file.lineText(1)).toBe('nameserver 10.96.0.10');
    expect(file.lineText(2)).toBe('options ndots:5');
    expect(file.lineOf(text.indexOf('options'))).toBe(2);
  });

  it('reads a last line that has no newline', () => {
    const file = new SourceFile('nodes/a/conntrack-count.txt', '262144\n1873');
    expect(file.lineCount).toBe(2);
    expect(file.lineText(2)).toBe('1873');
    expect(file.lineOf(9)).toBe(2);
  });

  it('handles an empty file as one empty line', () => {
    const file = new SourceFile('nodes/a/ipvsadm.txt', '');
    expect(file.lineCount).toBe(1);
    expect(file.lineOf(0)).toBe(1);
    expect(file.lineText(1)).toBe('');
    expect(file.size).toBe(0);
  });

  it('counts size in UTF-8 bytes', () => {
    expect(new SourceFile('x', 'café\n').size).toBe(6);
  });

  it('builds trimmed evidence for a line or an offset', () => {
    const text = '*filter\n  -A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP  \nCOMMIT\n';
    const file = new SourceFile('nodes/a/iptables-save.txt', text);
    expect(file.evidenceAtLine(2, 'drops invalid packets')).toEqual({
      file: 'nodes/a/iptables-save.txt',
      line: 2,
      text: '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
      note: 'drops invalid packets',
    });
    expect(file.evidenceAtOffset(text.indexOf('COMMIT'))).toEqual({ file: 'nodes/a/iptables-save.txt', line: 3, text: 'COMMIT' });
  });

  it('cuts long evidence text to a readable length', () => {
    const evidence = makeEvidence('f', 1, 'x'.repeat(1000));
    expect(evidence.text.length).toBe(240);
    expect(evidence.text.endsWith('…')).toBe(true);
  });
});
