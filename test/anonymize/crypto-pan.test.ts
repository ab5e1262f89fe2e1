import { describe, expect, it } from 'vitest';
import { CryptoPan } from '../../collector/anonymize/crypto-pan.js';
import { commonPrefixBits } from '../../collector/anonymize/ip-address.js';
import { addressSharing, seededRandom } from './random-addresses.js';

/** The key and addresses of the reference implementation's sample trace (Xu et al., Crypto-PAn 1.0). */
const REFERENCE_KEY = Buffer.from([
  21, 34, 23, 141, 51, 164, 207, 128, 19, 10, 91, 22, 73, 144, 125, 16, 216, 152, 143, 131, 121, 121, 101, 39, 98, 87, 76, 45, 42, 132, 34, 2,
]);
const REFERENCE_PAIRS: Array<[string, string]> = [
  ['128.11.68.132', '135.242.180.132'],
  ['129.118.74.4', '134.136.186.123'],
  ['130.132.252.244', '133.68.164.234'],
  ['141.223.7.43', '141.167.8.160'],
  ['141.233.145.108', '141.129.237.235'],
  ['152.163.225.39', '151.140.114.167'],
  ['156.29.3.236', '147.225.12.42'],
  ['165.247.96.84', '162.9.99.234'],
  ['166.107.77.190', '160.132.178.185'],
  ['192.102.249.13', '252.138.62.131'],
];

const dotted = (bytes: Uint8Array) => [...bytes].join('.');
const bytesOf = (text: string) => Buffer.from(text.split('.').map(Number));

describe('Crypto-PAn', () => {
  it('gives the reference implementation’s output for its sample key', () => {
    const pan = new CryptoPan(REFERENCE_KEY);
    for (const [input, expected] of REFERENCE_PAIRS) expect(dotted(pan.permute(bytesOf(input)))).toBe(expected);
  });

  for (const bits of [32, 128]) {
    it(`preserves prefixes exactly over ${bits}-bit addresses: k shared bits before ⇔ k after`, () => {
      const random = seededRandom(bits);
      const pan = new CryptoPan(Buffer.from(Array.from({ length: 32 }, () => Math.floor(random() * 256))));
      for (let i = 0; i < 3000; i++) {
        const shared = Math.floor(random() * (bits + 1));
        const [a, b] = addressSharing(bits / 8, shared, random);
        expect(commonPrefixBits(a, b)).toBe(shared);
        expect(commonPrefixBits(pan.permute(a), pan.permute(b))).toBe(shared);
      }
    });
  }

  it('is a permutation: distinct addresses stay distinct', () => {
    const pan = new CryptoPan(Buffer.alloc(32, 9));
    const seen = new Set<string>();
    for (let i = 0; i < 4096; i++) seen.add(dotted(pan.permute(Buffer.from([10, 244, i >> 8, i & 255]))));
    expect(seen.size).toBe(4096);
  });

  it('refuses a key that is not 32 bytes', () => {
    expect(() => new CryptoPan(Buffer.alloc(16))).toThrow(/32 bytes/);
  });
});
