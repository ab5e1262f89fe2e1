import { isUtf8 } from 'node:buffer';

/** A NUL byte in this many leading bytes marks a file as binary, as git and grep do. */
const BINARY_SNIFF_BYTES = 8192;

export type DecodedText = { text: string } | { notText: string };

/**
 * Decodes a bundle file's bytes as UTF-8, without its byte order mark. Binary content and
 * invalid UTF-8 are refused instead of being decoded with replacement characters, which
 * would make parsers report nonsense lines.
 */
export function decodeText(data: Buffer): DecodedText {
  if (data.subarray(0, BINARY_SNIFF_BYTES).includes(0)) {
    return { notText: `binary content (NUL bytes in the first ${BINARY_SNIFF_BYTES} bytes)` };
  }
  if (!isUtf8(data)) return { notText: 'invalid UTF-8' };
  const hasBom = data.length >= 3 && data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf;
  return { text: (hasBom ? data.subarray(3) : data).toString('utf8') };
}
