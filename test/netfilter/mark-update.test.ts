import { describe, expect, it } from 'vitest';
import { andMark, applyMarkUpdate, composeMarkUpdates, orMark, parseMarkAndMask, setMark, xmark, xorMark } from '../../analyzer/netfilter/mark-update.js';

describe('mark updates in xt_MARK form: mark = (mark & ~mask) ^ value', () => {
  it('normalises each iptables spelling to what iptables-save prints as --set-xmark', () => {
    expect(orMark(0x4000)).toEqual({ value: 0x4000, mask: 0x4000 }); // --set-xmark 0x4000/0x4000
    expect(xorMark(0x4000)).toEqual({ value: 0x4000, mask: 0 }); // --set-xmark 0x4000/0x0
    expect(andMark(0xffffbfff)).toEqual({ value: 0, mask: 0x4000 });
    expect(setMark(0x200, 0xf00)).toEqual({ value: 0x200, mask: 0xf00 });
    expect(setMark(0x1)).toEqual({ value: 1, mask: 0xffffffff });
    expect(xmark(0x8000, 0x8000)).toEqual({ value: 0x8000, mask: 0x8000 });
  });

  it('applies and composes updates like the kernel', () => {
    expect(applyMarkUpdate(0x10, orMark(0x4000))).toBe(0x4010);
    expect(applyMarkUpdate(0x4010, xorMark(0x4000))).toBe(0x10);
    expect(applyMarkUpdate(0xffffffff, setMark(0x200, 0xf00))).toBe(0xfffff2ff);
    const both = composeMarkUpdates(andMark(0xffff), orMark(0x10));
    for (const mark of [0, 0x12345678, 0xffffffff]) expect(applyMarkUpdate(mark, both)).toBe((((mark & 0xffff) | 0x10) >>> 0));
  });

  it('parses value/mask pairs in hex and decimal', () => {
    expect(parseMarkAndMask('0x4000/0x4000')).toEqual({ value: 0x4000, mask: 0x4000 });
    expect(parseMarkAndMask('16384')).toEqual({ value: 16384, mask: 0xffffffff });
    expect(parseMarkAndMask('0x123456789')).toBeUndefined();
    expect(parseMarkAndMask('mark')).toBeUndefined();
  });
});
