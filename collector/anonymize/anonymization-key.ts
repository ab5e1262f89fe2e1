/**
 * The 32-byte anonymization key (16 bytes of AES key, 16 of Crypto-PAn pad). A key file holds
 * it as 64 hex digits (what `netdump anonymize --key-file` writes when the file does not exist)
 * or as the 32 raw bytes. Whoever holds the key can recompute every pseudonym, so the file is
 * written readable by its owner only and stays with the customer, like the mapping file.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { CRYPTO_PAN_KEY_BYTES } from './crypto-pan.js';

export class KeyFileError extends Error {
  override readonly name = 'KeyFileError';
}

export function newAnonymizationKey(): Buffer {
  return randomBytes(CRYPTO_PAN_KEY_BYTES);
}

/** The key a key file's bytes hold, or undefined when they hold none. */
export function parseAnonymizationKey(data: Buffer): Buffer | undefined {
  const text = data.toString('latin1').trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (data.length === CRYPTO_PAN_KEY_BYTES) return Buffer.from(data);
  return undefined;
}

/** Reads the key file, or creates it with a new random key when it does not exist. */
export async function loadOrCreateKeyFile(path: string): Promise<{ key: Buffer; created: boolean }> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new KeyFileError(`cannot read key file ${path}: ${(error as Error).message}`);
    const key = newAnonymizationKey();
    try {
      await writeFile(path, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    } catch (writeError) {
      throw new KeyFileError(`cannot create key file ${path}: ${(writeError as Error).message}`);
    }
    return { key, created: true };
  }
  const key = parseAnonymizationKey(data);
  if (!key) throw new KeyFileError(`key file ${path} holds neither 64 hex digits nor ${CRYPTO_PAN_KEY_BYTES} raw bytes`);
  return { key, created: false };
}
