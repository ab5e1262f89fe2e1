/**
 * A packet-mark change in the kernel's own form: `mark = (mark & ~mask) ^ value`. xt_MARK and
 * xt_CONNMARK store every spelling (--set-mark, --or-mark, --and-mark, --xor-mark) this way and
 * iptables-save prints it back as `--set-xmark value/mask`; nftables `mark set mark or 0x4000`
 * normalises to the same pair. One representation lets a simulator apply any of them alike.
 */
export interface MarkUpdate {
  value: number;
  mask: number;
}

const ALL = 0xffffffff;

/** `--set-xmark value[/mask]`: the mask defaults to all bits. */
export function xmark(value: number, mask = ALL): MarkUpdate {
  return { value: value >>> 0, mask: mask >>> 0 };
}

/** `--set-mark value[/mask]`: zero the mask bits, then OR the value in. */
export function setMark(value: number, mask = ALL): MarkUpdate {
  return { value: value >>> 0, mask: (mask | value) >>> 0 };
}

export function orMark(bits: number): MarkUpdate {
  return { value: bits >>> 0, mask: bits >>> 0 };
}

export function andMark(bits: number): MarkUpdate {
  return { value: 0, mask: ~bits >>> 0 };
}

export function xorMark(bits: number): MarkUpdate {
  return { value: bits >>> 0, mask: 0 };
}

/** The update equivalent to applying `first` and then `second`. */
export function composeMarkUpdates(first: MarkUpdate, second: MarkUpdate): MarkUpdate {
  // ((x & ~M1) ^ V1) & ~M2 ^ V2 = (x & ~(M1 | M2)) ^ ((V1 & ~M2) ^ V2)
  return { value: ((first.value & ~second.mask) ^ second.value) >>> 0, mask: (first.mask | second.mask) >>> 0 };
}

export function applyMarkUpdate(mark: number, update: MarkUpdate): number {
  return ((mark & ~update.mask) ^ update.value) >>> 0;
}

/** Parses `0x4000`, `16384` or `0x4000/0x4000` into value and mask (mask defaults to all bits). */
export function parseMarkAndMask(text: string): { value: number; mask: number } | undefined {
  const slash = text.indexOf('/');
  const value = parseUint32(slash === -1 ? text : text.slice(0, slash));
  const mask = slash === -1 ? ALL : parseUint32(text.slice(slash + 1));
  if (value === undefined || mask === undefined) return undefined;
  return { value, mask };
}

/** A 32-bit unsigned number in decimal or 0x-hex, as iptables and nft print marks. */
export function parseUint32(text: string): number | undefined {
  let n: number;
  if (/^0[xX][0-9a-fA-F]{1,8}$/.test(text)) n = parseInt(text.slice(2), 16);
  else if (/^\d{1,10}$/.test(text)) n = Number(text);
  else return undefined;
  return n <= ALL ? n : undefined;
}
