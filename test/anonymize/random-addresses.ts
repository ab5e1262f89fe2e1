/** Reproducible random addresses for the property tests. */

/** mulberry32: a small PRNG, so that a failing case can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomBytes(length: number, random: () => number): Buffer {
  return Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)));
}

/** Two addresses of `length` bytes sharing exactly `shared` leading bits (all of them if shared = 8·length). */
export function addressSharing(length: number, shared: number, random: () => number, start?: Uint8Array): [Buffer, Buffer] {
  const a = start ? Buffer.from(start) : randomBytes(length, random);
  const b = randomBytes(length, random);
  for (let bit = 0; bit < length * 8; bit++) {
    const byte = bit >>> 3;
    const mask = 0x80 >>> (bit & 7);
    if (bit < shared) b[byte] = (b[byte]! & ~mask) | (a[byte]! & mask);
    else if (bit === shared) b[byte] = (b[byte]! & ~mask) | (~a[byte]! & mask);
  }
  return [a, b];
}
