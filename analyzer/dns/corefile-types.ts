/**
 * The Corefile as read by parse-corefile.ts: server blocks with their zones and ports, every
 * plugin line with its arguments and nested block, and typed views of the plugins netdump
 * reasons about. Lines are the Corefile's own (1-based); corefile-from-configmap.ts maps them
 * to the bundle file holding the ConfigMap.
 */

/** A line of a plugin or of a plugin's block, with its arguments. */
export interface CorefileDirective {
  name: string;
  args: string[];
  line: number;
  /** Lines inside `{ ... }`, when the directive has a block. */
  block?: CorefileDirective[];
  /** The directive came from `import <snippet>` at this line. */
  importedAt?: number;
}

export type ServerScheme = 'dns' | 'tls' | 'quic' | 'grpc' | 'https' | string;

/** One key of a server block: `.:53`, `cluster.local:53`, `tls://.:853`, `10.0.0.0/24`. */
export interface ServerAddress {
  raw: string;
  scheme: ServerScheme;
  /** Lower-case, absolute (`.`, `cluster.local.`, `0.0.10.in-addr.arpa.`). */
  zone: string;
  port: number;
  line: number;
}

export interface CorefileServer {
  line: number;
  /** Line of the closing brace (the last line for a block without braces or left open). */
  endLine: number;
  addresses: ServerAddress[];
  directives: CorefileDirective[];
  plugins: CorefilePlugin[];
}

export interface CorefileSnippet {
  name: string;
  line: number;
}

export interface Corefile {
  servers: CorefileServer[];
  snippets: CorefileSnippet[];
  /** `{$VAR}` / `{%VAR%}` references, left unexpanded. */
  envReferences: { name: string; line: number }[];
}

interface PluginBase {
  directive: CorefileDirective;
}

export interface FallthroughSpec {
  /** Empty: every zone. */
  zones: string[];
  line: number;
}

export interface KubernetesPlugin extends PluginBase {
  kind: 'kubernetes';
  /** Zones as written or the server block's zones when none are given; absolute, lower-case. */
  zones: string[];
  pods: 'disabled' | 'insecure' | 'verified';
  podsLine?: number;
  fallthrough?: FallthroughSpec;
  /** TTL of the answers; default 5. */
  ttl: number;
  namespaces: string[];
  endpoint?: string;
  kubeconfig?: string;
  labels?: string;
  noEndpoints: boolean;
  endpointPodNames: boolean;
  ignoreEmptyService: boolean;
}

export type ForwardTarget =
  | { kind: 'file'; path: string; raw: string }
  | { kind: 'address'; scheme: 'dns' | 'tls'; host: string; port: number; raw: string };

export interface ForwardPlugin extends PluginBase {
  /** `proxy` is the plugin `forward` replaced (gone from CoreDNS 1.6 on). */
  kind: 'forward' | 'proxy';
  /** Zone forwarded, absolute (`.` for everything). */
  from: string;
  targets: ForwardTarget[];
  except: string[];
  policy: 'random' | 'round_robin' | 'sequential' | string;
  maxConcurrent?: number;
  healthCheck?: string;
  maxFails?: number;
  expire?: string;
  forceTcp: boolean;
  preferUdp: boolean;
  tlsServerName?: string;
}

export interface CacheTier {
  capacity: number;
  ttl?: number;
  minTtl?: number;
  line: number;
}

export interface CachePlugin extends PluginBase {
  kind: 'cache';
  /** Maximum TTL; default 3600 for success, 1800 for denial. */
  ttl?: number;
  zones: string[];
  success?: CacheTier;
  denial?: CacheTier;
  prefetch?: string[];
  serveStale?: string[];
  servfail?: string;
  disable: { type: string; zones: string[] }[];
  keepTtl: boolean;
}

export interface HealthPlugin extends PluginBase {
  kind: 'health';
  address?: string;
  lameduck?: string;
}

export interface HostsEntry {
  address: string;
  names: string[];
  line: number;
}

export interface HostsPlugin extends PluginBase {
  kind: 'hosts';
  file?: string;
  zones: string[];
  entries: HostsEntry[];
  fallthrough?: FallthroughSpec;
  ttl?: number;
  noReverse: boolean;
}

export interface RewritePlugin extends PluginBase {
  kind: 'rewrite';
  mode: 'stop' | 'continue';
  /** `name`, `type`, `class`, `edns0`, `ttl`, `cname`, `rcode`. */
  field: string;
  /** For `name`: `exact` (default), `prefix`, `suffix`, `substring`, `regex`. */
  match?: string;
  from?: string;
  to?: string;
  /** `answer name|value|auto ...` parts, as written. */
  answer: string[][];
}

export interface TemplatePlugin extends PluginBase {
  kind: 'template';
  class: string;
  type: string;
  zones: string[];
  match: string[];
  answer: string[];
  additional: string[];
  authority: string[];
  rcode?: string;
  fallthrough?: FallthroughSpec;
}

export interface AddressPlugin extends PluginBase {
  /** Plugins whose arguments are listen addresses. */
  kind: 'prometheus' | 'ready' | 'bind';
  addresses: string[];
}

export interface OtherPlugin extends PluginBase {
  /** errors, log, loop, reload, loadbalance, and the rest: read through `directive`. */
  kind: 'other';
  name: string;
}

export type CorefilePlugin =
  | KubernetesPlugin
  | ForwardPlugin
  | CachePlugin
  | HealthPlugin
  | HostsPlugin
  | RewritePlugin
  | TemplatePlugin
  | AddressPlugin
  | OtherPlugin;
