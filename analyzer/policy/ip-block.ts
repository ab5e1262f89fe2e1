/**
 * CIDR peers of policies (NetworkPolicy `ipBlock`, AdminNetworkPolicy `networks`), parsed once.
 * Host bits are cleared the way the API server's consumers do (`192.168.242.213/24` covers
 * 192.168.242.0–255: policy-assistant's "host bits set" case), and `except` ranges exclude an
 * address for that peer only.
 */
import { cidrContains, parseCidr, type Cidr, type IpAddress } from '../netfilter/ip-cidr.js';

export interface CompiledIpBlock {
  cidr: Cidr;
  except: Cidr[];
  /** `10.0.0.0/8 except 10.1.0.0/16`, for messages. */
  text: string;
}

/**
 * A CIDR as the API accepts it: an address with a `/prefix` (a bare address or a dotted mask
 * is rejected by validation, so it matches nothing here either).
 */
export function parsePolicyCidr(text: unknown): Cidr | undefined {
  if (typeof text !== 'string') return undefined;
  const slash = text.indexOf('/');
  if (slash < 0 || !/^\d{1,3}$/.test(text.slice(slash + 1))) return undefined;
  return parseCidr(text.trim());
}

/** Compiles `{cidr, except}`; a problem (not a throw) when the CIDR cannot be read. */
export function compileIpBlock(raw: unknown): { block: CompiledIpBlock } | { problem: string } {
  const object = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  const cidr = parsePolicyCidr(object.cidr);
  if (!cidr) return { problem: `ipBlock.cidr ${JSON.stringify(object.cidr ?? null)} is not a CIDR` };
  const except: Cidr[] = [];
  const bad: string[] = [];
  for (const entry of Array.isArray(object.except) ? object.except : []) {
    const parsed = parsePolicyCidr(entry);
    if (parsed) except.push(parsed);
    else bad.push(JSON.stringify(entry));
  }
  if (bad.length > 0) return { problem: `ipBlock.except ${bad.join(', ')} is not a CIDR` };
  const text = except.length > 0 ? `${cidr.text} except ${except.map((c) => c.text).join(', ')}` : cidr.text;
  return { block: { cidr, except, text } };
}

/** 'in', 'out' (not in the CIDR), or the except range that excludes the address. */
export function ipBlockMatch(block: CompiledIpBlock, address: IpAddress): 'in' | 'out' | Cidr {
  if (!cidrContains(block.cidr, address)) return 'out';
  for (const except of block.except) if (cidrContains(except, address)) return except;
  return 'in';
}
