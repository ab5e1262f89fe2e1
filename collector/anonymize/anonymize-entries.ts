/**
 * Anonymizes a bundle's files: addresses get prefix-preserving pseudonyms (ip-pseudonyms.ts),
 * namespaces, nodes and pods keyed pseudonyms (name-pseudonyms.ts), in contents and paths
 * alike, and kube-proxy's hashed chain names are recomputed from the rewritten Service port
 * names (`ns/svc:port`) and endpoints (kube-proxy-chains.ts). The result is a consistent
 * capture of an imaginary cluster: analyzing it finds what analyzing the original finds, under
 * other names. manifest.json's redaction.anonymized becomes true and its kube context gets a
 * pseudonym (`ctx-…`). The design and its limits: README.md beside this file.
 */
import { createHmac } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { nftHashAndTruncate } from '../../analyzer/netfilter/kube-proxy-names.js';
import type { BundleEntry } from '../write-bundle.js';
import { keyId, twoWay, ANONYMIZATION_MAP_FORMAT, type AnonymizationMap } from './anonymization-map.js';
import { CRYPTO_PAN_KEY_BYTES } from './crypto-pan.js';
import { IpPseudonyms } from './ip-pseudonyms.js';
import { MacPseudonyms } from './mac-pseudonyms.js';
import { isIptablesDump, kubeProxyChainRenames, type ServicePortSource } from './kube-proxy-chains.js';
import { NamePseudonyms } from './name-pseudonyms.js';
import { rewriteJsonText, rewriteText, type TokenMapper } from './text-rewriter.js';

export interface AnonymizedBundle {
  entries: BundleEntry[];
  map: AnonymizationMap;
}

/** Core resources a large cluster may split by namespace: `cluster/pods/<namespace>.json`. */
const SPLIT_RESOURCES = new Set(['pods', 'services', 'endpoints', 'endpointslices', 'networkpolicies', 'ingresses', 'events', 'configmaps']);

export function anonymizeEntries(entries: readonly BundleEntry[], key: Buffer): AnonymizedBundle {
  if (key.length !== CRYPTO_PAN_KEY_BYTES) throw new Error(`an anonymization key is ${CRYPTO_PAN_KEY_BYTES} bytes, got ${key.length}`);
  const files = entries.map((e) => ({ path: e.path, text: typeof e.data === 'string' ? e.data : e.data.toString('utf8') }));

  const names = new NamePseudonyms(key);
  const servicePorts = collectNames(files, names);
  names.assign();

  const ips = new IpPseudonyms(key);
  const macs = new MacPseudonyms(key);
  const chains = new Map<string, string>();
  const chainsUsed = new Map<string, string>();
  const mapper: TokenMapper = {
    address: (text) => ips.mapAddress(text),
    prefix: (address, bits) => ips.mapPrefix(address, bits),
    name: (token) => names.lookup(token),
    mac: (token) => macs.map(token),
    chain: (token) => {
      const renamed = chains.get(token) ?? renameNftChain(token, mapper);
      if (renamed !== undefined && renamed !== token) chainsUsed.set(token, renamed);
      return renamed;
    },
  };
  const rewrite = (text: string) => rewriteText(text, mapper);
  const dumps = files.filter((f) => isIptablesDump(f.path)).map((f) => f.text);
  for (const [from, to] of kubeProxyChainRenames(dumps, servicePorts, rewrite)) chains.set(from, to);

  const contexts = new Map<string, string>();
  const contextPseudonym = (context: string) => {
    const pseudonym = `ctx-${createHmac('sha256', key).update(`context\0${context}`).digest('hex').slice(0, 8)}`;
    contexts.set(context, pseudonym);
    return pseudonym;
  };
  const out: BundleEntry[] = files.map(({ path, text }) => {
    const data =
      path === 'manifest.json'
        ? anonymizeManifest(rewriteJsonText(text, mapper), contextPseudonym)
        : path.endsWith('.json')
          ? rewriteJsonText(text, mapper)
          : rewrite(text);
    return { path: rewrite(path), data };
  });

  return {
    entries: out,
    map: {
      format: ANONYMIZATION_MAP_FORMAT,
      keyId: keyId(key),
      names: twoWay(new Map([...names.forward, ...contexts])),
      addresses: twoWay(ips.forward),
      chains: twoWay(chainsUsed),
      macs: twoWay(macs.forward),
    },
  };
}

/**
 * kube-proxy's nftables chains carry their inputs in the name (`endpoint-H8-ns/svc/tcp/p80__10.244.1.5/8080`):
 * when the hash checks out, the name is rebuilt from the rewritten inputs and hashed again.
 */
function renameNftChain(token: string, mapper: TokenMapper): string | undefined {
  const m = /^([a-z]+)-([A-Z2-7]{8})-(.+)$/.exec(token);
  if (!m || !/^(?:service|local|external|firewall|endpoint|affinity)$/.test(m[1]!)) return undefined;
  const [, kind, hash, base] = m as unknown as [string, string, string, string];
  if (base.endsWith('...') || nftHashAndTruncate(base) !== `${hash}-${base}`) return undefined;
  const cut = base.indexOf('__');
  let renamed = rewriteText(cut === -1 ? base : base.slice(0, cut), mapper);
  if (cut !== -1) {
    const endpoint = base.slice(cut + 2);
    const slash = endpoint.lastIndexOf('/');
    const ip = endpoint.slice(0, slash);
    // IPv6 endpoints are written with '.' for ':' (a chain name may not hold ':').
    const v6 = !/^\d+\.\d+\.\d+\.\d+$/.test(ip);
    const mapped = mapper.address(v6 ? ip.replaceAll('.', ':') : ip);
    renamed += `__${mapped === undefined ? ip : v6 ? mapped.replaceAll(':', '.') : mapped}${endpoint.slice(slash)}`;
  }
  return `${kind}-${nftHashAndTruncate(renamed)}`;
}

/**
 * Sets redaction.anonymized, and replaces the kube context's name: it may carry a cloud account
 * or project (`arn:aws:eks:eu-west-1:123456789012:cluster/prod`, `gke_acme-prod_europe-west1_main`).
 */
function anonymizeManifest(text: string, contextPseudonym: (context: string) => string): string {
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch {
    return text;
  }
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) return text;
  const document = manifest as Record<string, unknown>;
  const redaction = typeof document.redaction === 'object' && document.redaction !== null ? (document.redaction as Record<string, unknown>) : {};
  document.redaction = { ...redaction, anonymized: true };
  const cluster = document.cluster as Record<string, unknown> | undefined;
  if (typeof cluster === 'object' && cluster !== null && typeof cluster.context === 'string' && cluster.context !== '') {
    cluster.context = contextPseudonym(cluster.context);
  }
  return `${JSON.stringify(document, null, 2)}\n`;
}

interface KubeObject {
  metadata?: { name?: unknown; namespace?: unknown };
  spec?: { nodeName?: unknown; ports?: unknown };
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Gathers the names to pseudonymize from paths, the API objects and the manifest; returns the Service ports. */
function collectNames(files: ReadonlyArray<{ path: string; text: string }>, names: NamePseudonyms): ServicePortSource[] {
  const servicePorts: ServicePortSource[] = [];
  for (const { path, text } of files) {
    const parts = path.split('/');
    if (parts[0] === 'nodes' && parts.length > 2) names.add('node', parts[1]);
    if ((parts[0] === 'pods' || parts[0] === 'logs') && parts.length > 3) {
      names.add('namespace', parts[1]);
      names.add('pod', parts[2]);
    }
    if (parts[0] === 'metrics' && parts.length === 3) {
      names.add('namespace', parts[1]);
      names.add('pod', parts[2]!.replace(/\.prom$/, ''));
    }
    if (parts[0] === 'cluster' && parts.length === 3 && SPLIT_RESOURCES.has(parts[1]!)) names.add('namespace', parts[2]!.replace(/\.(json|ya?ml)$/, ''));
    if (path === 'manifest.json') collectManifestNodes(text, names);
    const format = /\.json$/.test(path) ? 'json' : /\.ya?ml$/.test(path) ? 'yaml' : undefined;
    if (parts[0] !== 'cluster' || !format) continue;

    const resource = parts.length === 3 && SPLIT_RESOURCES.has(parts[1]!) ? parts[1]! : parts[1]!.replace(/\.(?:json|ya?ml)$/, '');
    let document: unknown;
    try {
      document = format === 'json' ? JSON.parse(text) : parseYaml(text);
    } catch {
      continue;
    }
    const items = (document as { items?: unknown } | null)?.items;
    if (!Array.isArray(items)) continue;
    for (const item of items as KubeObject[]) {
      const name = str(item?.metadata?.name);
      const namespace = str(item?.metadata?.namespace);
      names.add('namespace', namespace);
      if (resource === 'namespaces') names.add('namespace', name);
      if (resource === 'nodes') names.add('node', name);
      if (resource === 'pods') {
        names.add('pod', name);
        names.add('node', str(item?.spec?.nodeName));
      }
      if (resource === 'services' && name && namespace) {
        const ports = Array.isArray(item.spec?.ports) ? (item.spec.ports as Array<{ name?: unknown }>) : [];
        for (const port of ports) servicePorts.push({ namespace, name, portName: str(port?.name) ?? '' });
      }
    }
  }
  return servicePorts;
}

function collectManifestNodes(text: string, names: NamePseudonyms): void {
  try {
    const items = (JSON.parse(text) as { items?: unknown })?.items;
    if (Array.isArray(items)) for (const item of items as Array<{ node?: unknown }>) names.add('node', str(item?.node));
  } catch {
    // An unreadable manifest names no nodes; its text is still rewritten.
  }
}
