import type { Evidence } from '../analyzer/bundle/source-file.js';
import { CNI_NODE_FILES, nodeCnis } from '../analyzer/cni/node-cni.js';
import type { CiliumLbService } from '../analyzer/cni/parse-cilium-bpf-lb.js';
import { inputs, nodeFile } from '../analyzer/engine/inputs.js';
import { defineRule } from '../analyzer/engine/rule.js';
import { formatIpAddress } from '../analyzer/netfilter/ip-cidr.js';
import { endpointViewOf } from './lib/endpoint-view.js';
import { listSome, plural } from './lib/list-text.js';
import { setNodeCoverage } from './lib/node-coverage.js';

/** Ready endpoint addresses named per finding, at most. */
const SHOWN = 5;

/**
 * With kube-proxy replacement, Cilium balances a ClusterIP in BPF: the `cilium bpf lb list`
 * entry of `<clusterIP>:<port>` lists the backends the node's pods connect to. A Service with
 * ready endpoints whose entry has no backends (only the master entry), names backend ids the
 * backend map lacks (`backend N not found`), or lacks some ready endpoint addresses, is out of
 * sync on that node: connections fail or skip those pods there, and only there.
 * Backends are compared by address. With internalTrafficPolicy Local only the node's own ready
 * endpoints are expected in its entry.
 */
export default defineRule({
  id: 'cilium-lb-missing-backends',
  layer: 'cni',
  severity: 'critical',
  description: "The BPF load-balancer map lacks a Service's ready backends",
  area: 'CNI health',
  requires: [nodeFile(CNI_NODE_FILES.ciliumBpfLb), inputs.services, inputs.serviceEndpoints],
  check(ctx) {
    const kube = ctx.model.kube;
    const maps = nodeCnis(ctx.model).filter((entry) => entry.ciliumBpfLb);
    const byNode = maps.map((entry) => {
      const frontends = new Map<string, CiliumLbService>();
      for (const service of entry.ciliumBpfLb!.value.services) {
        if (service.internalScope) continue;
        // 1.18+ prints the protocol, so DNS on 53/TCP and 53/UDP are two entries; older maps have one.
        const key = `${formatIpAddress(service.address)}:${service.port}`;
        frontends.set(service.protocol ? `${key}/${service.protocol.toUpperCase()}` : key, service);
      }
      return { entry, file: entry.ciliumBpfLb!.file, frontends };
    });

    for (const service of kube.services) {
      if (service.clusterIPs.length === 0 || service.ports.length === 0) continue;
      const view = endpointViewOf(kube, service);
      const readyEntries = view.entries.filter((e) => e.ready);
      const known = new Set(view.entries.map((e) => e.address));
      if (readyEntries.length === 0) continue;
      const name = `${service.namespace}/${service.name}`;
      // internalTrafficPolicy Local: each node's ClusterIP entry holds only its own endpoints.
      const nodeLocal = service.internalTrafficPolicy === 'Local';
      for (const { entry, file, frontends } of byNode) {
        const ready = [...new Set(readyEntries.filter((e) => !nodeLocal || e.nodeName === entry.node).map((e) => e.address))];
        if (ready.length === 0) continue;
        for (const clusterIP of service.clusterIPs) {
          for (const port of service.ports) {
            const frontend = `${clusterIP.includes(':') ? `[${clusterIP}]` : clusterIP}:${port.port}`;
            const lb = frontends.get(`${clusterIP}:${port.port}/${port.protocol}`) ?? frontends.get(`${clusterIP}:${port.port}`);
            if (!lb) continue;
            const present = new Set(lb.backends.map((b) => formatIpAddress(b.address)));
            const absent = ready.filter((address) => !present.has(address));
            if (absent.length === 0 && lb.missingBackends.length === 0) continue;
            // Backends the API no longer lists at all: pods that are gone, which the map still balances to.
            const stale = lb.backends.filter((b) => !known.has(formatIpAddress(b.address)));
            const onlyStale = lb.backends.length > 0 && stale.length === lb.backends.length;

            const sentences: string[] = [];
            const evidence: Evidence[] = [file.evidenceAtLine(lb.line, `frontend ${frontend}`)];
            if (lb.backends.length === 0) {
              sentences.push(`the BPF LB entry of ${frontend} on ${entry.node} has no backends${lb.masterLine !== undefined ? ' (only the service entry 0.0.0.0:0)' : ''}`);
              if (lb.masterLine !== undefined && lb.masterLine !== lb.line) evidence.push(file.evidenceAtLine(lb.masterLine, 'service entry, no backend'));
            } else if (absent.length > 0) {
              sentences.push(`the BPF LB entry of ${frontend} on ${entry.node} lists ${plural(lb.backends.length, 'backend')} (${listSome(lb.backends.map((b) => b.text), SHOWN)}) but not ${listSome(absent, SHOWN)}`);
              if (onlyStale) sentences.push(`none of the backends it lists is an endpoint of the Service any more`);
              else if (stale.length > 0) sentences.push(`${listSome(stale.map((b) => b.text), SHOWN)} ${stale.length === 1 ? 'is no longer an endpoint' : 'are no longer endpoints'} of the Service`);
              for (const b of stale.slice(0, SHOWN)) evidence.push(file.evidenceAtLine(b.line, `stale backend ${b.text}`));
            }
            for (const missing of lb.missingBackends.slice(0, SHOWN)) {
              evidence.push(file.evidenceAtLine(missing.line, `backend ${missing.id} not found`));
            }
            if (lb.missingBackends.length > 0) {
              sentences.push(`${plural(lb.missingBackends.length, 'slot')} of ${frontend} ${lb.missingBackends.length === 1 ? 'names a backend id' : 'name backend ids'} the backend map does not hold (${lb.missingBackends.map((m) => `backend ${m.id} not found`).join(', ')})`);
            }
            const first = readyEntries.find((e) => absent.includes(e.address));
            if (first) evidence.push(first.addressEvidence(`ready endpoint ${first.address}`));
            const none = lb.backends.length === 0 || onlyStale;
            ctx.report({
              subjects: [service.ref, `Node/${entry.node}`],
              title: onlyStale
                ? `Cilium's BPF LB map on ${entry.node} sends Service ${name} only to pods that are gone`
                : none
                  ? `Service ${name} has no backends in Cilium's BPF LB map on ${entry.node}`
                  : `Cilium's BPF LB map on ${entry.node} lacks backends of Service ${name}`,
              message: `${sentences.join('; ')}, while the API lists ${plural(ready.length, 'ready endpoint')} (${listSome(ready, SHOWN)}). Pods on ${entry.node} connecting to ${frontend} ${none ? (onlyStale ? 'are sent to pods that are gone and get no answer' : 'get no answer or a reset') : 'never reach the missing backends (and fail when a slot points at a missing backend)'}: the agent has not synced this Service.`,
              evidence,
              severity: none || lb.missingBackends.length > 0 ? 'critical' : 'warning',
              remediation: `check the cilium agent on ${entry.node} (cilium-unhealthy; k8s watcher and service sync errors in its log); restarting the agent resyncs the map`,
              commands: [`cilium-dbg bpf lb list | grep -A5 '${frontend}'   # on ${entry.node}`, `cilium-dbg service list`, `kubectl -n ${service.namespace} get endpointslices -l kubernetes.io/service-name=${service.name} -o wide`],
              // An unhealthy agent on the node (its Kubernetes watches failing) is why the map is out of sync.
              causedBy: [{ rule: 'cilium-unhealthy', subject: `Node/${entry.node}` }],
              data: { service: service.ref, node: entry.node, frontend, readyEndpoints: ready, backends: lb.backends.map((b) => b.text), absent, stale: stale.map((b) => b.text), missingBackendIds: lb.missingBackends.map((m) => m.id) },
            });
          }
        }
      }
    }
    setNodeCoverage(ctx, 'cilium bpf lb list read', maps.length);
  },
});
