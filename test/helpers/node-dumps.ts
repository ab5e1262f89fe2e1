/**
 * Node dumps for tests: what kube-proxy 1.30 (iptables mode) programs on a node for a set of
 * API objects built with kube-objects.ts, rendered as iptables-save prints it. The rules come
 * from fixtures/kube-proxy-dataplane.mjs, the scenario generator's own model of kube-proxy,
 * written independently of the analyzer (so a test compares two readings of kube-proxy's code,
 * and the upstream golden outputs in ../shared/samples check both).
 */
// @ts-expect-error the fixture generator is plain JavaScript
import { addKubeProxyRules, ctime, ipAddrText, Ruleset } from '../../fixtures/kube-proxy-dataplane.mjs';

type Json = Record<string, any>;

export interface KubeProxyDumpOptions {
  services: Json[];
  endpointSlices: Json[];
  node: string;
  clusterCIDR?: string;
  /** `iptables-nft-save` (default) or `iptables-save` (the legacy build's header). */
  tool?: string;
  legacyWarning?: boolean;
}

export function kubeProxyIptablesSave(options: KubeProxyDumpOptions): string {
  const rules = new Ruleset();
  addKubeProxyRules(rules, { services: options.services, endpointSlices: options.endpointSlices }, options.node, { clusterCIDR: options.clusterCIDR ?? '10.244.0.0/16' });
  return rules.render({ tool: options.tool ?? 'iptables-nft-save', version: '1.8.9', date: ctime('2026-11-26T10:00:04Z'), warning: options.legacyWarning ?? false }) as string;
}

/** `ip -d addr show` of a node with eth0 at `nodeIP` and no pods. */
export function nodeIpAddr(nodeIP: string): string {
  return ipAddrText({ nodeIP, pods: [] }) as string;
}

/** The 1-based line of the first line containing every needle. */
export function lineOf(text: string, ...needles: string[]): number {
  const index = text.split('\n').findIndex((l) => needles.every((n) => l.includes(n)));
  if (index < 0) throw new Error(`lineOf: no line with ${needles.map((n) => JSON.stringify(n)).join(' and ')}`);
  return index + 1;
}

/** The text without its lines containing `needle` (a rule kube-proxy would have written, lost). */
export function withoutLines(text: string, needle: string): string {
  return text
    .split('\n')
    .filter((l) => !l.includes(needle))
    .join('\n');
}
