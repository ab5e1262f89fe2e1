import { describe, expect, it } from 'vitest';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import type { CachePlugin, CorefilePlugin, ForwardPlugin, HostsPlugin, KubernetesPlugin, RewritePlugin, TemplatePlugin } from '../../analyzer/dns/corefile-types.js';
import { parseCorefile } from '../../analyzer/dns/parse-corefile.js';
import { tokenizeCorefile } from '../../analyzer/dns/tokenize-corefile.js';
import { lineWith, sampleSection, samplesAvailable, SKIP_MESSAGE } from './dns-samples.js';

const parse = (text: string) => parseCorefile(new SourceFile('Corefile', text));
const plugin = <K extends CorefilePlugin['kind']>(plugins: CorefilePlugin[], kind: K) =>
  plugins.find((p) => p.kind === kind) as CorefilePlugin & { kind: K };

/** kubeadm's Corefile (cmd/kubeadm/app/phases/addons/dns/manifests.go). */
const KUBEADM = `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
`;

describe('tokenizeCorefile', () => {
  it('splits on whitespace, keeps quoted strings and drops comments', () => {
    const { tokens } = tokenizeCorefile('example.org {\n  template IN A {\n    answer "{{ .Name }} 60 IN A 10.0.0.1" # inline\n  }#x\n}\nfoo#bar baz\n');
    expect(tokens.map((t) => `${t.line}:${t.text}`)).toEqual([
      '1:example.org',
      '1:{',
      '2:template',
      '2:IN',
      '2:A',
      '2:{',
      '3:answer',
      '3:{{ .Name }} 60 IN A 10.0.0.1',
      '4:}',
      '5:}',
      '6:foo',
    ]);
  });

  it('reports a quote left open', () => {
    expect(tokenizeCorefile('.:53 {\n  log "oops\n}\n').unclosedQuoteLine).toBe(2);
  });
});

describe('parseCorefile', () => {
  it("reads kubeadm's Corefile: one server, its plugins in order, lines kept", () => {
    const { value, issues } = parse(KUBEADM);
    expect(issues).toEqual([]);
    expect(value.servers).toHaveLength(1);
    const server = value.servers[0]!;
    expect(server).toMatchObject({ line: 1, endLine: 20 });
    expect(server.addresses).toEqual([{ raw: '.:53', scheme: 'dns', zone: '.', port: 53, line: 1 }]);
    expect(server.directives.map((d) => `${d.line}:${d.name}`)).toEqual([
      '2:errors',
      '3:health',
      '6:ready',
      '7:kubernetes',
      '12:prometheus',
      '13:forward',
      '16:cache',
      '17:loop',
      '18:reload',
      '19:loadbalance',
    ]);
    const kubernetes = plugin(server.plugins, 'kubernetes') as KubernetesPlugin;
    expect(kubernetes).toMatchObject({
      zones: ['cluster.local.', 'in-addr.arpa.', 'ip6.arpa.'],
      pods: 'insecure',
      podsLine: 8,
      fallthrough: { zones: ['in-addr.arpa.', 'ip6.arpa.'], line: 9 },
      ttl: 30,
    });
    const forward = plugin(server.plugins, 'forward') as ForwardPlugin;
    expect(forward).toMatchObject({ from: '.', targets: [{ kind: 'file', path: '/etc/resolv.conf' }], maxConcurrent: 1000, policy: 'random' });
    expect(plugin(server.plugins, 'health')).toMatchObject({ lameduck: '5s' });
    expect((plugin(server.plugins, 'cache') as CachePlugin).ttl).toBe(30);
    expect(plugin(server.plugins, 'prometheus')).toMatchObject({ addresses: [':9153'] });
  });

  it('reads stub domains, ports, schemes and reverse CIDR zones', () => {
    const text = [
      '.:53 {',
      '    forward . 8.8.8.8 tls://1.1.1.1 [2606:4700:4700::1111]:5353 {',
      '        except consul.local corp.example.com',
      '        policy sequential',
      '        health_check 5s',
      '        force_tcp',
      '    }',
      '}',
      'consul.local:53 {',
      '    errors',
      '    cache 30',
      '    forward . 10.150.0.1',
      '}',
      'tls://example.com:853 dns://10.0.0.0/24:1053 {',
      '    whoami',
      '}',
    ].join('\n');
    const { value, issues } = parse(text);
    expect(issues).toEqual([]);
    expect(value.servers.map((s) => s.addresses.map((a) => `${a.scheme}://${a.zone}:${a.port}`))).toEqual([
      ['dns://.:53'],
      ['dns://consul.local.:53'],
      ['tls://example.com.:853', 'dns://0.0.10.in-addr.arpa.:1053'],
    ]);
    const forward = plugin(value.servers[0]!.plugins, 'forward') as ForwardPlugin;
    expect(forward.targets).toEqual([
      { kind: 'address', scheme: 'dns', host: '8.8.8.8', port: 53, raw: '8.8.8.8' },
      { kind: 'address', scheme: 'tls', host: '1.1.1.1', port: 853, raw: 'tls://1.1.1.1' },
      { kind: 'address', scheme: 'dns', host: '2606:4700:4700::1111', port: 5353, raw: '[2606:4700:4700::1111]:5353' },
    ]);
    expect(forward).toMatchObject({ except: ['consul.local.', 'corp.example.com.'], policy: 'sequential', healthCheck: '5s', forceTcp: true });
  });

  it('reads hosts with inline entries, rewrite, template and cache tiers', () => {
    const text = [
      '.:53 {',
      '    hosts /etc/coredns/customdomains.db example.org {',
      '        10.0.0.1 example.org www.example.org',
      '        fd00::1 v6.example.org',
      '        ttl 60',
      '        fallthrough',
      '    }',
      '    rewrite stop name regex (.*)\\.corp\\.internal {1}.default.svc.cluster.local answer auto',
      '    rewrite name exact foo.example.com foo.default.svc.cluster.local',
      '    template IN AAAA example.net {',
      '        rcode NXDOMAIN',
      '    }',
      '    cache 3600 example.org {',
      '        success 9984 30 5',
      '        denial 9984 5',
      '        prefetch 10 1m 10%',
      '        serve_stale 1h',
      '    }',
      '}',
    ].join('\n');
    const { value, issues } = parse(text);
    expect(issues).toEqual([]);
    const plugins = value.servers[0]!.plugins;
    const hosts = plugin(plugins, 'hosts') as HostsPlugin;
    expect(hosts).toMatchObject({ file: '/etc/coredns/customdomains.db', zones: ['example.org.'], ttl: 60, fallthrough: { zones: [], line: 6 } });
    expect(hosts.entries).toEqual([
      { address: '10.0.0.1', names: ['example.org', 'www.example.org'], line: 3 },
      { address: 'fd00::1', names: ['v6.example.org'], line: 4 },
    ]);
    const rewrites = plugins.filter((p): p is RewritePlugin => p.kind === 'rewrite');
    expect(rewrites.map((r) => [r.mode, r.field, r.match, r.from, r.to, r.answer])).toEqual([
      ['stop', 'name', 'regex', '(.*)\\.corp\\.internal', '{1}.default.svc.cluster.local', [['auto']]],
      ['stop', 'name', 'exact', 'foo.example.com', 'foo.default.svc.cluster.local', []],
    ]);
    expect(plugin(plugins, 'template') as TemplatePlugin).toMatchObject({ class: 'IN', type: 'AAAA', zones: ['example.net.'], rcode: 'NXDOMAIN' });
    expect(plugin(plugins, 'cache') as CachePlugin).toMatchObject({
      ttl: 3600,
      zones: ['example.org.'],
      success: { capacity: 9984, ttl: 30, minTtl: 5, line: 14 },
      denial: { capacity: 9984, ttl: 5, line: 15 },
      prefetch: ['10', '1m', '10%'],
      serveStale: ['1h'],
    });
  });

  it('pastes snippets where they are imported and keeps env references raw', () => {
    const text = ['(common) {', '    errors', '    cache {$CACHE_TTL}', '}', '.:53 {', '    import common', '    kubernetes {$CLUSTER_DOMAIN}', '}'].join('\n');
    const { value, issues } = parse(text);
    expect(issues).toEqual([]);
    expect(value.snippets).toEqual([{ name: 'common', line: 1 }]);
    expect(value.servers[0]!.directives.map((d) => [d.name, d.args, d.line, d.importedAt])).toEqual([
      ['errors', [], 2, 6],
      ['cache', ['{$CACHE_TTL}'], 3, 6],
      ['kubernetes', ['{$CLUSTER_DOMAIN}'], 7, undefined],
    ]);
    expect(plugin(value.servers[0]!.plugins, 'kubernetes').zones).toEqual(['{$CLUSTER_DOMAIN}']);
    expect(value.envReferences).toEqual([
      { name: 'CACHE_TTL', line: 3 },
      { name: 'CLUSTER_DOMAIN', line: 7 },
    ]);
  });

  it('closes a nested block on the same line and gives kubernetes the server zones by default', () => {
    const { value, issues } = parse('cluster.local:53 {\n    health { lameduck 5s }\n    kubernetes\n}\n');
    expect(issues).toEqual([]);
    const plugins = value.servers[0]!.plugins;
    expect(plugin(plugins, 'health')).toMatchObject({ lameduck: '5s' });
    expect(plugin(plugins, 'kubernetes')).toMatchObject({ zones: ['cluster.local.'], pods: 'disabled', ttl: 5 });
  });

  it('accepts a single server block without braces', () => {
    const { value, issues } = parse('.\nwhoami\nlog\n');
    expect(issues).toEqual([]);
    expect(value.servers[0]!.directives.map((d) => d.name)).toEqual(['whoami', 'log']);
    expect(value.servers[0]!.endLine).toBe(3);
  });

  it('reports syntax errors at their line and keeps what it could read', () => {
    const text = [
      '.:53 {',
      '    errors',
      '    forward . 8.8.8.8',
      '    {',
      '        max_concurrent 1000',
      '    }',
      '    cache 30 }',
      '}',
      '}',
      '    log',
      'cluster.local:53 {',
      '    kubernetes {',
      '        pods everything',
      '        ttl 99999',
      '    }',
    ].join('\n');
    const { value, issues } = parse(text);
    expect(issues.map((i) => [i.line, i.severity ?? 'error', i.message])).toEqual([
      [4, 'error', '`{` must be on the same line as the plugin it belongs to'],
      [7, 'error', 'unexpected `}` on a plugin line: no block is open here'],
      [9, 'error', 'unexpected `}`: no block is open here'],
      [10, 'error', 'plugin `log` outside a server block'],
      [11, 'error', 'server block opened here is never closed'],
      [13, 'error', 'kubernetes: pods must be disabled, insecure or verified, not `everything`'],
      [14, 'error', 'ttl: `99999` is not a number from 0 to 3600'],
    ]);
    expect(value.servers.map((s) => s.directives.map((d) => d.name))).toEqual([['errors', 'forward', 'cache'], ['kubernetes']]);
    expect(value.servers[1]!.endLine).toBe(15);
    expect(issues.every((i) => i.file === 'Corefile' && i.text !== undefined)).toBe(true);
  });

  it('warns about plugins a current CoreDNS does not have and duplicates', () => {
    const text = ['.:53 {', '    proxy . /etc/resolv.conf', '    fanout . 10.0.0.1 10.0.0.2', '    cache 30', '    cache 60', '}', '.:53 {', '    whoami', '}'].join('\n');
    const { value, issues } = parse(text);
    expect(issues.map((i) => [i.line, i.severity ?? 'error', i.code])).toEqual([
      [2, 'warning', 'UNKNOWN_DIRECTIVE'],
      [3, 'warning', 'UNKNOWN_DIRECTIVE'],
      [5, 'warning', 'BAD_LINE'],
      [7, 'error', 'BAD_LINE'],
    ]);
    expect(issues[0]!.message).toMatch(/proxy plugin left CoreDNS in 1\.6/);
    expect(issues[3]!.message).toMatch(/zone \. on port 53 is already served by the block at line 1/);
    expect(value.servers[0]!.plugins[0]).toMatchObject({ kind: 'proxy', targets: [{ kind: 'file', path: '/etc/resolv.conf' }] });
  });

  it('rejects forward targets that are neither IP addresses nor files', () => {
    const { value, issues } = parse('.:53 {\n    forward . dns.google 8.8.8.8:99999 https://1.1.1.1/dns-query\n}\n');
    expect(issues.map((i) => i.message)).toEqual([
      'forward: `dns.google` is not an IP address or a file',
      'forward: `8.8.8.8:99999`: bad port',
      'forward: `https://1.1.1.1/dns-query`: unsupported transport',
    ]);
    expect((plugin(value.servers[0]!.plugins, 'forward') as ForwardPlugin).targets).toEqual([]);
  });
});

describe.skipIf(!samplesAvailable)(`parseCorefile on shared samples${SKIP_MESSAGE}`, () => {
  it('reads the rendered coredns/deployment Corefile', () => {
    const file = sampleSection('coredns-corefile.txt', 1);
    const { value, issues } = parseCorefile(file);
    expect(issues).toEqual([]);
    const server = value.servers[0]!;
    expect(server.line).toBe(lineWith(file, '.:53 {'));
    expect(server.plugins.map((p) => p.directive.name)).toEqual([
      'errors',
      'health',
      'ready',
      'kubernetes',
      'prometheus',
      'forward',
      'cache',
      'loop',
      'reload',
      'loadbalance',
    ]);
    expect(plugin(server.plugins, 'kubernetes')).toMatchObject({ pods: 'disabled', zones: ['cluster.local.', 'in-addr.arpa.', 'ip6.arpa.'] });
    expect(plugin(server.plugins, 'forward').directive.line).toBe(lineWith(file, 'forward . /etc/resolv.conf {'));
  });

  it('reads the CoreDNS 1.2 Corefile with proxy and upstream, and says what is obsolete', () => {
    const file = sampleSection('coredns-corefile.txt', 2);
    const { value, issues } = parseCorefile(file);
    expect(issues.map((i) => [i.line, i.severity])).toEqual([
      [lineWith(file, 'upstream'), 'warning'],
      [lineWith(file, 'proxy . /etc/resolv.conf'), 'warning'],
    ]);
    expect(plugin(value.servers[0]!.plugins, 'kubernetes')).toMatchObject({ zones: ['cluster.local.', 'in-addr.arpa.', 'ip6.arpa.'], pods: 'insecure' });
  });

  it('reads the non-Kubernetes Corefile with hosts, bind and a sequential forward', () => {
    const file = sampleSection('coredns-corefile.txt', 3);
    const { value, issues } = parseCorefile(file);
    expect(issues).toEqual([]);
    const plugins = value.servers[0]!.plugins;
    expect(plugins.filter((p) => p.kind === 'bind').map((p) => (p as { addresses: string[] }).addresses)).toEqual([['127.0.0.1'], ['10.64.8.3']]);
    expect(plugin(plugins, 'forward')).toMatchObject({ policy: 'sequential', maxFails: 3, expire: '5s', healthCheck: '5s', forceTcp: false });
    expect(plugin(plugins, 'hosts')).toMatchObject({ fallthrough: { zones: [] }, entries: [] });
  });

  it('reports the unrendered template: a placeholder upstream and a brace glued to STUBDOMAINS', () => {
    // The ConfigMap data of the template: what follows `Corefile: |`.
    const section = sampleSection('coredns-corefile.txt', 0);
    const file = new SourceFile(section.path, section.text.replace('Corefile: |', ''));
    const { issues } = parseCorefile(file);
    const messages = issues.map((i) => `${i.line}: ${i.message}`);
    expect(messages).toContain(`${lineWith(file, 'forward . UPSTREAMNAMESERVER')}: forward: \`UPSTREAMNAMESERVER\` is not an IP address or a file`);
    expect(messages).toContain(`${lineWith(file, '.:53 {')}: server block opened here is never closed`);
  });
});
