/**
 * node-capture.sh for real, in a network namespace built like a Kubernetes node (node-lab.ts):
 * `collectLocal` runs it through `ip netns exec`, writes the .tgz, and the analyzer must read
 * every file it produced — the bundle reader, the model and every parser of the node files,
 * with no parse problem. Then the failure paths: a missing tool, a failing command, a hanging
 * one (with and without `timeout`), and an interrupt, none of which may abort the capture.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeBundle, buildModel } from '../../analyzer/analyze.js';
import type { Bundle } from '../../analyzer/bundle/bundle.js';
import type { ParseIssue } from '../../analyzer/bundle/parse-issue.js';
import { readBundle } from '../../analyzer/bundle/read-bundle.js';
import type { SourceFile } from '../../analyzer/bundle/source-file.js';
import { parseCniConfig } from '../../analyzer/cni/parse-cni-config.js';
import { parseDockerContainers } from '../../analyzer/cni/parse-docker-containers.js';
import { parseDockerNetworks } from '../../analyzer/cni/parse-docker-networks.js';
import { parseConntrackCount, parseConntrackStats } from '../../analyzer/dns/parse-conntrack-stats.js';
import { parseResolvConf } from '../../analyzer/dns/parse-resolv-conf.js';
import { parseIpsetSave } from '../../analyzer/netfilter/parse-ipset-save.js';
import { parseIptablesSave } from '../../analyzer/netfilter/parse-iptables-save.js';
import { parseNftRuleset } from '../../analyzer/netfilter/parse-nft-ruleset.js';
import { parseSysctl } from '../../analyzer/node/parse-sysctl.js';
import { parseIpAddr } from '../../analyzer/routing/parse-ip-addr.js';
import { parseIpLink } from '../../analyzer/routing/parse-ip-link.js';
import { parseIpRoute } from '../../analyzer/routing/parse-ip-route.js';
import { parseIpRule } from '../../analyzer/routing/parse-ip-rule.js';
import { parseNetstatS } from '../../analyzer/routing/parse-netstat-s.js';
import { deanonymizeText } from '../../collector/anonymize/deanonymize.js';
import { collectLocal, type CollectSummary } from '../../collector/collect-local.js';
import { NODE_CAPTURE_SPECS } from '../../collector/collection-specs.js';
import type { ManifestItemDocument } from '../../collector/manifest-document.js';
import { Progress } from '../../collector/progress.js';
import { NODE_CAPTURE_SCRIPT, runNodeCapture } from '../../collector/run-node-capture.js';
import { createNodeLab, LAB, nodeLabProblem, PLANTED, type NodeLab } from './node-lab.js';

const problem = nodeLabProblem();
if (problem) console.warn(`skipped: node capture in a network namespace — ${problem}`);

function itemFor(summary: CollectSummary, path: string): ManifestItemDocument {
  const item = summary.manifest.items.find((i) => i.path === path);
  if (!item) throw new Error(`no manifest item for ${path}: ${summary.manifest.items.map((i) => i.path).join(', ')}`);
  return item;
}

function parseIssuesOf(bundle: Bundle, path: string, parse: (file: SourceFile) => { issues: ParseIssue[] }): ParseIssue[] {
  const file = bundle.get(path);
  if (!file) throw new Error(`${path} is not in the bundle`);
  return parse(file).issues;
}

describe.skipIf(problem !== undefined)('node-capture.sh in a network namespace', () => {
  let lab: NodeLab;
  beforeAll(() => {
    lab = createNodeLab();
  });
  afterAll(() => lab?.destroy());

  describe('a full capture of a Kubernetes-like node with Docker', () => {
    const node = 'node-a';
    const base = `nodes/${node}`;
    let summary: CollectSummary;
    let bundle: Bundle;
    let progressText = '';

    beforeAll(async () => {
      const path = lab.toolPath({ fakes: { docker: lab.fakeDocker() } });
      summary = await collectLocal({
        output: join(lab.dir, 'full.tgz'),
        nodeName: node,
        timeoutSeconds: 20,
        progress: new Progress({ write: (text) => (progressText += text), isTTY: false, quiet: false }),
        capture: { launcher: ['ip', 'netns', 'exec', lab.netns], hostRoot: lab.hostRoot, env: { PATH: path } },
      });
      bundle = await readBundle(summary.bundle.path);
    });

    it('writes a .tgz that tar lists, under one top folder, with manifest.json and nodes/<node>/ only', () => {
      const listing = execFileSync('tar', ['-tzf', summary.bundle.path], { encoding: 'utf8' }).split('\n').filter(Boolean);
      expect(listing).toContain('full/manifest.json');
      expect(listing).toContain(`full/${base}/iptables-save.txt`);
      expect(listing.every((entry) => entry.startsWith('full/'))).toBe(true);
      expect(bundle.issues).toEqual([]);
      expect(bundle.nodeNames()).toEqual([node]);
      expect([...bundle.files.keys()].filter((p) => !p.startsWith(`${base}/`))).toEqual(['manifest.json']);
    });

    it('records every command in the manifest with its exit code, duration and stderr', () => {
      const manifest = bundle.manifest!;
      expect(manifest.format).toBe('netdump/v1');
      expect(manifest.collector).toEqual({ name: 'netdump', version: expect.any(String) });
      expect(manifest.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      const ran = [
        'iptables-save.txt', 'ip6tables-save.txt', 'iptables-legacy-save.txt', 'iptables-nft-save.txt', 'nft-ruleset.txt',
        'ipset-save.txt', 'ip-addr.txt', 'ip-link.txt', 'ip-route.txt', 'ip-rule.txt', 'sysctl.txt', 'conntrack-stats.txt',
        'conntrack-count.txt', 'netstat-s.txt', 'resolv.conf', 'cni/10-calico.conflist', 'cni/10-flannel.conflist',
        'cni/calico-kubeconfig', 'docker/networks.json', 'docker/containers.json',
      ];
      for (const path of ran) {
        const item = itemFor(summary, `${base}/${path}`);
        expect(item, path).toMatchObject({ node, exitCode: 0, durationMs: expect.any(Number) });
        expect(item.error, path).toBeUndefined();
        expect(bundle.has(`${base}/${path}`), path).toBe(true);
      }
      // Read back through the analyzer's manifest reader, every item is there.
      expect(manifest.items.map((i) => i.path)).toEqual(summary.manifest.items.map((i) => i.path));
      // /etc/resolv.conf is a relative symlink: followed inside the host root, not into this machine's /run.
      expect(itemFor(summary, `${base}/resolv.conf`).command).toBe(`cat ${lab.hostRoot}/etc/../run/systemd/resolve/resolv.conf`);
      expect(itemFor(summary, `${base}/sysctl.txt`).command).toBe(NODE_CAPTURE_SPECS.find((s) => s.id === 'sysctl')!.command);
      // This kernel has no IPVS loaded: ipvsadm is not run (it would load the module), and says why.
      const ipvs = itemFor(summary, `${base}/ipvsadm.txt`);
      if (!bundle.has(`${base}/ipvsadm.txt`)) {
        expect(ipvs.exitCode).toBeUndefined();
        expect(ipvs.note).toMatch(/^not run: IPVS is not loaded/);
      }
      expect(summary.outcomes.failed).toBe(0);
      expect(summary.manifest.collection).toMatchObject({ mode: 'local', nodes: [node], interrupted: false, problems: [] });
    });

    it('progress lists every step as a plain line', () => {
      expect(progressText).toContain(`netdump: ${node} [1/`);
      expect(progressText).toMatch(/ok iptables-save\.txt/);
      expect(progressText).toMatch(/ok cni\/calico-kubeconfig/);
    });

    it('leaves the analyzer nothing it cannot parse', () => {
      const model = buildModel(bundle);
      expect(model.parseIssues).toEqual([]);
      const report = analyzeBundle(bundle);
      expect(report.problems).toEqual([]);
      // The nftables simulator does not evaluate `ct status dnat` (iptables-nft's translation of
      // kube-proxy's `--ctstate DNAT`) and says so at info level; nothing failed to be read.
      const parseErrors = report.findings.filter((f) => f.rule === 'bundle-parse-error');
      expect(parseErrors.filter((f) => f.data?.code !== 'UNSUPPORTED_FEATURE' || f.severity !== 'info')).toEqual([]);
      expect(report.findings.filter((f) => f.rule === 'bundle-collection-failed')).toEqual([]);
    });

    it('every node file parses with no BAD_LINE, and holds what the lab put there', () => {
      const parsers: [string, (file: SourceFile) => { issues: ParseIssue[] }][] = [
        ['iptables-save.txt', parseIptablesSave],
        ['ip6tables-save.txt', parseIptablesSave],
        ['iptables-legacy-save.txt', parseIptablesSave],
        ['iptables-nft-save.txt', parseIptablesSave],
        ['nft-ruleset.txt', parseNftRuleset],
        ['ipset-save.txt', parseIpsetSave],
        ['ip-addr.txt', parseIpAddr],
        ['ip-link.txt', parseIpLink],
        ['ip-route.txt', parseIpRoute],
        ['ip-rule.txt', parseIpRule],
        ['sysctl.txt', parseSysctl],
        ['conntrack-stats.txt', parseConntrackStats],
        ['conntrack-count.txt', parseConntrackCount],
        ['netstat-s.txt', parseNetstatS],
        ['resolv.conf', parseResolvConf],
        ['cni/10-calico.conflist', parseCniConfig],
        ['cni/10-flannel.conflist', parseCniConfig],
        ['docker/networks.json', parseDockerNetworks],
        ['docker/containers.json', parseDockerContainers],
      ];
      const badLines = parsers.flatMap(([path, parse]) => parseIssuesOf(bundle, `${base}/${path}`, parse).filter((i) => i.code === 'BAD_LINE'));
      expect(badLines).toEqual([]);

      const file = (path: string) => bundle.get(`${base}/${path}`)!;
      const iptables = parseIptablesSave(file('iptables-save.txt')).value;
      const svcChain = iptables.tables.get('nat')!.chains.get('KUBE-SVC-TCOU7JCQXEZGVUNU')!;
      expect(svcChain.rules.length).toBe(3);
      expect(parseIptablesSave(file('iptables-legacy-save.txt')).value.ruleCount).toBe(1);

      const interfaces = parseIpAddr(file('ip-addr.txt')).value.interfaces;
      const eth0 = interfaces.find((i) => i.name === 'eth0')!;
      expect(eth0.addresses.map((a) => `${a.text}/${a.prefixLength}`)).toEqual(expect.arrayContaining([`${LAB.nodeIPv4}/24`, `${LAB.nodeIPv6}/64`]));
      expect(interfaces.find((i) => i.name === 'flannel.1')!.details?.kind).toBe('vxlan');
      expect(interfaces.find((i) => i.name === 'veth-pod0')!.master).toBe('cni0');

      const routes = parseIpRoute(file('ip-route.txt')).value.routes;
      expect(routes.some((r) => r.table === 'main' && r.destination.prefix === 0 && r.text.includes(`via ${LAB.gateway}`))).toBe(true);
      expect(routes.some((r) => r.table === '100')).toBe(true);
      expect(parseIpRule(file('ip-rule.txt')).value.rules.some((r) => r.priority === 100)).toBe(true);

      const sysctl = parseSysctl(file('sysctl.txt')).value;
      expect(sysctl.values.get('net.ipv4.ip_forward')?.value).toBe('1');
      expect(sysctl.values.get('net.ipv4.conf.default.rp_filter')?.value).toBe('2');
      expect(parseIpsetSave(file('ipset-save.txt')).value.sets.has('KUBE-LOOP-BACK')).toBe(true);
      expect(parseNftRuleset(file('nft-ruleset.txt')).value.tables.has('inet host_firewall')).toBe(true);
      expect(parseResolvConf(file('resolv.conf')).value.nameservers.map((n) => n.address)).toEqual(['10.0.1.1']);
      expect(parseConntrackCount(file('conntrack-count.txt')).value?.count).toEqual(expect.any(Number));
      expect(parseDockerContainers(file('docker/containers.json')).value.containers.map((c) => c.name)).toEqual(['db']);
      expect(parseDockerNetworks(file('docker/networks.json')).value.networks.map((n) => n.name)).toEqual(['bridge', 'backend']);
    });

    it('redacts every planted credential and counts it per file', () => {
      for (const [path, source] of bundle.files) {
        for (const [what, secret] of Object.entries(PLANTED)) {
          expect(source.text.includes(secret), `${what} survived in ${path}`).toBe(false);
        }
      }
      const redacted = summary.manifest.redaction.redacted;
      expect(redacted).toEqual(
        expect.arrayContaining([
          { path: `${base}/cni/10-calico.conflist`, in: 'output', kind: 'url-password', count: 1 },
          { path: `${base}/cni/calico-kubeconfig`, in: 'output', kind: 'jwt', count: 1 },
          { path: `${base}/cni/calico-kubeconfig`, in: 'output', kind: 'private-key', count: 1 },
          { path: `${base}/ip-link.txt`, in: 'output', kind: 'url-password', count: 1 },
          { path: `${base}/ip-addr.txt`, in: 'output', kind: 'url-password', count: 1 },
          { path: `${base}/iptables-legacy-save.txt`, in: 'output', kind: 'password', count: 1 },
          { path: `${base}/nft-ruleset.txt`, in: 'output', kind: 'token', count: 1 },
          { path: `${base}/docker/containers.json`, in: 'output', kind: 'password', count: 1 },
          { path: `${base}/docker/containers.json`, in: 'output', kind: 'aws-access-key', count: 1 },
          { path: `${base}/docker/containers.json`, in: 'output', kind: 'aws-secret-key', count: 1 },
        ]),
      );
      expect(summary.manifest.redaction.total).toBe(redacted.reduce((sum, entry) => sum + entry.count, 0));
      // The Service port name that merely contains "token" is untouched.
      expect(bundle.get(`${base}/iptables-save.txt`)!.text).toContain('"auth/token-service:http cluster IP"');
      const manifestText = bundle.get('manifest.json')!.text;
      for (const secret of Object.values(PLANTED)) expect(manifestText).not.toContain(secret);
    });
  });

  describe('missing, failing and hanging tools', () => {
    let summary: CollectSummary;
    let bundle: Bundle;

    beforeAll(async () => {
      const path = lab.toolPath({
        hide: ['ipset', 'timeout', 'docker'],
        fakes: {
          conntrack: '#!/bin/sh\nexec sleep 30\n',
          nft: `#!/bin/sh\necho "Error: cannot fetch https://mirror:${PLANTED.stderrPassword}@mirror.example/nft.conf" >&2\necho "Error: Could not process rule: Operation not permitted" >&2\nexit 1\n`,
        },
      });
      summary = await collectLocal({
        output: join(lab.dir, 'degraded.tgz'),
        // Long enough for the real tools on a loaded CI machine, short for the two that hang.
        timeoutSeconds: 3,
        capture: { launcher: ['ip', 'netns', 'exec', lab.netns], hostRoot: lab.hostRoot, env: { PATH: path } },
      });
      bundle = await readBundle(summary.bundle.path);
    });

    it('names the node after the host when no node name is given', () => {
      expect(bundle.nodeNames()).toEqual([hostname()]);
    });

    it('records a missing tool as exit 127 "command not found", with no output file', () => {
      const base = `nodes/${hostname()}`;
      expect(itemFor(summary, `${base}/ipset-save.txt`)).toMatchObject({ command: 'ipset save', exitCode: 127, error: 'command not found' });
      expect(bundle.has(`${base}/ipset-save.txt`)).toBe(false);
    });

    it('records a failing command with its exit code and (redacted) stderr, and goes on', () => {
      const base = `nodes/${hostname()}`;
      const nft = itemFor(summary, `${base}/nft-ruleset.txt`);
      expect(nft).toMatchObject({ exitCode: 1, stderr: expect.stringContaining('Operation not permitted') });
      expect(nft.stderr).toContain('https://mirror:<redacted:url-password>@mirror.example');
      expect(bundle.has(`${base}/nft-ruleset.txt`)).toBe(false);
      expect(summary.manifest.redaction.redacted).toContainEqual({ path: `${base}/nft-ruleset.txt`, in: 'stderr', kind: 'url-password', count: 1 });
      for (const path of ['ip-addr.txt', 'ip-route.txt', 'sysctl.txt', 'netstat-s.txt', 'resolv.conf']) {
        expect(itemFor(summary, `${base}/${path}`).exitCode, path).toBe(0);
        expect(bundle.has(`${base}/${path}`), path).toBe(true);
      }
    });

    it('ends a hanging command at the timeout (without `timeout`, by the script\'s watchdog) and goes on', () => {
      const base = `nodes/${hostname()}`;
      for (const path of ['conntrack-stats.txt', 'conntrack-count.txt']) {
        expect(itemFor(summary, `${base}/${path}`), path).toMatchObject({ error: 'timed out' });
      }
      expect(itemFor(summary, `${base}/netstat-s.txt`).exitCode).toBe(0);
    });

    it('skips docker on a host without it, saying why', () => {
      const base = `nodes/${hostname()}`;
      expect(itemFor(summary, `${base}/docker/networks.json`)).toEqual({
        path: `${base}/docker/networks.json`,
        node: hostname(),
        command: 'docker network inspect $(docker network ls -q)',
        note: 'not run: docker is not installed',
      });
    });

    it('the analyzer names the failures and still parses everything that was collected', () => {
      const report = analyzeBundle(bundle);
      expect(report.findings.filter((f) => f.rule === 'bundle-parse-error')).toEqual([]);
      const failed = report.findings.filter((f) => f.rule === 'bundle-collection-failed').map((f) => f.title);
      expect(failed).toEqual(expect.arrayContaining([expect.stringContaining('`ipset save` is not installed'), expect.stringContaining('`nft list ruleset` failed')]));
    });
  });

  it('with coreutils timeout, a hanging command is ended and recorded as timed out', async () => {
    const path = lab.toolPath({ fakes: { conntrack: '#!/bin/sh\nexec sleep 30\n' }, hide: ['docker'] });
    const summary = await collectLocal({
      output: join(lab.dir, 'timeout.tgz'),
      nodeName: 'node-t',
      timeoutSeconds: 3,
      capture: { launcher: ['ip', 'netns', 'exec', lab.netns], hostRoot: lab.hostRoot, env: { PATH: path } },
    });
    expect(itemFor(summary, 'nodes/node-t/conntrack-stats.txt')).toMatchObject({ exitCode: 124, error: 'timed out' });
    expect(itemFor(summary, 'nodes/node-t/netstat-s.txt').exitCode).toBe(0);
  });

  it('an interrupt stops the capture, and the bundle holds what was collected with the rest marked interrupted', async () => {
    const path = lab.toolPath({ fakes: { conntrack: '#!/bin/sh\nexec sleep 60\n' }, hide: ['docker'] });
    const controller = new AbortController();
    const summary = await collectLocal({
      output: join(lab.dir, 'interrupted.tgz'),
      nodeName: 'node-i',
      timeoutSeconds: 60,
      signal: controller.signal,
      // Interrupt as soon as the step before the hanging one is done.
      progress: new Progress({
        write: (text) => {
          if (text.includes(' ok sysctl.txt')) controller.abort();
        },
        isTTY: false,
        quiet: false,
      }),
      capture: { launcher: ['ip', 'netns', 'exec', lab.netns], hostRoot: lab.hostRoot, env: { PATH: path } },
    });
    const bundle = await readBundle(summary.bundle.path);
    expect(summary.manifest.collection.interrupted).toBe(true);
    expect(itemFor(summary, 'nodes/node-i/sysctl.txt').exitCode).toBe(0);
    expect(bundle.has('nodes/node-i/ip-route.txt')).toBe(true);
    expect(itemFor(summary, 'nodes/node-i/conntrack-stats.txt').error).toBe('interrupted');
    for (const path of ['conntrack-count.txt', 'netstat-s.txt', 'resolv.conf', 'cni/', 'docker/networks.json', 'docker/containers.json']) {
      expect(itemFor(summary, `nodes/node-i/${path}`), path).toMatchObject({ error: 'interrupted', note: 'not run' });
    }
    expect(summary.outcomes.interrupted).toBe(7);
    expect(bundle.issues).toEqual([]);
  });

  it('keeps the legacy backend\'s dump when it holds a DROP policy, and not when it holds nothing', async () => {
    const netns = `ndc-${process.pid}-bare`;
    execFileSync('ip', ['netns', 'add', netns]);
    try {
      const capture = () => runNodeCapture({ node: 'bare', timeoutSeconds: 10, launcher: ['ip', 'netns', 'exec', netns] });
      execFileSync('ip', ['netns', 'exec', netns, 'iptables-legacy', '-P', 'FORWARD', 'DROP']);
      const withPolicy = await capture();
      expect(withPolicy.files.get('iptables-legacy-save.txt')?.toString()).toContain(':FORWARD DROP [0:0]');

      execFileSync('ip', ['netns', 'exec', netns, 'iptables-legacy', '-P', 'FORWARD', 'ACCEPT']);
      const empty = await capture();
      expect(empty.files.has('iptables-legacy-save.txt')).toBe(false);
      expect(empty.records.find((r) => r.id === 'iptables-legacy-save')).toMatchObject({ exitCode: 0, note: 'holds no rules; output not kept' });
      expect(empty.problems).toEqual([]);
    } finally {
      execFileSync('ip', ['netns', 'del', netns]);
    }
  });

  it('the script read from stdin (`sh -s`, as `kubectl exec -i` sends it) captures what `sh -c` captures', async () => {
    const env = { PATH: lab.toolPath({}) };
    const launcher = ['ip', 'netns', 'exec', lab.netns];
    const viaArgument = await runNodeCapture({ node: 'node-a', timeoutSeconds: 10, launcher, hostRoot: lab.hostRoot, env });
    const viaStdin = await runNodeCapture({ node: 'node-a', timeoutSeconds: 10, launcher, hostRoot: lab.hostRoot, env, scriptVia: 'stdin' });
    expect(viaStdin.problems).toEqual([]);
    expect(viaStdin.exitCode).toBe(0);
    expect([...viaStdin.files.keys()].sort()).toEqual([...viaArgument.files.keys()].sort());
    expect(viaStdin.records.map((r) => `${r.id} ${r.exitCode}`)).toEqual(viaArgument.records.map((r) => `${r.id} ${r.exitCode}`));
    expect(viaStdin.files.get('resolv.conf')!.toString()).toBe(viaArgument.files.get('resolv.conf')!.toString());
  });

  it('--anonymize: pseudonyms in the bundle, the mapping file beside it (0600) turns them back', async () => {
    const key = Buffer.alloc(32, 7);
    const summary = await collectLocal({
      output: join(lab.dir, 'anon.tgz'),
      nodeName: 'node-a',
      timeoutSeconds: 10,
      anonymizeKey: key,
      capture: { launcher: ['ip', 'netns', 'exec', lab.netns], hostRoot: lab.hostRoot, env: { PATH: lab.toolPath({}) } },
    });
    const mapPath = join(lab.dir, 'anon.map.json');
    expect(summary.anonymization).toMatchObject({ mapPath });
    expect(statSync(mapPath).mode & 0o777).toBe(0o600);
    const map = JSON.parse(readFileSync(mapPath, 'utf8'));
    const pseudonym: string = map.names.forward['node-a'];
    expect(pseudonym).toMatch(/^node-[0-9a-f]{8,}$/);
    const anonymizedIp: string = map.addresses.forward[LAB.nodeIPv4];
    expect(anonymizedIp).toMatch(/^10\./);
    expect(anonymizedIp).not.toBe(LAB.nodeIPv4);

    const bundle = await readBundle(summary.bundle.path);
    const paths = [...bundle.files.keys()];
    expect(paths.some((p) => p.startsWith(`nodes/${pseudonym}/`))).toBe(true);
    expect(paths.some((p) => p.includes('node-a'))).toBe(false);
    const everything = [...bundle.files.values()].map((f) => f.text).join('\n');
    expect(everything).not.toMatch(/(?<![\d.])10\.0\.1\.11(?![\d])/);
    expect(everything).not.toMatch(/\bnode-a\b/);
    expect(bundle.get(`nodes/${pseudonym}/ip-addr.txt`)!.text).toContain(`inet ${anonymizedIp}/24`);
    expect(JSON.parse(bundle.get('manifest.json')!.text).redaction.anonymized).toBe(true);
    // The same key gives the same pseudonyms: what --anonymize-key makes possible across collections.
    expect(deanonymizeText(`node ${pseudonym} has ${anonymizedIp}`, map)).toBe(`node node-a has ${LAB.nodeIPv4}`);
  });

  it('`node-capture.sh --tar` streams its files as a tar on stdout', () => {
    const tar = execFileSync('ip', ['netns', 'exec', lab.netns, 'dash', NODE_CAPTURE_SCRIPT, '--tar', '--node', 'node-s', '--timeout', '10'], {
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const listing = execFileSync('tar', ['-tf', '-'], { input: tar, encoding: 'utf8' }).split('\n');
    expect(listing).toEqual(expect.arrayContaining(['nodes/node-s/ip-addr.txt', 'nodes/node-s/iptables-save.txt', 'capture-log/records.tsv']));
  });
});
