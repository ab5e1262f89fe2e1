import { describe, expect, it } from 'vitest';
import corednsUnavailable from '../../rules/coredns-unavailable.js';
import corefileProblem from '../../rules/corefile-problem.js';
import podNotReady from '../../rules/pod-not-ready.js';
import { corednsBanner, loopFatalLine } from '../../fixtures/dns-captures.mjs';
import { COREDNS_PODS, dnsClusterFiles, SYSTEMD_STUB_RESOLV_CONF } from '../dns/dns-cluster.js';
import { findLine, kubectlList, pod, service } from '../helpers/kube-objects.js';
import { ruleTester, runOnFiles } from '../helpers/rule-tester.js';

const [podA, podB] = COREDNS_PODS;
const loopLog = (probe: string) => `${[...corednsBanner(), loopFatalLine('127.0.0.1:55953', probe)].join('\n')}\n`;
const crashloop = dnsClusterFiles({
  corednsState: 'crashloop',
  files: {
    'nodes/node-a/resolv.conf': SYSTEMD_STUB_RESOLV_CONF,
    'nodes/node-b/resolv.conf': SYSTEMD_STUB_RESOLV_CONF,
    [`logs/kube-system/${podA.name}/coredns.log`]: loopLog('4547991504243258144.3688648895315093531.'),
    [`logs/kube-system/${podB.name}/coredns.log`]: loopLog('8278915425430155745.5385004262573224806.'),
  },
});
const services = crashloop['cluster/services.json']!;
const waitingLine = (files: Record<string, string>, pod: string) => findLine(files['cluster/pods.json']!, `"name": "${pod}"`, '"waiting"', '"reason": "CrashLoopBackOff"');
const readyLine = (files: Record<string, string>, ip: string) => findLine(files['cluster/endpointslices.json']!, `"${ip}"`, '"ready"');
const clusterIPLine = findLine(services, '"name": "kube-dns"', '"clusterIP": "10.96.0.10"');
const oneDown = dnsClusterFiles({ corednsState: 'one-crashloop' });
const noCoredns = dnsClusterFiles({ corednsState: 'absent' });

ruleTester(corednsUnavailable, {
  valid: [
    { name: 'two Ready CoreDNS pods behind kube-dns', files: dnsClusterFiles() },
    {
      name: 'a bundle cut down to one namespace: nothing of kube-system, so no verdict',
      files: {
        'cluster/services.json': kubectlList([service({ namespace: 'shop', name: 'cart', selector: { app: 'cart' } })]),
        'cluster/pods.json': kubectlList([pod({ namespace: 'shop', name: 'cart-7d9f8b6c5d-4hq8z', labels: { app: 'cart' }, ip: '10.244.1.16' })]),
        'cluster/endpointslices.json': kubectlList([]),
      },
      coverage: 'partial',
    },
  ],
  invalid: [
    {
      name: 'both CoreDNS pods crash-loop on a forwarding loop: kube-dns has no ready endpoint',
      files: crashloop,
      findings: [
        {
          subjects: ['Service/kube-system/kube-dns', 'Deployment/kube-system/coredns'],
          severity: 'critical',
          titleMatch: /^Cluster DNS is down: kube-dns has no ready endpoint \(2 of 2 CoreDNS pods not Ready\)$/,
          messageMatch: /CrashLoopBackOff, 17 restarts.*the Corefile is the cause: CoreDNS forwards to itself.*4 pods in 1 namespace resolve through kube-dns 10\.96\.0\.10: kube-proxy rejects/,
          evidence: [
            { file: 'cluster/services.json', line: clusterIPLine },
            { file: 'cluster/endpointslices.json', line: readyLine(crashloop, podA.ip) },
            { file: 'cluster/endpointslices.json', line: readyLine(crashloop, podB.ip) },
            { file: 'cluster/pods.json', line: waitingLine(crashloop, podA.name) },
            { file: 'cluster/pods.json', line: waitingLine(crashloop, podB.name) },
            { file: `logs/kube-system/${podA.name}/coredns.log`, line: 5 },
          ],
        },
      ],
    },
    {
      name: 'one of two CoreDNS pods is not Ready: degraded',
      files: oneDown,
      findings: [
        {
          subjects: ['Service/kube-system/kube-dns', 'Deployment/kube-system/coredns'],
          severity: 'warning',
          titleMatch: /^CoreDNS degraded: 1 pod not Ready$/,
          evidence: [
            { file: 'cluster/endpointslices.json', line: readyLine(oneDown, podB.ip) },
            { file: 'cluster/pods.json', line: waitingLine(oneDown, podB.name) },
          ],
        },
      ],
    },
    {
      name: 'no CoreDNS pod at all: the kube-dns Service selects nothing',
      files: noCoredns,
      findings: [
        {
          subjects: ['Service/kube-system/kube-dns'],
          severity: 'critical',
          messageMatch: /no pod in kube-system carries k8s-app=kube-dns/,
          evidence: [{ file: 'cluster/services.json', line: findLine(noCoredns['cluster/services.json']!, '"name": "kube-dns"', '"clusterIP": "10.96.0.10"') }],
        },
      ],
    },
  ],
});

describe('coredns-unavailable: root causes', () => {
  it('names the Corefile loop (corefile-problem) and the crash-looping pods (pod-not-ready) as its causes', () => {
    const run = runOnFiles([corednsUnavailable, corefileProblem, podNotReady], crashloop);
    const down = run.findings.find((f) => f.rule === 'coredns-unavailable')!;
    const loop = run.findings.find((f) => f.rule === 'corefile-problem')!;
    expect(loop.rootCause).toBe(true);
    expect(down.rootCause).toBe(false);
    expect(down.causedBy).toContain(loop.id);
    const notReady = run.findings.filter((f) => f.rule === 'pod-not-ready').map((f) => f.id);
    expect(notReady).toHaveLength(2);
    for (const id of notReady) expect(down.causedBy).toContain(id);
  });

  it('does not blame the Corefile when CoreDNS is down for another reason', () => {
    const run = runOnFiles([corednsUnavailable, corefileProblem], dnsClusterFiles({ corednsState: 'crashloop' }));
    expect(run.findings.map((f) => f.rule)).toEqual(['coredns-unavailable']);
    expect(run.findings[0]!.causedBy).toEqual([]);
  });
});
