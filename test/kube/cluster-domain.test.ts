import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { clusterDomainFromCorefile } from '../../analyzer/kube/cluster-domain.js';

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

describe('clusterDomainFromCorefile', () => {
  it('reads the zone of the kubernetes plugin', () => {
    expect(clusterDomainFromCorefile(KUBEADM)).toBe('cluster.local');
    expect(clusterDomainFromCorefile(KUBEADM.replace(/\n/g, '\r\n'))).toBe('cluster.local');
  });

  it('drops the trailing dot and skips reverse zones written first', () => {
    expect(clusterDomainFromCorefile('.:53 {\n    kubernetes cluster.local. in-addr.arpa ip6.arpa {\n      pods insecure\n    }\n}\n')).toBe('cluster.local');
    expect(clusterDomainFromCorefile('.:53 {\n    kubernetes in-addr.arpa ip6.arpa corp.internal {\n    }\n}\n')).toBe('corp.internal');
    expect(clusterDomainFromCorefile('.:53 {\n    kubernetes prod.example{\n    }\n}\n')).toBe('prod.example');
  });

  it('ignores comments and Corefiles without the kubernetes plugin', () => {
    expect(clusterDomainFromCorefile('.:53 {\n    # kubernetes old.local\n    kubernetes new.local\n}\n')).toBe('new.local');
    expect(clusterDomainFromCorefile('. {\n  hosts {\n    fallthrough\n  }\n  forward . 114.114.114.114\n}\n')).toBeUndefined();
    expect(clusterDomainFromCorefile('.:53 {\n    kubernetes {\n      endpoint https://10.0.0.1:6443\n    }\n}\n')).toBeUndefined();
  });

  it('reads the rendered Corefiles of the shared samples', (context) => {
    const sample = '../shared/samples/coredns-corefile.txt';
    if (!existsSync(sample)) {
      context.skip(`${sample} is not there (the shared samples are outside the project)`);
      return;
    }
    const text = readFileSync(sample, 'utf8');
    const rendered = text.slice(text.indexOf('# ---- rendered'));
    const older = rendered.slice(rendered.indexOf('# ---- older'));
    expect(clusterDomainFromCorefile(rendered)).toBe('cluster.local');
    expect(clusterDomainFromCorefile(older)).toBe('cluster.local');
  });
});
