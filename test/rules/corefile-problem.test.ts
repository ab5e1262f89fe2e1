import { corednsBanner, loopFatalLine } from '../../fixtures/dns-captures.mjs';
import corefileProblem from '../../rules/corefile-problem.js';
import { COREDNS_PODS, dnsClusterFiles, FRONTEND, KUBEADM_COREFILE, SYSTEMD_STUB_RESOLV_CONF, UPLINK_RESOLV_CONF } from '../dns/dns-cluster.js';
import { findLine } from '../helpers/kube-objects.js';
import { ruleTester } from '../helpers/rule-tester.js';

const [podA, podB] = COREDNS_PODS;
const stubs = { 'nodes/node-a/resolv.conf': SYSTEMD_STUB_RESOLV_CONF, 'nodes/node-b/resolv.conf': SYSTEMD_STUB_RESOLV_CONF };
const loopLog = `${[...corednsBanner(), loopFatalLine('127.0.0.1:55953', '4547991504243258144.3688648895315093531.')].join('\n')}\n`;
const corefileLine = (files: Record<string, string>) => findLine(files['cluster/configmaps.json']!, '"Corefile"');
const waitingLine = (files: Record<string, string>, pod: string) => findLine(files['cluster/pods.json']!, `"name": "${pod}"`, '"waiting"', '"reason": "CrashLoopBackOff"');

const loop = dnsClusterFiles({ corednsState: 'crashloop', files: { ...stubs, [`logs/kube-system/${podA.name}/coredns.log`]: loopLog, [`logs/kube-system/${podB.name}/coredns.log`]: loopLog } });
const toKubeDns = dnsClusterFiles({ corefile: KUBEADM_COREFILE.replace('forward . /etc/resolv.conf', 'forward . 10.96.0.10') });
const proxy = dnsClusterFiles({ corefile: KUBEADM_COREFILE.replace('forward . /etc/resolv.conf {\n       max_concurrent 1000\n    }', 'proxy . /etc/resolv.conf') });
const noKubernetes = dnsClusterFiles({ corefile: '.:53 {\n    errors\n    forward . 10.0.0.2\n    cache 30\n}\n' });
const otherDomain = dnsClusterFiles({
  corefile: KUBEADM_COREFILE.replace('kubernetes cluster.local', 'kubernetes k8s.acme.internal'),
  files: { [`pods/shop/${FRONTEND}/resolv.conf`]: 'search shop.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n' },
});
const logOnly = dnsClusterFiles({ corednsState: 'crashloop', files: { [`logs/kube-system/${podA.name}/coredns.log`]: loopLog } });

ruleTester(corefileProblem, {
  valid: [
    { name: "kubeadm's Corefile, nothing else known", files: dnsClusterFiles() },
    {
      name: "nodes run systemd-resolved's stub, but CoreDNS is up: kubelet gives it the real upstreams",
      files: dnsClusterFiles({ files: stubs }),
    },
    {
      name: "the CoreDNS pods' own resolv.conf names the uplink servers",
      files: dnsClusterFiles({ files: { ...stubs, [`pods/kube-system/${podA.name}/resolv.conf`]: UPLINK_RESOLV_CONF, [`pods/kube-system/${podB.name}/resolv.conf`]: UPLINK_RESOLV_CONF } }),
    },
    { name: 'no coredns ConfigMap collected', files: dnsClusterFiles({ omit: ['cluster/configmaps.json'] }), coverage: 'not-collected' },
  ],
  invalid: [
    {
      name: 'forward . /etc/resolv.conf with the nodes on 127.0.0.53: the loop plugin stops CoreDNS',
      files: loop,
      findings: [
        {
          subjects: ['ConfigMap/kube-system/coredns', `Pod/kube-system/${podA.name}`, `Pod/kube-system/${podB.name}`],
          severity: 'critical',
          titleMatch: /^CoreDNS forwards to itself: 127\.0\.0\.53 loops back \(\.:53 block\)$/,
          messageMatch: /sends queries to 127\.0\.0\.53 \(\/etc\/resolv\.conf of nodes node-a, node-b \(dnsPolicy Default\)\).*CoreDNS itself.*the loop plugin detected it: 2 CoreDNS pods logged/,
          evidence: [
            { file: 'cluster/configmaps.json', line: corefileLine(loop) },
            { file: 'nodes/node-a/resolv.conf', line: 21 },
            { file: 'nodes/node-b/resolv.conf', line: 21 },
            { file: `logs/kube-system/${podA.name}/coredns.log`, line: 5 },
            { file: `logs/kube-system/${podB.name}/coredns.log`, line: 5 },
            { file: 'cluster/pods.json', line: waitingLine(loop, podA.name) },
            { file: 'cluster/pods.json', line: waitingLine(loop, podB.name) },
          ],
        },
      ],
    },
    {
      name: 'forward to the kube-dns ClusterIP: a loop, certain from the Corefile alone',
      files: toKubeDns,
      findings: [
        {
          subjects: ['ConfigMap/kube-system/coredns'],
          severity: 'critical',
          messageMatch: /10\.96\.0\.10 is the ClusterIP of kube-dns: queries come back to CoreDNS/,
          evidence: [
            { file: 'cluster/configmaps.json', line: corefileLine(toKubeDns) },
            { file: 'cluster/configmaps.json', line: corefileLine(toKubeDns) },
            { file: 'cluster/configmaps.json', line: corefileLine(toKubeDns) },
          ],
        },
      ],
    },
    {
      name: 'the proxy plugin, gone since CoreDNS 1.6: CoreDNS refuses to start',
      files: proxy,
      findings: [
        {
          subjects: ['ConfigMap/kube-system/coredns'],
          severity: 'critical',
          titleMatch: /^CoreDNS would refuse this Corefile$/,
          messageMatch: /line 13: the proxy plugin left CoreDNS in 1\.6/,
          evidence: [{ file: 'cluster/configmaps.json', line: corefileLine(proxy) }],
        },
      ],
    },
    {
      name: 'no kubernetes plugin',
      files: noKubernetes,
      findings: [{ subjects: ['ConfigMap/kube-system/coredns'], titleMatch: /no kubernetes plugin/, evidence: [{ file: 'cluster/configmaps.json', line: corefileLine(noKubernetes) }] }],
    },
    {
      name: 'CoreDNS serves k8s.acme.internal while pods search cluster.local',
      files: otherDomain,
      findings: [
        {
          subjects: ['ConfigMap/kube-system/coredns'],
          titleMatch: /^CoreDNS serves k8s\.acme\.internal, but pods search cluster\.local$/,
          evidence: [
            { file: 'cluster/configmaps.json', line: corefileLine(otherDomain) },
            { file: `pods/shop/${FRONTEND}/resolv.conf`, line: 1 },
          ],
        },
      ],
    },
    {
      name: "only the loop plugin's FATAL line tells",
      files: logOnly,
      findings: [
        {
          subjects: ['ConfigMap/kube-system/coredns', `Pod/kube-system/${podA.name}`],
          titleMatch: /^CoreDNS detected a forwarding loop and exits \(1 pod\)$/,
          evidence: [{ file: `logs/kube-system/${podA.name}/coredns.log`, line: 5 }],
        },
      ],
    },
  ],
});
