/**
 * Reads a CoreDNS Corefile (the `Corefile` key of the kube-system/coredns ConfigMap):
 *
 *   .:53 {
 *       errors
 *       health {
 *          lameduck 5s
 *       }
 *       kubernetes cluster.local in-addr.arpa ip6.arpa {
 *          pods insecure
 *          fallthrough in-addr.arpa ip6.arpa
 *       }
 *       forward . /etc/resolv.conf
 *       cache 30
 *   }
 *
 * Syntax as CoreDNS's Caddyfile parser has it (coredns/caddy caddyfile/parse.go):
 * - A server block is a line of keys (`.:53`, `cluster.local:53 in-addr.arpa`,
 *   `dns://.:53`; a trailing comma continues the keys on the next line) and a `{` block. The
 *   first block of a file may go without braces: then it runs to the end.
 * - In a block, a directive is a plugin name and its arguments up to the end of the line;
 *   a `{` on that line opens a nested block whose lines are read the same way.
 * - `(name) { ... }` defines a snippet; `import name` at the start of a line pastes it.
 *   `import <file glob>` cannot be followed here and is reported.
 * - `{$VAR}` environment references are left as written and listed.
 * CoreDNS refuses to start on a syntax error or an unknown plugin; such findings are issues
 * of severity error. Never throws on data.
 */
import type { ParseResult } from '../bundle/parse-issue.js';
import type { SourceFile } from '../bundle/source-file.js';
import { IssueSink } from '../netfilter/issue-sink.js';
import { readPlugin } from './corefile-plugins.js';
import type { Corefile, CorefileDirective, CorefileServer, ServerAddress } from './corefile-types.js';
import { normalizeZone } from './dns-zone.js';
import { tokenizeCorefile, type CorefileToken } from './tokenize-corefile.js';

/** Plugins of the standard CoreDNS build (plugin.cfg), and `root`, `on` of older ones. */
export const COREDNS_PLUGINS = new Set([
  'acl', 'any', 'auto', 'autopath', 'azure', 'bind', 'bufsize', 'cache', 'cancel', 'chaos', 'clouddns', 'debug', 'dns64',
  'dnssec', 'dnstap', 'erratic', 'errors', 'etcd', 'file', 'forward', 'geoip', 'grpc', 'header', 'health', 'hosts',
  'k8s_external', 'kubernetes', 'loadbalance', 'local', 'log', 'loop', 'metadata', 'minimal', 'multisocket', 'nomad',
  'nsid', 'on', 'pprof', 'prometheus', 'ready', 'reload', 'rewrite', 'root', 'route53', 'secondary', 'sign', 'template',
  'timeouts', 'tls', 'trace', 'transfer', 'tsig', 'view', 'whoami',
]);

/** Plugins that were in CoreDNS and are no longer. */
const REMOVED_PLUGINS: Record<string, string> = {
  proxy: 'the proxy plugin left CoreDNS in 1.6 (use forward): a current CoreDNS refuses to start with "Unknown directive \'proxy\'"',
  federation: 'the federation plugin left CoreDNS in 1.7: a current CoreDNS refuses to start with "Unknown directive \'federation\'"',
  reverse: 'the reverse plugin left CoreDNS in 1.3: a current CoreDNS refuses to start with "Unknown directive \'reverse\'"',
};

/** Plugins CoreDNS accepts once per server block. */
const ONCE_PER_BLOCK = new Set(['forward', 'proxy', 'kubernetes', 'cache', 'health', 'ready', 'loop', 'reload', 'hosts', 'errors', 'prometheus']);

const DEFAULT_PORTS: Record<string, number> = { dns: 53, tls: 853, quic: 853, grpc: 443, https: 443, https3: 443 };
const MAX_IMPORT_DEPTH = 10;

/** A token with the identity of its source line, so that pasted snippets keep their own lines. */
interface Token extends CorefileToken {
  row: string;
  importedAt?: number;
}

interface Snippet {
  name: string;
  line: number;
  tokens: Token[];
}

export function parseCorefile(file: SourceFile): ParseResult<Corefile> {
  return new CorefileParser(file).parse();
}

class CorefileParser {
  private readonly sink: IssueSink;
  private tokens: Token[] = [];
  private readonly snippets = new Map<string, Snippet>();
  private imports = 0;

  constructor(private readonly file: SourceFile) {
    this.sink = new IssueSink(file.path);
  }

  parse(): ParseResult<Corefile> {
    const lexed = tokenizeCorefile(this.file.text);
    if (lexed.unclosedQuoteLine !== undefined) this.error(lexed.unclosedQuoteLine, 'a quoted string opened here is never closed');
    const raw: Token[] = lexed.tokens.map((t) => ({ ...t, row: String(t.line) }));
    const corefile: Corefile = { servers: [], snippets: [], envReferences: [] };
    for (const token of raw) {
      for (const match of token.text.matchAll(/\{\$([A-Za-z0-9_]+)\}|\{%([A-Za-z0-9_]+)%\}/g)) {
        corefile.envReferences.push({ name: match[1] ?? match[2]!, line: token.line });
      }
    }
    this.tokens = this.expandImports(this.collectSnippets(raw), 0);
    corefile.snippets = [...this.snippets.values()].map(({ name, line }) => ({ name, line }));
    this.readServers(corefile);
    this.checkDuplicateServers(corefile.servers);
    return { value: corefile, issues: this.sink.finish() };
  }

  private error(line: number, message: string): void {
    this.sink.add('BAD_LINE', line, message, { text: this.file.lineText(line).trim() });
  }

  private warn(line: number, message: string, code: 'BAD_LINE' | 'UNKNOWN_DIRECTIVE' | 'UNSUPPORTED_FEATURE' = 'BAD_LINE'): void {
    this.sink.add(code, line, message, { text: this.file.lineText(line).trim(), severity: 'warning' });
  }

  private newLine(tokens: Token[], i: number): boolean {
    return i === 0 || tokens[i]!.row !== tokens[i - 1]!.row;
  }

  /** Index of the `}` closing the `{` at `open`, or -1. */
  private closing(tokens: Token[], open: number): number {
    let depth = 0;
    for (let i = open; i < tokens.length; i++) {
      const text = tokens[i]!.quoted ? '' : tokens[i]!.text;
      if (text === '{') depth++;
      else if (text === '}' && --depth === 0) return i;
    }
    return -1;
  }

  /** Takes `(name) { ... }` definitions out of the stream. */
  private collectSnippets(tokens: Token[]): Token[] {
    const kept: Token[] = [];
    let depth = 0;
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i]!;
      const name = /^\((.+)\)$/.exec(token.text)?.[1];
      if (depth === 0 && name !== undefined && this.newLine(tokens, i) && tokens[i + 1]?.text === '{') {
        const close = this.closing(tokens, i + 1);
        if (close < 0) this.error(token.line, `snippet (${name}) is never closed`);
        const end = close < 0 ? tokens.length : close;
        if (this.snippets.has(name)) this.error(token.line, `snippet (${name}) is defined twice`);
        this.snippets.set(name, { name, line: token.line, tokens: tokens.slice(i + 2, end) });
        i = end;
        continue;
      }
      if (!token.quoted && token.text === '{') depth++;
      else if (!token.quoted && token.text === '}') depth = Math.max(0, depth - 1);
      kept.push(token);
    }
    return kept;
  }

  /** Replaces `import <snippet>` lines by the snippet's tokens. */
  private expandImports(tokens: Token[], depth: number): Token[] {
    const out: Token[] = [];
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i]!;
      if (token.text !== 'import' || token.quoted || !this.newLine(tokens, i)) {
        out.push(token);
        continue;
      }
      const args: Token[] = [];
      while (i + 1 < tokens.length && !this.newLine(tokens, i + 1)) args.push(tokens[++i]!);
      const snippet = args[0] ? this.snippets.get(args[0].text) : undefined;
      if (!snippet) {
        if (args.length === 0) this.error(token.line, '`import` without a snippet or file name');
        else this.warn(token.line, `import ${args[0]!.text}: no snippet of that name; importing files is not followed by netdump`, 'UNSUPPORTED_FEATURE');
        out.push(token, ...args);
        continue;
      }
      if (depth >= MAX_IMPORT_DEPTH) {
        this.error(token.line, `import ${snippet.name}: snippets import each other in a loop`);
        continue;
      }
      if (snippet.line > token.line && depth === 0) {
        this.warn(token.line, `snippet (${snippet.name}) is defined after its import at line ${snippet.line}: CoreDNS needs it defined first`);
      }
      const instance = ++this.imports;
      const pasted = this.expandImports(snippet.tokens, depth + 1).map((t) => ({ ...t, row: `${instance}/${t.row}`, importedAt: t.importedAt ?? token.line }));
      out.push(...pasted);
    }
    return out;
  }

  private readServers(corefile: Corefile): void {
    const tokens = this.tokens;
    let i = 0;
    while (i < tokens.length) {
      const token = tokens[i]!;
      if (token.text === '}' && !token.quoted) {
        this.error(token.line, 'unexpected `}`: no block is open here');
        i++;
        continue;
      }
      if (token.text === '{' && !token.quoted) {
        this.error(token.line, '`{` without server addresses before it on the line');
        const close = this.closing(tokens, i);
        i = close < 0 ? tokens.length : close + 1;
        continue;
      }

      const keys: Token[] = [];
      let j = i;
      let expectingAnother = false;
      let brace = -1;
      while (j < tokens.length) {
        const t = tokens[j]!;
        if (t.text === '{' && !t.quoted) {
          brace = j;
          break;
        }
        if (j > i && !expectingAnother && this.newLine(tokens, j)) break;
        expectingAnother = t.text.endsWith(',');
        const text = expectingAnother ? t.text.slice(0, -1) : t.text;
        if (text !== '') keys.push({ ...t, text });
        j++;
      }

      const first = keys[0] ?? token;
      if (COREDNS_PLUGINS.has(first.text) || first.text in REMOVED_PLUGINS) {
        this.error(first.line, `plugin \`${first.text}\` outside a server block`);
        if (brace >= 0) {
          const close = this.closing(tokens, brace);
          i = close < 0 ? tokens.length : close + 1;
        } else {
          i = j;
        }
        continue;
      }

      const server: CorefileServer = { line: first.line, endLine: first.line, addresses: this.addresses(keys), directives: [], plugins: [] };
      if (brace >= 0) {
        const block = this.readBlock(brace + 1, 'server');
        if (block.close < 0) this.error(tokens[brace]!.line, 'server block opened here is never closed');
        server.directives = block.directives;
        server.endLine = block.close < 0 ? this.lastLine() : tokens[block.close]!.line;
        i = block.close < 0 ? tokens.length : block.close + 1;
      } else if (corefile.servers.length === 0) {
        // The one server block of a file may go without braces: it runs to the end.
        server.directives = this.readBlock(j, 'rest').directives;
        server.endLine = this.lastLine();
        i = tokens.length;
      } else {
        this.error(first.line, `server block \`${keys.map((k) => k.text).join(' ')}\` has no \`{\``);
        i = j;
        continue;
      }
      this.readPlugins(server);
      corefile.servers.push(server);
    }
  }

  private lastLine(): number {
    return this.tokens.length > 0 ? this.tokens[this.tokens.length - 1]!.line : 1;
  }

  private addresses(keys: Token[]): ServerAddress[] {
    const addresses: ServerAddress[] = [];
    for (const key of keys) {
      const address = this.serverAddress(key);
      if (address) addresses.push(address);
    }
    return addresses;
  }

  /** `[scheme://]zone[:port]`, the zone possibly a CIDR. */
  private serverAddress(key: Token): ServerAddress | undefined {
    const raw = key.text;
    const schemeMatch = /^([a-z][a-z0-9]*):\/\/(.*)$/i.exec(raw);
    const scheme = schemeMatch ? schemeMatch[1]!.toLowerCase() : 'dns';
    const rest = schemeMatch ? schemeMatch[2]! : raw;
    if (!(scheme in DEFAULT_PORTS)) this.error(key.line, `server address ${raw}: unknown transport ${scheme}://`);
    let zoneText = rest;
    let portText: string | undefined;
    const cidr = /^(.*\/\d+)(?::(\d*))?$/.exec(rest);
    if (cidr) {
      zoneText = cidr[1]!;
      portText = cidr[2];
    } else if (rest.startsWith('[')) {
      const close = rest.indexOf(']');
      zoneText = rest.slice(1, close < 0 ? undefined : close);
      const after = close < 0 ? '' : rest.slice(close + 1);
      if (after.startsWith(':')) portText = after.slice(1);
    } else {
      const colon = rest.lastIndexOf(':');
      if (colon >= 0 && rest.indexOf(':') === colon) {
        zoneText = rest.slice(0, colon);
        portText = rest.slice(colon + 1);
      }
    }
    let port = DEFAULT_PORTS[scheme] ?? 53;
    if (portText !== undefined) {
      if (!/^\d+$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
        this.error(key.line, `server address ${raw}: \`${portText}\` is not a port`);
        return undefined;
      }
      port = Number(portText);
    }
    const zone = /\{\$|\{%/.test(zoneText) ? { ok: true as const, zone: zoneText } : normalizeZone(zoneText);
    if (!zone.ok) {
      this.error(key.line, `server address ${raw}: ${zone.reason}`);
      return undefined;
    }
    return { raw, scheme, zone: zone.zone, port, line: key.line };
  }

  /**
   * Directives from `start` up to the `}` that closes the block, as Caddy reads them: a
   * server block closes only at a `}` starting a line; a plugin's nested block closes at its
   * matching `}` wherever it stands. `close` is the index of that `}`, -1 at the end of input.
   */
  private readBlock(start: number, mode: 'server' | 'nested' | 'rest'): { directives: CorefileDirective[]; close: number } {
    const tokens = this.tokens;
    const directives: CorefileDirective[] = [];
    let k = start;
    while (k < tokens.length) {
      const token = tokens[k]!;
      if (!token.quoted && token.text === '}') {
        if (mode !== 'rest') return { directives, close: k };
        this.error(token.line, 'unexpected `}`: no block is open here');
        k++;
        continue;
      }
      if (!token.quoted && token.text === '{') {
        this.error(token.line, '`{` must be on the same line as the plugin it belongs to');
        const close = this.closing(tokens, k);
        k = close < 0 ? tokens.length : close + 1;
        continue;
      }
      const directive: CorefileDirective = { name: token.text, args: [], line: token.line };
      if (token.importedAt !== undefined) directive.importedAt = token.importedAt;
      directives.push(directive);
      k++;
      while (k < tokens.length && !this.newLine(tokens, k)) {
        const t = tokens[k]!;
        if (!t.quoted && t.text === '{') {
          const block = this.readBlock(k + 1, 'nested');
          if (block.close < 0) this.error(t.line, `block of \`${directive.name}\` opened here is never closed`);
          directive.block = [...(directive.block ?? []), ...block.directives];
          k = block.close < 0 ? tokens.length : block.close + 1;
          continue;
        }
        if (!t.quoted && t.text === '}') {
          if (mode === 'nested') return { directives, close: k };
          this.error(t.line, 'unexpected `}` on a plugin line: no block is open here');
          k++;
          continue;
        }
        directive.args.push(t.text);
        k++;
      }
    }
    return { directives, close: -1 };
  }

  private readPlugins(server: CorefileServer): void {
    const zones = server.addresses.map((a) => a.zone);
    const seen = new Map<string, number>();
    const report = {
      error: (line: number, message: string) => this.error(line, message),
      warn: (line: number, message: string) => this.warn(line, message),
    };
    for (const directive of server.directives) {
      const name = directive.name;
      if (name === 'import') {
        server.plugins.push({ kind: 'other', name, directive });
        continue;
      }
      if (name in REMOVED_PLUGINS) this.warn(directive.line, REMOVED_PLUGINS[name]!, 'UNKNOWN_DIRECTIVE');
      else if (!COREDNS_PLUGINS.has(name)) {
        this.warn(
          directive.line,
          `\`${name}\` is not a plugin of the standard CoreDNS build: CoreDNS refuses to start ("Unknown directive") unless built with it`,
          'UNKNOWN_DIRECTIVE',
        );
      }
      const earlier = seen.get(name);
      if (earlier !== undefined && ONCE_PER_BLOCK.has(name)) {
        this.warn(directive.line, `\`${name}\` appears twice in this server block (first at line ${earlier}): CoreDNS accepts it once per block`);
      }
      if (earlier === undefined) seen.set(name, directive.line);
      server.plugins.push(readPlugin(directive, zones, report));
    }
  }

  /** CoreDNS cannot serve one zone on one port from two server blocks. */
  private checkDuplicateServers(servers: CorefileServer[]): void {
    const seen = new Map<string, number>();
    for (const server of servers) {
      for (const address of server.addresses) {
        const key = `${address.scheme}://${address.zone}:${address.port}`;
        const earlier = seen.get(key);
        if (earlier !== undefined) {
          this.error(address.line, `zone ${address.zone} on port ${address.port} is already served by the block at line ${earlier} (CoreDNS refuses this unless the blocks bind different addresses)`);
        } else {
          seen.set(key, address.line);
        }
      }
    }
  }
}
