/**
 * Parsers for option values, in the shape commander's `argParser` expects: they return the
 * value or throw InvalidArgumentError, which commander prints as a usage error.
 */
import { InvalidArgumentError } from 'commander';
import { parseIpAddress } from '../netfilter/ip-cidr.js';

const SIZE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** "512M", "2G", "1.5g", "64KiB", "1048576" → bytes (binary multiples). */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?$/i.exec(text.trim());
  const bytes = match ? Math.floor(Number(match[1]) * SIZE_UNITS[match[2]!.toLowerCase()]!) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1) {
    throw new InvalidArgumentError(`expected a size such as 512M or 2G, got "${text}".`);
  }
  return bytes;
}

/** "200000" or "200k" → a positive whole number. */
export function parseCount(text: string): number {
  const match = /^(\d+)([km]?)$/i.exec(text.trim());
  const count = match ? Number(match[1]) * ({ '': 1, k: 1000, m: 1_000_000 } as Record<string, number>)[match[2]!.toLowerCase()]! : NaN;
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new InvalidArgumentError(`expected a positive whole number such as 200000 or 200k, got "${text}".`);
  }
  return count;
}

/** An IPv4 or IPv6 address, kept as written. */
export function parseIp(text: string): string {
  if (!parseIpAddress(text)) throw new InvalidArgumentError(`expected an IPv4 or IPv6 address, got "${text}".`);
  return text;
}

/** A TCP/UDP/SCTP port: 1 to 65535. */
export function parsePort(text: string): number {
  const port = /^\d{1,5}$/.test(text.trim()) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) throw new InvalidArgumentError(`expected a port number from 1 to 65535, got "${text}".`);
  return port;
}

/** For repeatable options that also take comma-separated lists: `--rule a,b --rule c`. */
export function collectList(value: string, previous: readonly string[] = []): string[] {
  const items = value.split(',').map((item) => item.trim()).filter((item) => item !== '');
  return [...previous, ...items.filter((item) => !previous.includes(item))];
}

/** Bytes as the shortest exact size: 268435456 → "256M". */
export function formatSize(bytes: number): string {
  for (const unit of ['T', 'G', 'M', 'K']) {
    const factor = SIZE_UNITS[unit.toLowerCase()]!;
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return String(bytes);
}
