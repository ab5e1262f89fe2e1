/**
 * Crypto-PAn (Xu, Fan, Ammar, Moon 2002): a keyed, prefix-preserving permutation of addresses.
 * Two addresses that share exactly k leading bits map to two addresses that share exactly k
 * leading bits, so subnets stay subnets. Bit i of the output is bit i of the input XOR the top
 * bit of AES(first i input bits, padded with the secret pad), which makes each output bit
 * depend only on the bits before it: the map is invertible and prefix-preserving.
 *
 * The 32-byte key is split as in the reference implementation: bytes 0–15 are the AES-128 key,
 * bytes 16–31 are encrypted once to give the pad. IPv4 uses 32 rounds; IPv6 the same
 * construction over 128 bits (the address fills the whole block).
 */
import { createCipheriv, type Cipher } from 'node:crypto';

export const CRYPTO_PAN_KEY_BYTES = 32;

export class CryptoPan {
  private readonly cipher: Cipher;
  private readonly pad: Buffer;

  constructor(key: Buffer) {
    if (key.length !== CRYPTO_PAN_KEY_BYTES) throw new Error(`a Crypto-PAn key is ${CRYPTO_PAN_KEY_BYTES} bytes, got ${key.length}`);
    // ECB encrypts each block on its own, so one cipher serves every call without final().
    this.cipher = createCipheriv('aes-128-ecb', key.subarray(0, 16), null);
    this.cipher.setAutoPadding(false);
    this.pad = this.cipher.update(key.subarray(16, 32));
  }

  /**
   * The flips of byte j's eight bits depend only on bytes 0..j, so they are cached by that
   * prefix: the addresses of one /24 share the AES work for their first three bytes.
   */
  private readonly flipsByPrefix = new Map<string, number>();

  /** Pseudonymizes a 4-byte (IPv4) or 16-byte (IPv6) address; returns a new buffer. */
  permute(address: Uint8Array): Buffer {
    const out = Buffer.from(address);
    for (let j = 0; j < address.length; j++) {
      const prefix = `${address.length}:${out.toString('latin1', 0, j + 1)}`;
      let flips = this.flipsByPrefix.get(prefix);
      if (flips === undefined) this.flipsByPrefix.set(prefix, (flips = this.byteFlips(address, j)));
      out[j] = address[j]! ^ flips;
    }
    return out;
  }

  /** Bit i (0 = most significant) of byte j flips when AES(first 8j+i address bits, then the pad) starts with a 1. */
  private byteFlips(address: Uint8Array, j: number): number {
    const blocks = Buffer.alloc(16 * 8);
    for (let i = 0; i < 8; i++) {
      const block = blocks.subarray(i * 16, i * 16 + 16);
      this.pad.copy(block);
      for (let k = 0; k < j; k++) block[k] = address[k]!;
      if (i !== 0) {
        const mask = (0xff << (8 - i)) & 0xff;
        block[j] = (address[j]! & mask) | (this.pad[j]! & ~mask & 0xff);
      }
    }
    const encrypted = this.cipher.update(blocks);
    let flips = 0;
    for (let i = 0; i < 8; i++) if (encrypted[i * 16]! & 0x80) flips |= 0x80 >>> i;
    return flips;
  }
}
