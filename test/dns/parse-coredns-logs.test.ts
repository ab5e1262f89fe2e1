import { describe, expect, it } from 'vitest';
import { SourceFile } from '../../analyzer/bundle/source-file.js';
import { parseCorednsLogs } from '../../analyzer/dns/parse-coredns-logs.js';

const parse = (text: string) => parseCorednsLogs(new SourceFile('logs/kube-system/coredns-5d78c9869d-8kq2p/coredns.log', text)).value;

describe('parseCorednsLogs', () => {
  it('reads a crash-looping CoreDNS that detected a forwarding loop', () => {
    const logs = parse(
      [
        '.:53',
        '[INFO] plugin/reload: Running configuration SHA512 = 591cf328cccc12bc490481273e738df59329c62c0b729d94e8b61db9961c2fa5f046dd37f1cf888b953814040d180f52594972691cd6ff41be96639138a43908',
        'CoreDNS-1.10.1',
        'linux/amd64, go1.20, 055b2c3',
        '[FATAL] plugin/loop: Loop (127.0.0.1:55953 -> :53) detected for zone ".", see https://coredns.io/plugins/loop#troubleshooting. Query: "HINFO 4547991504243258144.3688648895315093531."',
      ].join('\n'),
    );
    expect(logs.events.map((e) => [e.line, e.kind])).toEqual([
      [2, 'reload'],
      [3, 'startup'],
      [5, 'loop-detected'],
    ]);
    expect(logs.events[1]!.version).toBe('1.10.1');
    expect(logs.events[2]).toMatchObject({ level: 'FATAL', plugin: 'loop', loop: { from: '127.0.0.1:55953', to: ':53', zone: '.' } });
    expect(logs.counts).toEqual({ reload: 1, startup: 1, 'loop-detected': 1 });
    expect(logs.lines).toBe(5);
  });

  it('reads upstream failures from the errors plugin, with their upstream and cause', () => {
    const logs = parse(
      [
        '2026-11-26T09:15:01.120553Z [ERROR] plugin/errors: 2 api.example.com. A: read udp 10.244.0.5:40514->8.8.8.8:53: i/o timeout',
        '[ERROR] plugin/errors: 2 api.example.com. AAAA: dial tcp 10.96.0.10:53: connect: connection refused',
        '[ERROR] plugin/errors: 2 6218478920141389523.2340897145382154071. HINFO: read udp 10.244.0.5:35090->10.0.0.2:53: i/o timeout',
        '[ERROR] plugin/errors: 2 www.example.org. A: no healthy proxies',
        '[ERROR] plugin/errors: 2 broken.example. A: dns: overflowing header size',
      ].join('\n'),
    );
    expect(logs.events.map((e) => [e.kind, e.query?.name, e.query?.type, e.failure?.upstream, e.failure?.cause])).toEqual([
      ['upstream-error', 'api.example.com.', 'A', '8.8.8.8:53', 'timeout'],
      ['upstream-error', 'api.example.com.', 'AAAA', '10.96.0.10:53', 'connection-refused'],
      ['upstream-error', '6218478920141389523.2340897145382154071.', 'HINFO', '10.0.0.2:53', 'timeout'],
      ['upstream-error', 'www.example.org.', 'A', undefined, 'no-healthy-upstream'],
      ['query-error', 'broken.example.', 'A', undefined, 'other'],
    ]);
    expect(logs.events[0]).toMatchObject({ timestamp: '2026-11-26T09:15:01.120553Z', failure: { rcode: 2 } });
    expect(logs.events[2]!.loopProbe).toBe(true);
    expect(logs.events[0]!.loopProbe).toBeUndefined();
  });

  it('reads log plugin query lines, SERVFAIL included', () => {
    const logs = parse(
      [
        '[INFO] 10.244.0.1:41185 - 28532 "AAAA IN kubernetes.default.svc.cluster.local. udp 54 false 512" NOERROR qr,aa,rd 147 0.000141491s',
        '[INFO] 10.244.1.7:50262 - 1419 "A IN api.example.com.shop.svc.cluster.local. udp 56 false 512" NXDOMAIN qr,aa,rd 149 0.000093s',
        '[INFO] 10.244.1.7:39922 - 6071 "A IN api.example.com. udp 33 false 512" SERVFAIL qr,rd 33 5.002384261s',
      ].join('\n'),
    );
    expect(logs.events.map((e) => [e.kind, e.query?.name, e.query?.rcode, e.query?.durationSeconds])).toEqual([
      ['query', 'kubernetes.default.svc.cluster.local.', 'NOERROR', 0.000141491],
      ['query', 'api.example.com.shop.svc.cluster.local.', 'NXDOMAIN', 0.000093],
      ['query', 'api.example.com.', 'SERVFAIL', 5.002384261],
    ]);
    expect(logs.events[2]!.query).toMatchObject({ client: '10.244.1.7:39922', type: 'A', proto: 'udp', flags: 'qr,rd' });
  });

  it('reads Kubernetes API trouble, readiness, lameduck, shutdown and Corefile errors', () => {
    const logs = parse(
      [
        '[INFO] plugin/kubernetes: waiting for Kubernetes API before starting server',
        '[ERROR] plugin/kubernetes: pkg/mod/k8s.io/client-go@v0.27.4/tools/cache/reflector.go:231: Failed to watch *v1.Namespace: failed to list *v1.Namespace: Get "https://10.96.0.1:443/api/v1/namespaces?limit=500&resourceVersion=0": dial tcp 10.96.0.1:443: connect: connection refused',
        'E1126 09:14:02.123456       1 reflector.go:138] pkg/mod/k8s.io/client-go@v0.20.2/tools/cache/reflector.go:167: Failed to watch *v1.EndpointSlice: failed to list *v1.EndpointSlice: Get "https://10.96.0.1:443/apis/discovery.k8s.io/v1/endpointslices?limit=500&resourceVersion=0": dial tcp 10.96.0.1:443: i/o timeout',
        '[INFO] plugin/ready: Still waiting on: "kubernetes"',
        '[WARNING] plugin/health: Local health request to "http://:8080/health" failed: context deadline exceeded',
        '[INFO] SIGTERM: Shutting down servers then terminating',
        '[INFO] plugin/health: Going into lameduck mode for 5s',
        '/etc/coredns/Corefile:20 - Error during parsing: Unknown directive \'proxy\'',
        '[WARNING] No files matching import glob pattern: custom/*.override',
      ].join('\n'),
    );
    expect(logs.events.map((e) => [e.line, e.kind, e.level])).toEqual([
      [1, 'kubernetes-api-waiting', 'INFO'],
      [2, 'kubernetes-api-error', 'ERROR'],
      [3, 'kubernetes-api-error', 'ERROR'],
      [4, 'not-ready', 'INFO'],
      [5, 'health-failure', 'WARNING'],
      [6, 'shutdown', 'INFO'],
      [7, 'lameduck', 'INFO'],
      [8, 'config-error', undefined],
      [9, 'other', 'WARNING'],
    ]);
    expect(logs.events[2]!.timestamp).toBe('1126 09:14:02.123456');
    expect(logs.events[7]!.corefileLine).toBe(20);
  });

  it('reads NodeLocal DNSCache (node-cache) start-up and its iptables failures', () => {
    const logs = parse(
      [
        '2026/11/26 09:12:47 [INFO] Starting node-cache image: 1.22.20',
        '2026/11/26 09:12:47 [INFO] Using Corefile /etc/Corefile',
        '2026/11/26 09:12:47 [ERROR] Error checking/adding iptables rule {raw PREROUTING [-p udp -d 169.254.20.10 --dport 53 -j NOTRACK -m comment --comment NodeLocal DNS Cache: skip conntrack]}, due to - error checking rule: exit status 2: iptables v1.8.4 (legacy): Couldn\'t load target `NOTRACK\'',
        '[ERROR] plugin/errors: 2 api.example.com. A: read tcp 169.254.20.10:41874->10.96.0.10:53: i/o timeout',
      ].join('\n'),
    );
    expect(logs.events.map((e) => [e.kind, e.timestamp])).toEqual([
      ['startup', '2026/11/26 09:12:47'],
      ['nodelocal-setup-error', '2026/11/26 09:12:47'],
      ['upstream-error', undefined],
    ]);
    expect(logs.events[0]!.version).toBe('1.22.20');
    expect(logs.events[2]!.failure).toMatchObject({ upstream: '10.96.0.10:53', cause: 'timeout' });
  });

  it('skips plain lines and survives garbage', () => {
    const logs = parse('\n\u0000\u0001 binary junk\n[ERROR]\n[INFO] plugin/errors: not an errors line\nrandom text with [brackets]\n');
    expect(logs.events.map((e) => [e.line, e.kind])).toEqual([
      [3, 'other'],
      [4, 'query-error'],
    ]);
  });
});
