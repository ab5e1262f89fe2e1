/**
 * A small seeded pseudo-random generator (mulberry32): the scale bundle must be the same bytes
 * on every run and machine, so that benchmark figures compare across commits.
 */

const HEX = '0123456789abcdef';
/** The alphabet Kubernetes uses for generated name suffixes (no vowels, no look-alikes). */
export const KUBE_NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export interface Prng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Uniform integer in [min, max]. */
  between(min: number, max: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** A standard normal draw (Box–Muller). */
  normal(): number;
  /** `length` lowercase hex digits. */
  hex(length: number): string;
  /** `length` characters of `alphabet`. */
  chars(alphabet: string, length: number): string;
  /** An RFC 4122 version-4 UUID, as the API server assigns to `metadata.uid`. */
  uuid(): string;
}

export function createPrng(seed: number): Prng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  const hex = (length: number): string => {
    let out = '';
    for (let i = 0; i < length; i++) out += HEX[int(16)];
    return out;
  };
  return {
    next,
    int,
    between: (min, max) => min + int(max - min + 1),
    chance: (p) => next() < p,
    pick: (items) => items[int(items.length)]!,
    normal: () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()),
    hex,
    chars(alphabet, length) {
      let out = '';
      for (let i = 0; i < length; i++) out += alphabet[int(alphabet.length)];
      return out;
    },
    uuid: () => `${hex(8)}-${hex(4)}-4${hex(3)}-${HEX[8 + int(4)]}${hex(3)}-${hex(12)}`,
  };
}
