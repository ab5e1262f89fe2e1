/**
 * Scenario tests. Each fixtures/scenarios/<situation>/ folder is an unpacked bundle; here it is
 * packed into a real .tgz in memory, read as `netdump analyze bundle.tgz` reads it, analyzed with
 * every registered rule, and the set of rule ids reported at critical or warning severity must
 * equal the set the scenario's README names. Then the findings a user would look at first are
 * checked: the subjects, the key words of the message, and the lines of evidence.
 *
 * The fixtures come from fixtures/build-scenarios.mjs; the last block checks that they are
 * well-formed, internally consistent bundles, so that an edit to the generator cannot quietly
 * make a scenario pass for the wrong reason.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { analyzeBundle } from '../../analyzer/analyze.js';
import { readBundleFromBuffer } from '../../analyzer/bundle/read-bundle.js';
import type { Finding, Report } from '../../analyzer/report/report.js';
import { packDirectory } from '../helpers/pack-bundle.js';

const SCENARIOS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'scenarios');

const reports = new Map<string, Promise<Report>>();

/** Packs and analyzes a scenario once; several tests read the same report. */
function analyzeScenario(name: string): Promise<Report> {
  let report = reports.get(name);
  if (!report) {
    report = (async () => {
      const tgz = await packDirectory(join(SCENARIOS_DIR, name), { prefix: `netdump-shop-prod-${name}` });
      return analyzeBundle(await readBundleFromBuffer(tgz, `${name}.tgz`));
    })();
    reports.set(name, report);
  }
  return report;
}

const serious = (report: Report): Finding[] => report.findings.filter((f) => f.severity === 'critical' || f.severity === 'warning');
const seriousRuleIds = (report: Report): string[] => [...new Set(serious(report).map((f) => f.rule))].sort();
const findingsOf = (report: Report, rule: string): Finding[] => report.findings.filter((f) => f.rule === rule);

const registered: string[] = [];

/** One scenario: the exact set of critical/warning rule ids, then what its findings must say. */
function scenario(name: string, expected: string[], check?: (report: Report) => void): void {
  registered.push(name);
  const label = expected.length > 0 ? expected.join(', ') : 'no critical or warning finding';
  it(`${name}: ${label}`, async () => {
    const report = await analyzeScenario(name);
    expect(report.problems, 'no rule may crash').toEqual([]);
    expect(seriousRuleIds(report)).toEqual([...new Set(expected)].sort());
    check?.(report);
  });
}

// ---- reading the fixture files the way a user would check a finding by hand ----

function fixtureText(name: string, path: string): string {
  return readFileSync(join(SCENARIOS_DIR, name, path), 'utf8');
}

function fixtureJson(name: string, path: string): any {
  return JSON.parse(fixtureText(name, path));
}

/**
 * 1-based line of `field` (a line like `"selector": {`) inside the item of a kubectl List file
 * whose metadata has this namespace and name, searching from its `spec` (kubectl output sorts
 * keys, so `metadata` comes first and `spec`/`status` after it).
 */
function lineInItem(name: string, path: string, namespace: string, objectName: string, field: RegExp): number {
  const lines = fixtureText(name, path).split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] === `                "name": "${objectName}",` && lines[i + 1] === `                "namespace": "${namespace}",`) {
      // The item ends at the next line of exactly 8 spaces and `}`.
      for (let j = i + 2; j < lines.length && !/^ {8}\}/.test(lines[j]!); j++) {
        if (field.test(lines[j]!)) return j + 1;
      }
      throw new Error(`${path}: ${namespace}/${objectName} has no line matching ${field}`);
    }
  }
  throw new Error(`${path}: no item ${namespace}/${objectName}`);
}

function podNames(name: string, namespace: string, prefix: string): string[] {
  return fixtureJson(name, 'cluster/pods.json')
    .items.filter((p: any) => p.metadata.namespace === namespace && p.metadata.name.startsWith(prefix))
    .map((p: any) => p.metadata.name as string)
    .sort();
}

/** A rule skipped only because node files were not collected (a cluster-only bundle). */
/** Captures beyond the kubectl objects: node commands, pod captures, logs, metrics, top. */
const CAPTURE_PREFIXES = ['nodes/', 'pods/', 'logs/', 'metrics/', 'cluster/top-pods.txt'];
const nodeFilesOnly = (c: Report['coverage'][number]) => {
  if (c.status !== 'not-collected' || !c.detail.startsWith('not collected: ')) return false;
  const paths = c.detail.slice('not collected: '.length).split(/, | or /);
  return paths.every((path) => CAPTURE_PREFIXES.some((prefix) => path.startsWith(prefix)));
};

/**
 * Every rule ran on real input: none was skipped as "not collected" or failed — except, in a
 * bundle without node files, the rules that read only node files.
 */
function expectAllRulesChecked(report: Report, options: { nodeFiles: boolean; failed?: string[] }): void {
  // A rule that needs a file whose collection failed cannot run; the manifest says why.
  const needsFailed = (c: Report['coverage'][number]) => c.status === 'not-collected' && (options.failed ?? []).some((path) => c.detail.includes(path));
  const notChecked = report.coverage
    .filter((c) => c.status !== 'checked' && (options.nodeFiles || !nodeFilesOnly(c)) && !needsFailed(c))
    .map((c) => `${c.rule}: ${c.status} (${c.detail})`);
  expect(notChecked).toEqual([]);
}

describe('scenario bundles analyze to the findings their READMEs name', () => {
  scenario('healthy-cluster', [], (report) => {
    expect(serious(report)).toEqual([]);
    // A healthy verdict only counts if the checks actually read the cluster.
    expectAllRulesChecked(report, { nodeFiles: false });
    expect(report.bundle.context).toBe('shop-prod');
    expect(report.bundle.nodes).toBe(3);
  });

  scenario('cart-selector-typo', ['svc-no-endpoints'], (report) => {
    const [finding] = findingsOf(report, 'svc-no-endpoints');
    expect(finding!.subjects).toEqual(['Service/shop/cart']);
    expect(finding!.message).toContain('app=cart');
    expect(finding!.message).toContain('app=carts');
    expect(finding!.rootCause).toBe(true);
    // The primary evidence is the Service's selector, not its metadata labels (which also say app: cart).
    const selector = lineInItem('cart-selector-typo', 'cluster/services.json', 'shop', 'cart', /^\s*"selector": \{$/);
    const primary = finding!.evidence[0]!;
    expect(primary.file).toBe('cluster/services.json');
    expect([selector, selector + 1]).toContain(primary.line);
    // ...and a pod that carries the near-miss label.
    expect(finding!.evidence.some((e) => e.file === 'cluster/pods.json' && e.text.includes('"app": "carts"'))).toBe(true);
  });

  scenario('catalog-crashloop', ['pod-not-ready', 'svc-endpoints-not-ready'], (report) => {
    const catalogPods = podNames('catalog-crashloop', 'shop', 'catalog-');
    expect(catalogPods).toHaveLength(2);
    const podFindings = findingsOf(report, 'pod-not-ready');
    expect(podFindings.map((f) => f.subjects[0]).sort()).toEqual(catalogPods.map((p) => `Pod/shop/${p}`));
    for (const f of podFindings) {
      expect(f.message).toContain('CrashLoopBackOff');
      expect(f.message).toMatch(/\b14 restarts\b/);
      expect(f.message).toMatch(/exit code 1\b/);
      expect(f.evidence[0]!.file).toBe('cluster/pods.json');
    }
    const [service] = findingsOf(report, 'svc-endpoints-not-ready');
    expect(service!.subjects).toEqual(['Service/shop/catalog']);
    expect(service!.evidence.every((e) => e.file === 'cluster/endpointslices.json' && e.text.startsWith('"ready": false'))).toBe(true);
    // The crash-looping pods explain the Service's missing endpoints.
    expect(service!.rootCause).toBe(false);
    expect([...service!.causedBy].sort()).toEqual(podFindings.map((f) => f.id).sort());
  });

  scenario('checkout-targetport-name', ['svc-targetport-mismatch'], (report) => {
    const [finding] = findingsOf(report, 'svc-targetport-mismatch');
    expect(finding!.subjects).toEqual(['Service/shop/checkout']);
    expect(finding!.message).toContain('"web"');
    expect(finding!.message).toContain('http');
    const targetPort = lineInItem('checkout-targetport-name', 'cluster/services.json', 'shop', 'checkout', /^\s*"targetPort": "web"$/);
    expect(finding!.evidence[0]).toMatchObject({ file: 'cluster/services.json', line: targetPort });
  });

  scenario('stale-endpointslices', ['svc-endpoints-drift'], (report) => {
    const [finding] = findingsOf(report, 'svc-endpoints-drift');
    expect(finding!.subjects).toEqual(['Service/shop/cart']);
    expect(finding!.message).toContain('10.244.2.21'); // the deleted pod, still listed
    expect(finding!.message).toContain('10.244.1.26'); // the ready replacement, missing
    expect(finding!.evidence.some((e) => e.file === 'cluster/endpointslices.json' && e.text === '"10.244.2.21"')).toBe(true);
  });

  scenario('lb-pending-no-controller', ['lb-pending'], (report) => {
    const [finding] = findingsOf(report, 'lb-pending');
    expect(finding!.subjects).toEqual(['Service/shop/frontend-public']);
    const status = lineInItem('lb-pending-no-controller', 'cluster/services.json', 'shop', 'frontend-public', /^\s*"loadBalancer": \{\}$/);
    expect(finding!.evidence[0]).toMatchObject({ file: 'cluster/services.json', line: status });
  });

  scenario('ingress-wrong-backend', ['ingress-backend-missing'], (report) => {
    const findings = findingsOf(report, 'ingress-backend-missing');
    const payments = findings.find((f) => f.subjects.includes('Ingress/shop/payments'));
    const grpc = findings.find((f) => f.subjects.includes('Ingress/shop/catalog-grpc'));
    expect(findings).toHaveLength(2);
    expect(payments!.message).toContain('payments');
    expect(payments!.evidence[0]).toMatchObject({
      file: 'cluster/ingresses.json',
      line: lineInItem('ingress-wrong-backend', 'cluster/ingresses.json', 'shop', 'payments', /^\s*"name": "payments",$/),
    });
    expect(grpc!.message).toContain('"grpc"');
    expect(grpc!.evidence[0]).toMatchObject({
      file: 'cluster/ingresses.json',
      line: lineInItem('ingress-wrong-backend', 'cluster/ingresses.json', 'shop', 'catalog-grpc', /^\s*"name": "grpc"$/),
    });
  });

  scenario('ingress-no-class', ['ingress-class-missing'], (report) => {
    const findings = findingsOf(report, 'ingress-class-missing');
    expect(findings.map((f) => f.subjects[0]).sort()).toEqual(['Ingress/shop/admin', 'Ingress/shop/legacy-storefront']);
    const admin = findings.find((f) => f.subjects[0] === 'Ingress/shop/admin')!;
    expect(admin.severity).toBe('critical');
    expect(admin.message).toContain('traefik');
    expect(admin.evidence[0]).toMatchObject({
      file: 'cluster/ingresses.json',
      line: lineInItem('ingress-no-class', 'cluster/ingresses.json', 'shop', 'admin', /^\s*"ingressClassName": "traefik",$/),
    });
    expect(findings.every((f) => f.evidence[0]!.file === 'cluster/ingresses.json')).toBe(true);
  });

  scenario('broken-bundle', ['bundle-collection-failed', 'bundle-parse-error'], (report) => {
    const redacted = redactedLine();
    const [parse] = findingsOf(report, 'bundle-parse-error');
    expect(parse!.evidence[0]).toMatchObject({ file: 'cluster/events.json', line: redacted, text: '"message": <REDACTED>,' });

    const collection = findingsOf(report, 'bundle-collection-failed');
    const forbidden = collection.find((f) => f.severity === 'warning')!;
    expect(forbidden.message).toContain('networkpolicies');
    expect(forbidden.message).toContain('Forbidden');
    expect(forbidden.evidence[0]!.file).toBe('manifest.json');
    const ipvsadm = collection.find((f) => f.subjects.includes('Node/node-b'))!;
    expect(ipvsadm.severity).toBe('info');
    expect(ipvsadm.message).toContain('ipvsadm');

    // The damage hides nothing else: every other check still ran on the cluster files (the
    // policy checks need the NetworkPolicies whose listing was forbidden).
    expectAllRulesChecked(report, { nodeFiles: false, failed: ['cluster/networkpolicies.json'] });
  });

  scenario(
    'demo-shop',
    ['svc-no-endpoints', 'pod-not-ready', 'svc-endpoints-not-ready', 'ingress-backend-missing', 'lb-pending', 'bundle-collection-failed'],
    (report) => {
      const subjects = (rule: string) => findingsOf(report, rule).flatMap((f) => f.subjects).sort();
      expect(subjects('svc-no-endpoints')).toEqual(['Service/shop/cart']);
      expect(subjects('pod-not-ready')).toEqual(podNames('demo-shop', 'shop', 'catalog-').map((p) => `Pod/shop/${p}`));
      expect(subjects('svc-endpoints-not-ready')).toEqual(['Service/shop/catalog']);
      expect(subjects('ingress-backend-missing')).toEqual(['Ingress/shop/payments']);
      expect(subjects('lb-pending')).toEqual(['Service/shop/frontend-public']);
      // Root causes come first; the Service symptom hangs under the crash-looping pods.
      const [symptom] = findingsOf(report, 'svc-endpoints-not-ready');
      expect(symptom!.causedBy.map((id) => report.findings.find((f) => f.id === id)!.rule)).toEqual(['pod-not-ready', 'pod-not-ready']);
      const firstSymptom = report.findings.findIndex((f) => !f.rootCause);
      expect(report.findings.slice(firstSymptom).every((f) => !f.rootCause)).toBe(true);
      expect(findingsOf(report, 'bundle-collection-failed').map((f) => f.severity).sort()).toEqual(['info', 'warning']);
    },
  );

  // ---- the node data plane (kube-proxy rules read back from iptables-save) ----

  scenario('healthy-cluster-with-nodes', [], (report) => {
    expectAllRulesChecked(report, { nodeFiles: false });
    // The node data-plane checks did read the nodes' dumps.
    const dataplaneRules = ['kubeproxy-rules-missing', 'kubeproxy-rules-stale', 'kubeproxy-reject-no-endpoints', 'kubeproxy-mode-mismatch', 'iptables-backend-split', 'etp-local-no-endpoints', 'forward-policy-drop', 'no-masquerade', 'nodeport-unreachable'];
    expect(report.coverage.filter((c) => dataplaneRules.includes(c.rule!)).map((c) => `${c.rule}: ${c.status}`).sort()).toEqual(dataplaneRules.map((r) => `${r}: checked`).sort());
    expect(report.coverage.find((c) => c.rule === 'kubeproxy-rules-missing')!.detail).toContain('3 of 3 nodes compared (iptables)');
    expect(report.coverage.find((c) => c.rule === 'nodeport-unreachable')!.detail).toContain('6 NodePorts simulated on 3 of 3 nodes');
  });

  scenario('kube-proxy-stuck-node', ['kubeproxy-rules-stale', 'kubeproxy-rules-missing'], (report) => {
    const [stuck] = findingsOf(report, 'kubeproxy-rules-stale');
    expect(stuck!.title).toBe('kube-proxy on node-b looks stuck: 2 Services out of date');
    expect(stuck!.subjects).toEqual(['Node/node-b', 'Service/shop/cart', 'Service/shop/frontend-metrics']);
    expect(stuck!.message).toContain('10.244.1.17:8080');
    expect(stuck!.message).toContain('node-a, node-c agree with the API');
    const dump = fixtureText('kube-proxy-stuck-node', 'nodes/node-b/iptables-save.txt').split('\n');
    const dnat = stuck!.evidence.find((e) => e.text.includes('--to-destination 10.244.1.17:8080'))!;
    expect(dump[dnat.line - 1]).toContain('-j DNAT --to-destination 10.244.1.17:8080');
    const missing = findingsOf(report, 'kubeproxy-rules-missing');
    expect(missing.map((f) => f.subjects.join(' ')).sort()).toEqual(['Node/node-b Service/shop/cart', 'Node/node-b Service/shop/frontend-metrics']);
    expect(missing.every((f) => f.causedBy.includes(stuck!.id))).toBe(true);
  });

  scenario('service-no-endpoints-reject', ['svc-no-endpoints', 'kubeproxy-reject-no-endpoints'], (report) => {
    const [reject] = findingsOf(report, 'kubeproxy-reject-no-endpoints');
    const [cause] = findingsOf(report, 'svc-no-endpoints');
    expect(reject!.subjects).toEqual(['Service/shop/checkout', 'Node/node-a', 'Node/node-b', 'Node/node-c']);
    expect(reject!.causedBy).toEqual([cause!.id]);
    expect(reject!.evidence.filter((e) => e.file.startsWith('nodes/')).map((e) => `${e.file}:${e.line}`)).toEqual([
      'nodes/node-a/iptables-save.txt:79',
      'nodes/node-b/iptables-save.txt:79',
      'nodes/node-c/iptables-save.txt:79',
    ]);
  });

  scenario('kube-proxy-ipvs-mode-mismatch', ['kubeproxy-mode-mismatch'], (report) => {
    const [finding] = findingsOf(report, 'kubeproxy-mode-mismatch');
    expect(finding!.subjects).toEqual(['Node/node-a', 'Node/node-b', 'Node/node-c']);
    expect(finding!.title).toContain('runs in iptables mode, but its configuration says ipvs');
    expect(finding!.evidence[0]!.file).toBe('cluster/configmaps.json');
  });

  scenario('iptables-legacy-and-nft', ['iptables-backend-split'], (report) => {
    const [finding] = findingsOf(report, 'iptables-backend-split');
    expect(finding!.subjects).toEqual(['Node/node-c']);
    expect(finding!.message).toContain('10.244.1.10:8080');
    expect(finding!.evidence.map((e) => e.file)).toContain('nodes/node-c/iptables-legacy-save.txt');
    expect(finding!.evidence.some((e) => e.text.startsWith('# Warning: iptables-legacy tables present'))).toBe(true);
  });

  // ---- forwarding, egress NAT and NodePorts simulated; IPVS and nftables modes (fixtures/dataplane-scenarios.mjs) ----

  /** The 1-based line of `path` whose text is exactly `text` (or, with a RegExp, matches it). */
  const lineWhere = (name: string, path: string, text: string | RegExp) => {
    const index = fixtureText(name, path).split('\n').findIndex((l) => (typeof text === 'string' ? l === text : text.test(l)));
    expect(index, `${path} has a line ${text}`).toBeGreaterThanOrEqual(0);
    return index + 1;
  };
  const at = (f: Finding) => f.evidence.map((e) => `${e.file}:${e.line}`);

  scenario('docker-forward-drop-flannel', ['forward-policy-drop'], (report) => {
    const [finding] = findingsOf(report, 'forward-policy-drop');
    expect(finding!.subjects).toEqual(['Node/node-b']);
    expect(finding!.title).toBe('Forwarded pod traffic dies on node-b: filter FORWARD policy is DROP');
    const dump = 'nodes/node-b/iptables-save.txt';
    expect(finding!.evidence[0]).toMatchObject({ file: dump, line: lineWhere('docker-forward-drop-flannel', dump, ':FORWARD DROP [1284:77040]') });
    expect(at(finding!)).toContain(`${dump}:${lineWhere('docker-forward-drop-flannel', dump, '-A FORWARD -j DOCKER-USER')}`);
    expect(at(finding!)).toContain(`cluster/daemonsets.json:${lineWhere('docker-forward-drop-flannel', 'cluster/daemonsets.json', /"--iptables-forward-rules=false"/)}`);
    expect(finding!.message).toContain('(on node-a)');
    expect(report.coverage.find((c) => c.rule === 'forward-policy-drop')!.detail).toBe('3 of 3 nodes simulated');
  });

  scenario('calico-natoutgoing-disabled', ['no-masquerade'], (report) => {
    const findings = findingsOf(report, 'no-masquerade');
    expect(findings.map((f) => f.subjects.join(' '))).toEqual(['Node/node-a', 'Node/node-b', 'Node/node-c']);
    const poolLine = `cluster/calico/ippools.json:${lineWhere('calico-natoutgoing-disabled', 'cluster/calico/ippools.json', '        "natOutgoing": false,')}`;
    for (const finding of findings) {
      expect(finding.message).toMatch(/to 8\.8\.8\.8:443 leaves eth0 with its pod address/);
      expect(at(finding)[0]).toBe(poolLine);
      const node = finding.subjects[0]!.replace('Node/', '');
      expect(at(finding)).toContain(`nodes/${node}/iptables-save.txt:${lineWhere('calico-natoutgoing-disabled', `nodes/${node}/iptables-save.txt`, /-j cali-nat-outgoing$/)}`);
    }
  });

  scenario('nodeport-hostport-conflict', ['nodeport-unreachable'], (report) => {
    const [finding] = findingsOf(report, 'nodeport-unreachable');
    const [pod] = podNames('nodeport-hostport-conflict', 'shop', 'maintenance-page-');
    expect(finding!.subjects).toEqual(['Node/node-b', 'Service/ingress-nginx/ingress-nginx-controller', `Pod/shop/${pod}`]);
    expect(finding!.title).toBe(`NodePort 31437/tcp of ingress-nginx/ingress-nginx-controller is unreachable on node-b: hostPort of pod shop/${pod} takes the port`);
    const dump = 'nodes/node-b/iptables-save.txt';
    expect(at(finding!)).toEqual([
      `${dump}:${lineWhere('nodeport-hostport-conflict', dump, '-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT')}`,
      `${dump}:${lineWhere('nodeport-hostport-conflict', dump, /--dport 31437 -j DNAT --to-destination 10\.244\.1\.40:80$/)}`,
      `cluster/pods.json:${lineInItem('nodeport-hostport-conflict', 'cluster/pods.json', 'shop', pod!, /"hostPort": 31437/)}`,
      `cluster/services.json:${lineInItem('nodeport-hostport-conflict', 'cluster/services.json', 'ingress-nginx', 'ingress-nginx-controller', /"nodePort": 31437/)}`,
    ]);
    expect(finding!.message).toContain('it should reach 10.244.2.3:80');
  });

  scenario('healthy-cluster-ipvs', [], (report) => {
    const detail = (rule: string) => report.coverage.find((c) => c.rule === rule)!.detail;
    expect(detail('kubeproxy-rules-missing')).toContain('3 of 3 nodes compared (ipvs)');
    expect(detail('kubeproxy-mode-mismatch')).toContain('configured mode ipvs');
    expect(detail('forward-policy-drop')).toBe('3 of 3 nodes simulated');
    expect(detail('no-masquerade')).toBe('3 of 3 nodes simulated (pod → 8.8.8.8)');
    // NodePorts run through IPVS's virtual servers inside kube-proxy's ipset-driven rules.
    expect(detail('nodeport-unreachable')).toContain('6 NodePorts simulated on 3 of 3 nodes');
  });

  scenario('kube-proxy-ipvs-stale-real-server', ['kubeproxy-rules-stale', 'kubeproxy-rules-missing'], (report) => {
    const [stale] = findingsOf(report, 'kubeproxy-rules-stale');
    expect(stale!.subjects).toEqual(['Node/node-b', 'Service/shop/cart']);
    expect(stale!.message).toContain('10.244.1.17:8080, 10.244.2.21:8080');
    const ipvs = 'nodes/node-b/ipvsadm.txt';
    expect(at(stale!)).toEqual([
      `${ipvs}:${lineWhere('kube-proxy-ipvs-stale-real-server', ipvs, /^ {2}-> 10\.244\.1\.17:8080 /)}`,
      `${ipvs}:${lineWhere('kube-proxy-ipvs-stale-real-server', ipvs, /^ {2}-> 10\.244\.2\.21:8080 /)}`,
    ]);
    const [missing] = findingsOf(report, 'kubeproxy-rules-missing');
    expect(missing!.subjects).toEqual(['Node/node-b', 'Service/shop/cart']);
    expect(missing!.severity).toBe('warning');
    expect(missing!.message).toMatch(/10\.244\.2\.27:8080.*10\.244\.1\.31:8080/);
    // One sync node-b's kube-proxy did not do: the stale real servers are the root.
    expect(missing!.causedBy).toEqual([stale!.id]);
  });

  scenario('healthy-cluster-nftables', [], (report) => {
    const detail = (rule: string) => report.coverage.find((c) => c.rule === rule)!.detail;
    expect(detail('kubeproxy-rules-missing')).toContain('3 of 3 nodes compared (nftables)');
    // flannel masquerades in its own nftables table: the egress simulation must see it.
    expect(detail('no-masquerade')).toBe('3 of 3 nodes simulated (pod → 8.8.8.8)');
    expect(detail('nodeport-unreachable')).toContain('6 NodePorts simulated on 3 of 3 nodes');
  });

  scenario('service-no-endpoints-nftables', ['svc-no-endpoints', 'kubeproxy-reject-no-endpoints'], (report) => {
    const [reject] = findingsOf(report, 'kubeproxy-reject-no-endpoints');
    const [cause] = findingsOf(report, 'svc-no-endpoints');
    expect(reject!.subjects).toEqual(['Service/shop/checkout', 'Node/node-a', 'Node/node-b', 'Node/node-c']);
    expect(reject!.causedBy).toEqual([cause!.id]);
    const element = /^\t\telements = \{ 10\.97\.201\.55 \. tcp \. 80 comment "shop\/checkout:http" : goto reject-chain \}$/;
    expect(at(reject!).filter((e) => e.startsWith('nodes/'))).toEqual(
      ['node-a', 'node-b', 'node-c'].map((n) => `nodes/${n}/nft-ruleset.txt:${lineWhere('service-no-endpoints-nftables', `nodes/${n}/nft-ruleset.txt`, element)}`),
    );
  });

  scenario('etp-local-no-local-endpoint', ['etp-local-no-endpoints'], (report) => {
    const [finding] = findingsOf(report, 'etp-local-no-endpoints');
    expect(finding!.subjects).toEqual(['Service/ingress-nginx/ingress-nginx-controller', 'Node/node-a', 'Node/node-b']);
    expect(finding!.evidence.filter((e) => e.file.startsWith('nodes/')).map((e) => `${e.file}:${e.line}`)).toEqual([
      'nodes/node-a/iptables-save.txt:75',
      'nodes/node-a/iptables-save.txt:76',
      'nodes/node-b/iptables-save.txt:75',
      'nodes/node-b/iptables-save.txt:76',
    ]);
  });

  // ---- network policies, judged by the policy engine under the cluster's CNI ----

  scenario('healthy-cluster-with-policies', [], (report) => {
    expectAllRulesChecked(report, { nodeFiles: false });
    // The 4 Ingress backends; the two probes succeeded, so they name no flow to doubt.
    expect(report.coverage.find((c) => c.rule === 'netpol-denies')!.detail).toMatch(/^4 flows named by the bundle judged \(calico semantics\)/);
  });

  scenario('netpol-selector-typo', ['netpol-selects-nothing'], (report) => {
    const [finding] = findingsOf(report, 'netpol-selects-nothing');
    expect(finding!.subjects).toEqual(['NetworkPolicy/shop/checkout-allow-frontend']);
    expect(finding!.message).toContain('likely typo: 2 pods');
    expect(finding!.message).toContain('carry app=checkout where the selector wants app=check-out');
    const selector = lineInItem('netpol-selector-typo', 'cluster/networkpolicies.json', 'shop', 'checkout-allow-frontend', /^\s*"app": "check-out"$/);
    expect(finding!.evidence[0]).toMatchObject({ file: 'cluster/networkpolicies.json', line: selector });
    expect(finding!.evidence[1]).toMatchObject({ file: 'cluster/pods.json', text: '"app": "checkout",' });
  });

  scenario('netpol-namespace-label-typo', ['netpol-peer-matches-nothing', 'netpol-denies'], (report) => {
    const [peer] = findingsOf(report, 'netpol-peer-matches-nothing');
    const [denial] = findingsOf(report, 'netpol-denies');
    expect(peer!.subjects).toEqual(['NetworkPolicy/shop/checkout-ingress']);
    expect(peer!.message).toContain('no namespace carries a label name; namespace ingress-nginx exists');
    expect(peer!.remediation).toContain('replace `name: ingress-nginx` by `kubernetes.io/metadata.name: ingress-nginx`');
    const label = lineInItem('netpol-namespace-label-typo', 'cluster/networkpolicies.json', 'shop', 'checkout-ingress', /^\s*"name": "ingress-nginx"$/);
    expect(peer!.evidence[0]).toMatchObject({ file: 'cluster/networkpolicies.json', line: label });
    expect(denial!.subjects.slice(0, 3)).toEqual(['Service/shop/checkout', 'Deployment/ingress-nginx/ingress-nginx-controller', 'Ingress/shop/api']);
    expect(denial!.causedBy).toEqual([peer!.id]);
    expect(denial!.rootCause).toBe(false);
  });

  scenario('netpol-default-deny-blocks-dns', ['dns-egress-blocked'], (report) => {
    const [finding] = findingsOf(report, 'dns-egress-blocked');
    expect(finding!.subjects).toEqual(['Namespace/shop', 'NetworkPolicy/shop/restrict-egress']);
    expect(finding!.severity).toBe('critical');
    expect(finding!.title).toBe('Pods in shop cannot reach the cluster DNS: UDP 53 and TCP 53 to kube-system/kube-dns denied');
    expect(finding!.message).toMatch(/^8 pods of Deployment cart, Deployment catalog, Deployment checkout, Deployment frontend in namespace shop/);
    const podSelector = lineInItem('netpol-default-deny-blocks-dns', 'cluster/networkpolicies.json', 'shop', 'restrict-egress', /^ {16}"podSelector": \{\},$/);
    expect(finding!.evidence[0]).toMatchObject({ file: 'cluster/networkpolicies.json', line: podSelector });
  });

  scenario('ingress-controller-blocked-by-netpol', ['netpol-denies'], (report) => {
    const findings = findingsOf(report, 'netpol-denies');
    expect(findings.map((f) => f.subjects[0]).sort()).toEqual(['Service/shop/cart', 'Service/shop/catalog', 'Service/shop/checkout', 'Service/shop/frontend']);
    for (const f of findings) {
      expect(f.severity).toBe('critical');
      expect(f.subjects).toEqual(expect.arrayContaining(['NetworkPolicy/shop/allow-same-namespace', 'NetworkPolicy/shop/default-deny-ingress']));
      expect(f.message).toContain('not in namespace shop and the rule has no namespaceSelector');
    }
    const frontend = findings.find((f) => f.subjects[0] === 'Service/shop/frontend')!;
    const probeLine = fixtureText('ingress-controller-blocked-by-netpol', 'probes/probes.json').split('\n').findIndex((l) => l.includes('"outcome": "timeout"')) + 1;
    expect(frontend.evidence).toContainEqual(expect.objectContaining({ file: 'probes/probes.json', line: probeLine }));
    expect(fixtureText('ingress-controller-blocked-by-netpol', 'README.md')).toContain(`line ${probeLine}`);
  });

  scenario('flannel-ignores-netpol', ['netpol-unenforced'], (report) => {
    const [finding] = findingsOf(report, 'netpol-unenforced');
    expect(finding!.subjects).toHaveLength(6);
    expect(finding!.message).toContain('DaemonSet kube-flannel/kube-flannel-ds');
    expect(finding!.evidence[0]).toMatchObject({ file: 'cluster/daemonsets.json', text: '"name": "kube-flannel-ds",' });
  });

  scenario('calico-deny-shadows-allow', ['calico-policy-shadowed'], (report) => {
    const [finding] = findingsOf(report, 'calico-policy-shadowed');
    expect(finding!.subjects).toEqual(['CalicoNetworkPolicy/shop/allow-checkout-smtp', 'GlobalNetworkPolicy/deny-smtp-egress']);
    expect(finding!.evidence.map((e) => `${e.file}:${e.line}`)).toEqual(['cluster/calico/networkpolicies.json:22', 'cluster/calico/globalnetworkpolicies.json:21']);
    const readme = fixtureText('calico-deny-shadows-allow', 'README.md');
    expect(readme).toContain('line 22 of `networkpolicies.json`');
    expect(readme).toContain('line 21 of\n`globalnetworkpolicies.json`');
  });

  scenario('cilium-policy-drops', ['cilium-policy-drop'], (report) => {
    const [finding] = findingsOf(report, 'cilium-policy-drop');
    expect(finding!.title).toBe('Cilium drops Deployment shop/checkout → Deployment shop/cart 8080/TCP: denied by CiliumNetworkPolicy/shop/cart-ingress');
    expect(finding!.data).toMatchObject({ drops: 7, verdict: 'deny', policies: ['CiliumNetworkPolicy/shop/cart-ingress'] });
    const hubble = fixtureText('cilium-policy-drops', 'hubble/flows.json').split('\n');
    const dropLines = hubble.flatMap((l, i) => (l.includes('"verdict":"DROPPED"') ? [i + 1] : []));
    expect(dropLines).toEqual([3, 4, 7, 8]);
    expect(finding!.evidence.filter((e) => e.file === 'hubble/flows.json').map((e) => e.line)).toEqual([3, 4, 7]);
  });

  // ---- cluster DNS (details in test/dns/dns-scenarios.test.ts) ----

  scenario('healthy-dns', []);
  scenario('coredns-forward-loop', ['corefile-problem', 'coredns-unavailable', 'pod-not-ready', 'svc-endpoints-not-ready']);
  scenario('dns-5s-timeouts-conntrack', ['dns-conntrack-race']);
  scenario('dns-slow-cache-misses', ['dns-slow']);
  scenario('pod-custom-nameserver', ['resolvconf-nameserver-mismatch']);
  scenario('ndots-external-heavy', ['dns-ndots-amplification']);

  // ---- routing, interfaces and node settings (details in test/routing/node-scenarios.test.ts) ----

  scenario('healthy-cluster-node-network', []);
  scenario('node-forwarding-off', ['ip-forward-disabled']);
  scenario('flannel-vxlan-mtu-mismatch', ['mtu-mismatch']);
  scenario('calico-ipip-route-missing', ['route-missing']);
  scenario('conntrack-table-full', ['conntrack-table-full']);
  scenario('node-interface-errors', ['interface-errors', 'tcp-retransmits']);
  scenario('flannel-br-netfilter-missing', ['br-netfilter-disabled'], (report) => {
    const [finding, ...others] = findingsOf(report, 'br-netfilter-disabled');
    expect(others).toEqual([]);
    expect([finding!.subjects, finding!.severity, finding!.rootCause]).toEqual([['Node/node-b'], 'critical', true]);
    expect(finding!.title).toContain('br_netfilter not loaded');
    expect(finding!.message).toContain('cni0 (5 ports');
    const sysctlLine = fixtureText('flannel-br-netfilter-missing', 'nodes/node-b/sysctl.txt').split('\n').indexOf('sysctl: cannot stat /proc/sys/net/bridge/bridge-nf-call-iptables: No such file or directory') + 1;
    expect(sysctlLine).toBeGreaterThan(0);
    expect(finding!.evidence[0]).toMatchObject({ file: 'nodes/node-b/sysctl.txt', line: sysctlLine });
    expect(finding!.evidence.some((e) => e.file === 'nodes/node-b/ip-link.txt' && e.text.includes(': cni0: '))).toBe(true);
    // sysctl's exit code 1 is reported, at info, as the kernel's answer rather than a failed collection.
    expect(findingsOf(report, 'bundle-collection-failed').map((f) => [f.severity, f.subjects])).toEqual([['info', ['Node/node-b']]]);
  });

  // ---- CNI health: Calico BGP and IP pools, Weave Net, /etc/cni/net.d ----

  const lineOf = (name: string, path: string, pattern: RegExp) => fixtureText(name, path).split('\n').findIndex((l) => pattern.test(l)) + 1;
  const cniRules = ['cni-config-problem', 'calico-ippool-problem', 'calico-bgp-down', 'weave-unhealthy'];

  scenario('healthy-cluster-calico-bgp', [], (report) => {
    expect(report.findings.filter((f) => cniRules.includes(f.rule)).map((f) => f.title)).toEqual([]);
    const coverage = new Map(report.coverage.map((c) => [c.rule, c.status]));
    for (const rule of ['cni-config-problem', 'calico-ippool-problem', 'calico-bgp-down']) expect(coverage.get(rule), rule).toBe('checked');
  });

  scenario('calico-bgp-peer-down', ['calico-bgp-down', 'calico-node-unhealthy', 'route-missing'], (report) => {
    const name = 'calico-bgp-peer-down';
    const bgp = findingsOf(report, 'calico-bgp-down');
    const bgpOf = (node: string) => bgp.find((f) => f.subjects[0] === `Node/${node}`)!;
    expect(bgp.map((f) => f.subjects)).toEqual([['Node/node-a', 'Node/node-c'], ['Node/node-b', 'Node/node-c'], ['Node/node-c', 'Node/node-a', 'Node/node-b']]);
    expect(bgpOf('node-c').message).toContain('10.0.1.11 (node node-a) node-to-node mesh: state start since 13:41:09, Active Socket: Connection timed out');
    const status = 'nodes/node-c/calico/node-status.txt';
    expect(bgpOf('node-c').evidence.map((e) => `${e.file}:${e.line}`)).toEqual([`${status}:${lineOf(name, status, /^\| 10\.0\.1\.11 /)}`, `${status}:${lineOf(name, status, /^\| 10\.0\.1\.12 /)}`]);

    // The missing routes are the symptom, each linked to the sessions its node depends on.
    const routes = findingsOf(report, 'route-missing');
    const routeOf = (node: string) => routes.find((f) => f.subjects[0] === `Node/${node}`)!;
    expect(routes.map((f) => f.subjects[0]).sort()).toEqual(['Node/node-a', 'Node/node-b', 'Node/node-c']);
    expect(routeOf('node-a').message).toContain("node-c's podCIDR 10.244.2.0/24: falls back to the default route via 10.0.1.1 dev eth0");
    expect(routeOf('node-a').evidence[0]).toMatchObject({ file: 'nodes/node-a/ip-route.txt', line: lineOf(name, 'nodes/node-a/ip-route.txt', /^default via 10\.0\.1\.1 /) });
    expect(routeOf('node-a').causedBy.sort()).toEqual([bgpOf('node-a').id, bgpOf('node-c').id].sort());
    expect(routeOf('node-c').causedBy.sort()).toEqual(bgp.map((f) => f.id).sort());
    for (const f of bgp) expect(f.causes ?? []).not.toEqual([]);
    // calico-node's probe fails on "BGP not established": the sessions explain it.
    const calicoNodeOf = (node: string) => findingsOf(report, 'calico-node-unhealthy').find((f) => f.subjects[0] === `Node/${node}`)!;
    expect(calicoNodeOf('node-a').causedBy.sort()).toEqual([bgpOf('node-a').id, bgpOf('node-c').id].sort());
    expect(calicoNodeOf('node-c').message).toContain('BIRD is not ready: BGP not established with 10.0.1.11,10.0.1.12');
  });

  scenario('calico-ippool-overlaps-services', ['calico-ippool-problem'], (report) => {
    const name = 'calico-ippool-overlaps-services';
    const [overlap, uncovered] = findingsOf(report, 'calico-ippool-problem');
    expect(overlap!.severity).toBe('critical');
    expect(overlap!.subjects).toEqual(['IPPool/default-ipv4-ippool']);
    expect(overlap!.message).toContain('overlaps the Service CIDR 10.96.0.0/12 (kube-apiserver flag (pod kube-apiserver-node-a))');
    expect(overlap!.evidence.map((e) => `${e.file}:${e.line}`)).toEqual([
      `cluster/calico/ippools.json:${lineOf(name, 'cluster/calico/ippools.json', /"cidr": "10\.96\.0\.0\/16"/)}`,
      `cluster/pods.json:${lineInItem(name, 'cluster/pods.json', 'kube-system', 'kube-apiserver-node-a', /--service-cluster-ip-range=10\.96\.0\.0\/12/)}`,
    ]);
    expect(uncovered!.severity).toBe('warning');
    expect(uncovered!.subjects).toEqual(['Node/node-a', 'Node/node-b', 'Node/node-c']);
    expect(uncovered!.message).toContain("node-c's podCIDR 10.244.2.0/24 are in no enabled pool (default-ipv4-ippool 10.96.0.0/16)");
  });

  scenario('healthy-cluster-weave', [], (report) => {
    expect(report.findings.filter((f) => cniRules.includes(f.rule)).map((f) => f.title)).toEqual([]);
    const coverage = new Map(report.coverage.map((c) => [c.rule, c.status]));
    for (const rule of ['cni-config-problem', 'weave-unhealthy']) expect(coverage.get(rule), rule).toBe('checked');
  });

  scenario('weave-peer-unreachable', ['weave-unhealthy'], (report) => {
    const name = 'weave-peer-unreachable';
    const weave = findingsOf(report, 'weave-unhealthy');
    expect(weave.map((f) => [f.severity, ...f.subjects])).toEqual([
      ['critical', 'Node/node-a', 'Node/node-c'],
      ['critical', 'Node/node-b', 'Node/node-c'],
      ['critical', 'Node/node-c', 'Node/node-a', 'Node/node-b'],
    ]);
    const [nodeA] = weave;
    expect(nodeA!.title).toBe('Weave Net on node-a: 1 peer connection not established (node-c)');
    expect(nodeA!.message).toContain('-> 10.0.1.13:6783 (node-c) failed: dial tcp4 :0->10.0.1.13:6783: i/o timeout');
    expect(nodeA!.message).toContain('(node-c) (65024 IPs, 99.2%) of the IP range is owned by a peer this node cannot reach');
    const status = 'nodes/node-a/weave/status.txt';
    expect(nodeA!.evidence[0]).toMatchObject({ file: status, line: lineOf(name, status, /^-> 10\.0\.1\.13:6783 +failed/) });
  });

  scenario('cni-config-conflict', ['cni-config-problem', 'pod-not-ready'], (report) => {
    const conflicts = findingsOf(report, 'cni-config-problem');
    expect(conflicts.map((f) => f.title)).toEqual(['node-a', 'node-b', 'node-c'].map((n) => `${n} uses the leftover 10-flannel.conflist instead of 10-weave.conflist`));
    const nodeC = conflicts[2]!;
    const [stuck] = findingsOf(report, 'pod-not-ready');
    expect(nodeC.subjects).toEqual(['Node/node-c', stuck!.subjects[0]]);
    expect(stuck!.causedBy).toEqual([nodeC.id]);
    expect(nodeC.severity).toBe('critical');
    expect(nodeC.message).toContain('the runtime uses the first by name, 10-flannel.conflist (flannel, network "cbr0"), and ignores 10-weave.conflist (weave-net, network "weave")');
    expect(nodeC.evidence.slice(0, 2).map((e) => `${e.file}:${e.line}`)).toEqual(['nodes/node-c/cni/10-flannel.conflist:5', 'nodes/node-c/cni/10-weave.conflist:5']);
    // Line 5 opens the plugin whose type is on the next line.
    expect(fixtureText('cni-config-conflict', 'nodes/node-c/cni/10-flannel.conflist').split('\n').slice(4, 6)).toEqual(['    {', '      "type": "flannel",']);
  });

  // ---- Cilium 1.16 with kube-proxy replacement ----
  scenario('healthy-cluster-cilium', [], (report) => {
    expect(report.findings).toEqual([]);
    const coverage = new Map(report.coverage.map((c) => [c.rule, c]));
    for (const rule of ['cilium-unhealthy', 'cilium-endpoint-not-ready', 'cilium-lb-missing-backends']) {
      expect(coverage.get(rule), rule).toMatchObject({ status: 'checked', detail: expect.stringMatching(/ on 3 of 3 nodes$/) });
    }
    // No kube-proxy by design: its rules have nothing to compare, and say why.
    for (const rule of ['kubeproxy-rules-missing', 'kubeproxy-rules-stale', 'kubeproxy-reject-no-endpoints', 'kubeproxy-mode-mismatch']) {
      expect(coverage.get(rule), rule).toMatchObject({ status: 'checked', detail: 'kube-proxy replaced by Cilium (kubeProxyReplacement=true, ConfigMap kube-system/cilium-config): nothing to check' });
    }
  });

  scenario('cilium-agent-unhealthy', ['cilium-unhealthy', 'cilium-lb-missing-backends'], (report) => {
    const [agent] = findingsOf(report, 'cilium-unhealthy');
    expect(agent!.subjects).toEqual(['Node/node-b']);
    expect(agent!.severity).toBe('critical');
    expect(agent!.rootCause).toBe(true);
    expect(agent!.message).toContain('Kubernetes is Failure');
    expect(agent!.message).toContain('k8s-heartbeat');
    const status = 'nodes/node-b/cilium/status.txt';
    expect(agent!.evidence[0]).toMatchObject({ file: status, line: 2 });
    expect(agent!.evidence.some((e) => e.file === status && e.line === 43 && e.text.startsWith('k8s-heartbeat'))).toBe(true);

    const [lb] = findingsOf(report, 'cilium-lb-missing-backends');
    expect(lb!.subjects).toEqual(['Service/shop/cart', 'Node/node-b']);
    expect(lb!.title).toBe("Cilium's BPF LB map on node-b sends Service shop/cart only to pods that are gone");
    expect(lb!.message).toContain('10.244.1.17:8080');
    expect(lb!.message).toContain('10.244.2.29');
    // The agent that lost the apiserver is why its map is stale.
    expect(lb!.rootCause).toBe(false);
    expect(lb!.causedBy).toEqual([agent!.id]);
    const lbFile = 'nodes/node-b/cilium/bpf-lb.txt';
    expect(lb!.evidence[0]).toMatchObject({ file: lbFile, line: 17, text: '10.104.122.87:80     10.244.1.17:8080 (11) (1)' });
    expect(lb!.evidence.filter((e) => e.file === lbFile).map((e) => e.line)).toEqual([17, 17, 18]);
  });

  scenario('cilium-lb-no-backends', ['cilium-lb-missing-backends'], (report) => {
    const [lb] = findingsOf(report, 'cilium-lb-missing-backends');
    expect(lb!.subjects).toEqual(['Service/shop/checkout', 'Node/node-c']);
    expect(lb!.severity).toBe('critical');
    expect(lb!.title).toBe("Service shop/checkout has no backends in Cilium's BPF LB map on node-c");
    expect(lb!.message).toContain('2 ready endpoints (10.244.1.23, 10.244.2.18)');
    expect(lb!.evidence[0]).toMatchObject({ file: 'nodes/node-c/cilium/bpf-lb.txt', line: 27, text: '10.97.201.55:80      0.0.0.0:0 (13) (0) [ClusterIP, non-routable]' });
    // A healthy agent: nothing explains it, so it is the root cause.
    expect(lb!.rootCause).toBe(true);
  });

  scenario('cilium-endpoint-not-ready', ['cilium-unhealthy', 'cilium-endpoint-not-ready'], (report) => {
    const [agent] = findingsOf(report, 'cilium-unhealthy');
    expect(agent!.subjects).toEqual(['Node/node-b']);
    expect(agent!.severity).toBe('warning');
    expect(agent!.message).toContain('endpoint-1270-regeneration-recovery');
    expect(agent!.evidence.some((e) => e.file === 'nodes/node-b/cilium/status.txt' && e.line === 36)).toBe(true);

    const [endpoint] = findingsOf(report, 'cilium-endpoint-not-ready');
    expect(endpoint!.subjects).toEqual(['Node/node-b', 'Pod/shop/catalog-6b94965f75-p9m24']);
    expect(endpoint!.severity).toBe('critical');
    expect(endpoint!.message).toContain('1270 pod shop/catalog-6b94965f75-p9m24 10.244.1.8: not-ready (health Failure)');
    expect(endpoint!.evidence[0]).toMatchObject({ file: 'nodes/node-b/cilium/endpoints.json', line: 422, text: '"state": "not-ready"' });
    expect(endpoint!.causedBy).toEqual([agent!.id]);
    expect(agent!.rootCause).toBe(true);
  });

  // ---- Docker hosts: `netdump collect --local` bundles without cluster/ ----
  scenario('docker-host-healthy', [], (report) => {
    // A host, not a cluster: no context, one node folder, and only missing tools noted (info).
    expect(report.bundle.context).toBeUndefined();
    expect(report.bundle.nodes).toBe(1);
    expect(report.findings.map((f) => `${f.rule} ${f.severity}: ${f.title}`).sort()).toEqual([
      'bundle-collection-failed info: `conntrack -C` is not installed on host docker-01',
      'bundle-collection-failed info: `conntrack -S` is not installed on host docker-01',
      'bundle-collection-failed info: `netstat -s` is not installed on host docker-01',
      'bundle-collection-failed info: `nft list ruleset` is not installed on host docker-01',
    ]);
    // A Docker host is a Host, as the Docker rules name it.
    expect([...new Set(report.findings.flatMap((f) => f.subjects))]).toEqual(['Host/docker-01']);
    // The Docker checks ran on the host's captures; Kubernetes checks say what they lacked.
    const coverage = new Map(report.coverage.map((c) => [c.rule, c]));
    for (const rule of ['docker-port-conflict', 'docker-network-isolation', 'docker-overlay-blocked', 'ip-forward-disabled', 'br-netfilter-disabled']) expect(coverage.get(rule)?.status, rule).toBe('checked');
    for (const c of report.coverage.filter((c) => c.status !== 'checked')) expect(c.status, `${c.rule}: ${c.detail}`).toBe('not-collected');
  });

  scenario('docker-port-conflict', ['docker-port-conflict'], (report) => {
    const [finding] = findingsOf(report, 'docker-port-conflict');
    expect(finding!.subjects).toEqual(['Host/docker-01']);
    expect(finding!.title).toBe('grafana and metabase both publish host port 3000/tcp on docker-01');
    expect(finding!.message).toContain('connections to 127.0.0.1:3000 reach only grafana');
    const containers = 'nodes/docker-01/docker/containers.json';
    expect(finding!.evidence.map((e) => [e.file, e.line, e.text])).toEqual([
      [containers, 979, '"HostPort": "3000"'],
      [containers, 1193, '"HostPort": "3000"'],
      ['nodes/docker-01/iptables-save.txt', 53, '-A DOCKER -d 127.0.0.1/32 -p tcp -m tcp --dport 3000 -j DNAT --to-destination 172.17.0.3:3000'],
    ]);
    // The evidence lines are grafana's and metabase's own bindings.
    const lines = fixtureText('docker-port-conflict', containers).split('\n');
    expect(lines.slice(0, 979).filter((l) => l.startsWith('        "Name": "/')).pop()).toContain('/grafana');
    expect(lines.slice(0, 1193).filter((l) => l.startsWith('        "Name": "/')).pop()).toContain('/metabase');
  });

  scenario('docker-containers-isolated', ['docker-network-isolation'], (report) => {
    const findings = findingsOf(report, 'docker-network-isolation');
    // web → api only: db is on the backend alone on purpose (web does not depend on it).
    expect(findings).toHaveLength(1);
    const [finding] = findings;
    expect(finding!.subjects).toEqual(['Host/docker-01']);
    expect(finding!.title).toBe('shop-web-1 cannot reach shop-api-1 on docker-01: networks shop_frontend and shop_backend are isolated');
    expect(finding!.message).toContain('8080/tcp');
    expect(finding!.message).toContain('depends on service api');
    expect(finding!.evidence.map((e) => [e.file, e.line])).toEqual([
      ['nodes/docker-01/docker/containers.json', 910],
      ['nodes/docker-01/docker/containers.json', 663],
      ['nodes/docker-01/iptables-save.txt', 32],
      ['nodes/docker-01/docker/containers.json', 869],
    ]);
    expect(finding!.evidence[2]!.text).toBe('-A DOCKER-ISOLATION-STAGE-2 -o br-e8c6839a9cb2 -j DROP');
  });

  scenario('docker-overlay-blocked', ['docker-overlay-blocked'], (report) => {
    const [finding] = findingsOf(report, 'docker-overlay-blocked');
    expect(finding!.subjects).toEqual(['Host/swarm-01']);
    expect(finding!.severity).toBe('critical');
    expect(finding!.title).toBe('swarm-01 drops overlay traffic (4789/udp) for ingress, shop_backend');
    expect(finding!.message).toContain('from peer 10.20.0.22 to 10.20.0.21');
    expect(finding!.evidence.at(-1)).toMatchObject({ file: 'nodes/swarm-01/iptables-save.txt', line: 19, text: '-A INPUT -j DROP' });
  });

  // ---- node settings and addressing: rp_filter, overlay devices, podCIDRs (fixtures/l3-scenarios.mjs) ----

  const lineRef = (name: string, path: string, pattern: RegExp) => `${path}:${lineOf(name, path, pattern)}`;
  const evidenceLines = (f: Finding) => f.evidence.map((e) => `${e.file}:${e.line}`);

  scenario('rp-filter-strict-multi-nic', ['rp-filter-strict'], (report) => {
    const name = 'rp-filter-strict-multi-nic';
    const [finding, ...others] = findingsOf(report, 'rp-filter-strict');
    expect(others).toEqual([]);
    expect(finding!.subjects).toEqual(['Node/node-b']);
    expect(finding!.title).toBe('Strict rp_filter on node-b drops pod traffic from node-a, node-c');
    expect(finding!.message).toContain("node-a sends them via 10.0.2.12, node-b's address on eth1; rp_filter strict on eth1: the route back to 10.244.0.3 leaves through eth0 (10.244.0.0/24 via 10.0.1.11 dev eth0)");
    // conf.all = 1 makes every interface strict: eth1's own value is beside the point.
    expect(finding!.message).not.toContain('conf.default.rp_filter, which a device gets');
    expect(evidenceLines(finding!)).toEqual([
      lineRef(name, 'nodes/node-b/sysctl.txt', /^net\.ipv4\.conf\.all\.rp_filter = 1$/),
      lineRef(name, 'nodes/node-b/sysctl.txt', /^net\.ipv4\.conf\.default\.rp_filter = 1$/),
      lineRef(name, 'nodes/node-b/ip-route.txt', /^10\.244\.0\.0\/24 via 10\.0\.1\.11 dev eth0$/),
      lineRef(name, 'nodes/node-a/ip-route.txt', /^10\.244\.1\.0\/24 via 10\.0\.2\.12 dev eth1$/),
    ]);
  });

  scenario('tunnel-down-ipip', ['tunnel-down', 'route-missing'], (report) => {
    const name = 'tunnel-down-ipip';
    const [tunnel, ...otherTunnels] = findingsOf(report, 'tunnel-down');
    expect(otherTunnels).toEqual([]);
    expect([tunnel!.subjects, tunnel!.title, tunnel!.severity]).toEqual([['Node/node-c'], 'tunl0 is down on node-c', 'critical']);
    expect(tunnel!.message).toContain('IPPool default-ipv4-ippool (10.244.0.0/16) has ipipMode Always');
    expect(evidenceLines(tunnel!)).toEqual([lineRef(name, 'nodes/node-c/ip-link.txt', /^4: tunl0@NONE: <NOARP> /), lineRef(name, 'cluster/calico/ippools.json', /"ipipMode": "Always"/)]);
    // The routes node-c lost with its tunl0 are the symptom; the other nodes still route to node-c.
    const [route, ...otherRoutes] = findingsOf(report, 'route-missing');
    expect(otherRoutes).toEqual([]);
    expect(route!.subjects).toEqual(['Node/node-c']);
    expect(route!.message).toContain("node-a's podCIDR 10.244.0.0/24: only the default route (via 10.0.1.1 dev eth0) matches, not tunl0");
    expect(route!.evidence[0]).toMatchObject({ file: 'nodes/node-c/ip-route.txt', line: lineOf(name, 'nodes/node-c/ip-route.txt', /^default via 10\.0\.1\.1 /) });
    expect(route!.causedBy).toEqual([tunnel!.id]);
    expect(tunnel!.causes).toEqual([route!.id]);
  });

  scenario('podcidr-overlap', ['podcidr-overlap', 'route-missing'], (report) => {
    const name = 'podcidr-overlap';
    const [overlap, ...others] = findingsOf(report, 'podcidr-overlap');
    expect(others).toEqual([]);
    expect([overlap!.subjects, overlap!.severity]).toEqual([['Node/node-b', 'Node/node-a'], 'critical']);
    expect(overlap!.title).toBe('podCIDRs of node-b (10.244.1.0/23) and node-a (10.244.0.0/24) overlap');
    expect(overlap!.message).toContain('share the addresses of 10.244.0.0/24');
    // spec.podCIDRs, the list the rule reads (dual-stack aware).
    expect(evidenceLines(overlap!)).toEqual([lineRef(name, 'cluster/nodes.json', /^ +"10\.244\.1\.0\/23"$/), lineRef(name, 'cluster/nodes.json', /^ +"10\.244\.0\.0\/24"$/)]);
    // node-b's range as the others route it: node-a's blackhole and node-a's route win for 10.244.0.0/24.
    const routes = findingsOf(report, 'route-missing');
    expect(routes.map((f) => f.subjects)).toEqual([['Node/node-a'], ['Node/node-c']]);
    expect(routes[0]!.message).toContain('"blackhole 10.244.0.0/24 proto bird" catches 10.244.0.1');
    expect(routes[1]!.message).toContain("routed via 10.0.1.11, which is node-a's address, not node-b's");
    // Both are consequences of the overlap, which is the one root cause.
    for (const route of routes) expect([route.rootCause, route.causedBy]).toEqual([false, [overlap!.id]]);
    expect(overlap!.rootCause).toBe(true);
  });

  scenario('pod-ip-outside-cidr', ['pod-ip-outside-cidr'], (report) => {
    const name = 'pod-ip-outside-cidr';
    const [finding, ...others] = findingsOf(report, 'pod-ip-outside-cidr');
    expect(others).toEqual([]);
    const strays = [...podNames(name, 'shop', ''), ...podNames(name, 'ingress-nginx', 'ingress-nginx-controller-')].filter((pod) =>
      fixtureJson(name, 'cluster/pods.json').items.some((p: any) => p.metadata.name === pod && p.spec.nodeName === 'node-c'),
    );
    expect(strays).toHaveLength(5);
    expect(finding!.subjects.slice(0, 1)).toEqual(['Node/node-c']);
    expect(finding!.subjects.slice(1).map((s) => s.split('/')[2]).sort()).toEqual(strays.sort());
    expect([finding!.title, finding!.severity]).toEqual(['5 pods on node-c have IPs outside its podCIDR 10.244.3.0/24', 'critical']);
    expect(finding!.message).toContain('shop/cart-845d9ff6b-nsk8z 10.244.2.21');
    // Nothing routes the old range any more: the other nodes' lookups end at their default route.
    expect(finding!.message).toContain('routed by no node: node-a, node-b send 10.244.2.3 only to the default route (default via 10.0.1.1 dev eth0 proto static)');
    expect(finding!.evidence.at(-1)).toMatchObject({ file: 'nodes/node-a/ip-route.txt', line: lineOf(name, 'nodes/node-a/ip-route.txt', /^default via 10\.0\.1\.1 /) });
    expect(finding!.message).toContain('host-local IPAM on the node podCIDR');
    expect(finding!.evidence[0]).toMatchObject({ file: 'cluster/nodes.json', line: lineOf(name, 'cluster/nodes.json', /^ +"10\.244\.3\.0\/24"$/) });
    expect(finding!.evidence[1]).toMatchObject({
      file: 'cluster/pods.json',
      line: lineInItem(name, 'cluster/pods.json', 'ingress-nginx', 'ingress-nginx-controller-586ccc46fc-5rk2h', /"ip": "10\.244\.2\.3"/),
    });
  });
});

/** The line the README of broken-bundle names, checked against the file itself. */
function redactedLine(): number {
  const lines = fixtureText('broken-bundle', 'cluster/events.json').split('\n');
  const line = lines.findIndex((l) => l.includes('<REDACTED>')) + 1;
  expect(line).toBeGreaterThan(1);
  expect(fixtureText('broken-bundle', 'README.md')).toContain(`line ${line}`);
  return line;
}

// ------------------------------------------------------------------------------------------
// The fixtures themselves
// ------------------------------------------------------------------------------------------

const scenarioDirs = readdirSync(SCENARIOS_DIR)
  .filter((d) => statSync(join(SCENARIOS_DIR, d)).isDirectory())
  .sort();

function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix))
    .sort()
    .flatMap((entry) => {
      const path = prefix ? `${prefix}/${entry}` : entry;
      return statSync(join(dir, path)).isDirectory() ? filesUnder(dir, path) : [path];
    });
}

/** Files whose invalid JSON is the point of the scenario. */
const BROKEN_ON_PURPOSE = new Set(['broken-bundle/cluster/events.json']);

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  const start = Math.floor(ipv4ToInt(base!) / size) * size;
  return ipv4ToInt(ip) >= start && ipv4ToInt(ip) < start + size;
}

describe('scenario fixtures', () => {
  it('every scenario folder has a scenario line above, and every scenario line a folder', () => {
    expect(scenarioDirs).toEqual([...registered].sort());
  });

  describe.each(scenarioDirs)('%s', (name) => {
    const dir = join(SCENARIOS_DIR, name);
    const files = filesUnder(dir);

    // A Docker host's `netdump collect --local` bundle: one host folder, no cluster/.
    const hostCapture = fixtureJson(name, 'manifest.json').collection?.mode === 'local';

    it('has a README.md and a manifest.json for context shop-prod (or a local capture of one host)', () => {
      expect(files).toContain('README.md');
      expect(files).toContain('manifest.json');
      const manifest = fixtureJson(name, 'manifest.json');
      expect(manifest.format).toBe('netdump/v1');
      if (!hostCapture) {
        expect(manifest.cluster.context).toBe('shop-prod');
        return;
      }
      expect(manifest.cluster).toBeUndefined();
      expect(manifest.collection.nodes).toHaveLength(1);
      expect(files.filter((f) => f !== 'README.md' && f !== 'manifest.json').every((f) => f.startsWith(`nodes/${manifest.collection.nodes[0]}/`))).toBe(true);
    });

    it('all its JSON files parse, and cluster files are kubectl Lists', () => {
      for (const path of files.filter((f) => f.endsWith('.json'))) {
        const text = fixtureText(name, path);
        if (BROKEN_ON_PURPOSE.has(`${name}/${path}`)) {
          expect(() => JSON.parse(text), `${path} is broken on purpose`).toThrow(SyntaxError);
          continue;
        }
        if (path === 'hubble/flows.json') {
          // `hubble observe -o json`: one JSON object a line.
          for (const line of text.split('\n').filter((l) => l !== '')) expect(() => JSON.parse(line), line.slice(0, 80)).not.toThrow();
          continue;
        }
        const value = JSON.parse(text);
        if (path.startsWith('cluster/calico/')) {
          // `calicoctl get <resource> -o json` (bundle-format.md): a <Kind>List of projectcalico.org/v3.
          expect({ path, kind: value.kind, apiVersion: value.apiVersion }).toEqual({ path, kind: expect.stringMatching(/List$/), apiVersion: 'projectcalico.org/v3' });
          expect(Array.isArray(value.items), path).toBe(true);
        } else if (path.startsWith('cluster/') && path !== 'cluster/version.json') {
          expect({ path, kind: value.kind, apiVersion: value.apiVersion, metadata: value.metadata }).toEqual({
            path,
            kind: 'List',
            apiVersion: 'v1',
            metadata: { resourceVersion: '' },
          });
          expect(Array.isArray(value.items), path).toBe(true);
          expect(text.startsWith('{\n    "apiVersion": "v1",\n    "items": ['), `${path} is 4-space indented like kubectl`).toBe(true);
        }
      }
    });

    it('its manifest records every file: successful commands have their file, failed ones none', () => {
      const manifest = fixtureJson(name, 'manifest.json');
      const collected = files.filter((f) => f !== 'README.md' && f !== 'manifest.json');
      // The local collector drops an output it does not keep (iptables-legacy-save without rules) and says so.
      // A command that failed after printing something keeps that (`partial output kept`: sysctl and its absent keys).
      const partial = (i: any) => i.note === 'partial output kept';
      const recorded = manifest.items.filter((i: any) => (i.exitCode === 0 && !i.note?.endsWith('output not kept')) || partial(i)).map((i: any) => i.path as string);
      expect(collected).toEqual([...recorded].sort());
      for (const item of manifest.items.filter((i: any) => i.exitCode !== 0 && !partial(i))) {
        expect(files, `${item.path} failed, so it has no file`).not.toContain(item.path);
        // A tool that is not installed leaves no stderr; the local collector says why in `error` or `note`.
        if (hostCapture) expect(item.error ?? item.note).toBeTruthy();
        else expect(item.stderr).not.toBe('');
      }
    });

    it.skipIf(hostCapture)('is internally consistent: pod IPs in their node podCIDR, owners and slice targets resolve', () => {
      const nodes = new Map<string, any>(fixtureJson(name, 'cluster/nodes.json').items.map((n: any) => [n.metadata.name, n]));
      const pods: any[] = fixtureJson(name, 'cluster/pods.json').items;
      const podsByUid = new Map(pods.map((p) => [p.metadata.uid, p]));
      const rsUidByName = new Map<string, string>();
      for (const pod of pods) {
        const node = nodes.get(pod.spec.nodeName);
        expect(node, `${pod.metadata.name} runs on a known node`).toBeDefined();
        const ip = pod.status.podIP as string | undefined;
        // A pod whose sandbox is not set up yet (ContainerCreating) has no IP.
        if (ip === undefined) expect(pod.status.phase, `${pod.metadata.name} without an IP is Pending`).toBe('Pending');
        else if (pod.spec.hostNetwork) expect(ip).toBe(pod.status.hostIP);
        // pod-ip-outside-cidr's node-c was re-registered with a new podCIDR; its pods kept the old range, as its README says.
        else if (name === 'pod-ip-outside-cidr' && pod.spec.nodeName === 'node-c') expect(inCidr(ip, '10.244.2.0/24'), `${pod.metadata.name} ${ip} in node-c's old 10.244.2.0/24`).toBe(true);
        else expect(inCidr(ip, node.spec.podCIDR), `${pod.metadata.name} ${ip} in ${node.spec.podCIDR}`).toBe(true);
        expect(pod.status.hostIP).toBe(node.status.addresses.find((a: any) => a.type === 'InternalIP').address);
        const owner = pod.metadata.ownerReferences?.[0];
        if (owner?.kind === 'ReplicaSet') {
          expect(rsUidByName.get(owner.name) ?? owner.uid, `one uid for ReplicaSet ${owner.name}`).toBe(owner.uid);
          rsUidByName.set(owner.name, owner.uid);
        }
      }
      const podNetworkPods = pods.filter((p) => !p.spec.hostNetwork && p.status.podIP !== undefined);
      expect(new Set(podNetworkPods.map((p) => p.status.podIP)).size).toBe(podNetworkPods.length);

      const services: any[] = fixtureJson(name, 'cluster/services.json').items;
      const serviceUids = new Map(services.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s.metadata.uid]));
      for (const svc of services) expect(inCidr(svc.spec.clusterIP, '10.96.0.0/12'), `${svc.metadata.name} ClusterIP`).toBe(true);

      const dangling: string[] = [];
      for (const slice of fixtureJson(name, 'cluster/endpointslices.json').items) {
        const service = `${slice.metadata.namespace}/${slice.metadata.labels['kubernetes.io/service-name']}`;
        expect(serviceUids.has(service), `slice ${slice.metadata.name} belongs to a Service`).toBe(true);
        const owner = slice.metadata.ownerReferences?.[0];
        if (owner) expect(owner.uid).toBe(serviceUids.get(service));
        for (const endpoint of slice.endpoints ?? []) {
          if (!endpoint.targetRef) continue;
          const pod = podsByUid.get(endpoint.targetRef.uid);
          if (!pod) dangling.push(`${slice.metadata.name} → ${endpoint.addresses[0]}`);
          else expect([pod.metadata.name, pod.status.podIP, pod.spec.nodeName]).toEqual([endpoint.targetRef.name, endpoint.addresses[0], endpoint.nodeName]);
        }
      }
      // Only the stale-slice scenario lists a pod that no longer exists, as its README says.
      expect(dangling).toEqual(name === 'stale-endpointslices' ? [expect.stringMatching(/^cart-\w+ → 10\.244\.2\.21$/)] : []);
    });
  });
});
