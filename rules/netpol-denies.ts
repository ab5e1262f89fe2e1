import type { Evidence } from '../analyzer/bundle/source-file.js';
import type { AnalysisModel } from '../analyzer/engine/analysis-model.js';
import { anyOf, inputs } from '../analyzer/engine/inputs.js';
import { defineRule, type CauseRef, type RuleContext } from '../analyzer/engine/rule.js';
import type { Ingress, IngressBackendRef, Pod } from '../analyzer/kube/types.js';
import { evaluateResolved } from '../analyzer/policy/evaluate.js';
import { describePort } from '../analyzer/policy/flow-text.js';
import { policySet } from '../analyzer/policy/policy-facet.js';
import type { FlowVerdict, PolicyFlow } from '../analyzer/policy/policy-types.js';
import { endpointForIp, resolveFlowQuery, type FlowQuery, type ResolvedFlows } from '../analyzer/policy/resolve-flow.js';
import type { Probe } from '../analyzer/probes/parse-probes.js';
import { findControllers } from './lib/controller-sightings.js';
import { endGroup } from './lib/flow-groups.js';
import { knownIngressController } from './lib/ingress-controllers.js';
import { listSome, plural } from './lib/list-text.js';
import { explainDenial } from './lib/policy-denial.js';
import { hubbleFlows, HUBBLE_FLOWS_PATH, probes } from './lib/policy-inputs.js';
import { workloadOf } from './lib/workload-of.js';

type SourceKind = 'ingress' | 'probe' | 'hubble';

/** Where the bundle names a flow: an Ingress route, a probe, a Hubble record. */
interface FlowSource {
  kind: SourceKind;
  text: string;
  evidence: Evidence;
  subjects: string[];
}

/** One flow question (source group → destination, port), with every place that asks it. */
interface FlowCase {
  key: string;
  query: FlowQuery;
  resolved: ResolvedFlows;
  sources: FlowSource[];
}

/**
 * Concrete flows the bundle names, judged by the policy engine; a denied one is reported with
 * the policies that select the destination (or the source, for egress) and why none allows it:
 *
 * - Ingress routes: the ingress controller's pods must reach every backend Service's endpoints
 *   on the targetPort (a default-deny that forgets the controller is a classic outage);
 * - probes the collector ran (probes/probes.json) that failed;
 * - flows Hubble saw forwarded whose drop it did not record (policy drops Hubble did record,
 *   and other flows between the same workloads on the same port, are `cilium-policy-drop`'s).
 *
 * Flows between the same source workload and destination on the same port are one finding.
 */
export default defineRule({
  id: 'netpol-denies',
  layer: 'policy',
  severity: 'critical',
  description: 'A concrete flow (Ingress route, probe, Hubble record) is denied by network policy',
  area: 'Network policies',
  requires: [inputs.pods, anyOf('named flows', inputs.ingresses, inputs.probes, inputs.hubbleFlows)],
  optional: [inputs.networkPolicies, inputs.serviceEndpoints, inputs.ingressClasses],
  check(ctx) {
    const model = ctx.model;
    const engine = policySet(model).engine;
    if (engine.kind === 'none') {
      ctx.setCoverage('checked', `policies are not enforced by ${engine.cni}: no flow is denied`);
      return;
    }
    const cases = new Map<string, FlowCase>();
    const add = (query: FlowQuery, source: FlowSource) => {
      const resolved = resolveFlowQuery(model, query);
      if (resolved.problems.length > 0 || resolved.flows.length === 0) return;
      const key = caseKey(resolved);
      const existing = cases.get(key);
      if (existing) existing.sources.push(source);
      else cases.set(key, { key, query, resolved, sources: [source] });
    };
    ingressFlows(model, add);
    probeFlows(model, add);
    hubbleForwardedFlows(model, add);

    let judged = 0;
    for (const flowCase of cases.values()) {
      judged++;
      const verdict = evaluateResolved(model, flowCase.resolved);
      const perBackend = verdict.backends?.map((b) => b.verdict) ?? [verdict];
      const denied = perBackend.filter((v) => v.verdict === 'deny');
      if (denied.length === 0) continue;
      report(ctx, flowCase, verdict, denied);
    }
    ctx.setCoverage('checked', `${plural(judged, 'flow')} named by the bundle judged (${engine.kind === 'kubernetes' ? 'Kubernetes NetworkPolicy' : engine.kind} semantics)`);
  },
});

/** Source workload, destination (a Service port, or the destination's workload and port), protocol. */
function caseKey(resolved: ResolvedFlows): string {
  const first = resolved.flows[0]!;
  const src = endGroup(first.src).key;
  const dst = resolved.service ? `${resolved.service.ref}:${resolved.servicePort?.port}` : `${endGroup(first.dst).key}:${first.port}`;
  return `${src}|${dst}/${first.protocol}`;
}

// ---------------------------------------------------------------------------------------------
// Where flows come from

type AddFlow = (query: FlowQuery, source: FlowSource) => void;

/** Each Ingress backend, from one pod of each workload running its class's known controller. */
function ingressFlows(model: AnalysisModel, add: AddFlow): void {
  const kube = model.kube;
  if (kube.ingresses.length === 0) return;
  const defaults = kube.ingressClasses.filter((c) => c.isDefault);
  const controllerPods = new Map<string, Pod[]>();
  const podsFor = (controller: string): Pod[] => {
    let pods = controllerPods.get(controller);
    if (pods) return pods;
    const known = knownIngressController(controller);
    const running = known ? (findControllers(kube, [known])[0]?.running ?? []) : [];
    const seen = new Set<string>();
    pods = running.filter((pod) => {
      const workload = workloadOf(pod).ref;
      if (seen.has(workload)) return false;
      seen.add(workload);
      return true;
    });
    controllerPods.set(controller, pods);
    return pods;
  };
  for (const ingress of kube.ingresses) {
    const cls = ingress.className !== undefined ? kube.ingressClasses.find((c) => c.name === ingress.className) : defaults.length === 1 ? defaults[0] : undefined;
    if (!cls) continue;
    const pods = podsFor(cls.controller);
    if (pods.length === 0) continue;
    for (const { backend, route } of backendsOf(ingress)) {
      const service = backend.service;
      if (!service?.port) continue;
      const port = service.port.number ?? service.port.name;
      if (port === undefined) continue;
      for (const pod of pods) {
        add(
          { from: `pod/${pod.namespace}/${pod.name}`, to: `svc/${ingress.namespace}/${service.name}`, port },
          {
            kind: 'ingress',
            text: `Ingress ${ingress.namespace}/${ingress.name} routes ${route} to Service ${service.name} port ${port}, through the ${cls.name} controller ${pod.namespace}/${pod.name}`,
            evidence: ingress.source.at(`${backend.path}.service`, `Ingress ${ingress.name}: ${route} → ${service.name}:${port}`),
            subjects: [ingress.ref],
          },
        );
      }
    }
  }
}

function backendsOf(ingress: Ingress): { backend: IngressBackendRef; route: string }[] {
  const out: { backend: IngressBackendRef; route: string }[] = [];
  if (ingress.defaultBackend) out.push({ backend: ingress.defaultBackend, route: 'the default backend' });
  for (const rule of ingress.rules) for (const path of rule.paths) out.push({ backend: path.backend, route: `${rule.host ?? '*'}${path.path ?? '/'}` });
  return out;
}

/** Failed TCP and UDP probes. */
function probeFlows(model: AnalysisModel, add: AddFlow): void {
  for (const probe of probes(model)) {
    if (probe.type === 'dns' || probe.outcome === 'success' || probe.target.port === undefined) continue;
    const from = probe.source.namespace && probe.source.pod ? `pod/${probe.source.namespace}/${probe.source.pod}` : probe.source.node ? `node/${probe.source.node}` : probe.source.address!;
    const to = probeTarget(probe, model.kube.clusterDomain);
    if (!to) continue;
    const what = probe.name ? `probe ${probe.name}` : `probe ${probe.index}`;
    add(
      { from, to, port: probe.target.port, protocol: probe.target.protocol },
      {
        kind: 'probe',
        text: `${what} (${probe.type} ${from.replace(/^pod\//, '')} → ${probe.target.host ?? probe.target.address}:${probe.target.port}) failed: ${probe.outcome}${probe.error ? ` (${probe.error})` : ''}`,
        evidence: probe.at.at('outcome', `${what}: ${probe.outcome}`),
        subjects: [],
      },
    );
  }
}

/** An address, or a Service DNS name (`<svc>.<ns>.svc[.<domain>]`) as `svc/<ns>/<svc>`. */
function probeTarget(probe: Probe, clusterDomain: string): string | undefined {
  if (probe.target.address) return probe.target.address;
  const host = probe.target.host!.replace(/\.$/, '');
  const match = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.(.+))?$/.exec(host);
  if (match && (match[3] === undefined || match[3] === clusterDomain)) return `svc/${match[2]}/${match[1]}`;
  return undefined;
}

/**
 * Connection attempts Hubble saw forwarded (a TCP SYN, a UDP datagram) between endpoints whose
 * drop it did not record: the capture missed the node that dropped them.
 */
function hubbleForwardedFlows(model: AnalysisModel, add: AddFlow): void {
  const flows = hubbleFlows(model);
  if (flows.length === 0) return;
  const file = model.bundle.get(HUBBLE_FLOWS_PATH)!;
  // Drops Hubble did record are cilium-policy-drop's, for every pair of workloads they involve.
  const pairKey = (src: string, dst: string, port: number | undefined, protocol: string | undefined) =>
    `${endGroup(endpointForIp(model, src)).key}|${endGroup(endpointForIp(model, dst)).key}|${port}/${protocol}`;
  const dropped = new Set(flows.filter((f) => f.verdict === 'DROPPED' && f.srcIp && f.dstIp).map((f) => pairKey(f.srcIp!, f.dstIp!, f.dstPort, f.protocol)));
  for (const flow of flows) {
    if (flow.verdict !== 'FORWARDED' || flow.isReply === true || !flow.srcIp || !flow.dstIp || flow.dstPort === undefined) continue;
    if (flow.protocol !== 'TCP' && flow.protocol !== 'UDP' && flow.protocol !== 'SCTP') continue;
    if (flow.protocol === 'TCP' && !(flow.tcpFlags.includes('SYN') && !flow.tcpFlags.includes('ACK'))) continue;
    if (dropped.has(pairKey(flow.srcIp, flow.dstIp, flow.dstPort, flow.protocol))) continue;
    add(
      { from: flow.srcIp, to: flow.dstIp, port: flow.dstPort, protocol: flow.protocol },
      {
        kind: 'hubble',
        text: `Hubble saw ${flow.srcIp} → ${flow.dstIp}:${flow.dstPort}/${flow.protocol} forwarded${flow.nodeName ? ` on ${flow.nodeName}` : ''}${flow.time ? ` at ${flow.time}` : ''}`,
        evidence: file.evidenceAtLine(flow.line, 'Hubble flow, forwarded'),
        subjects: [],
      },
    );
  }
}

// ---------------------------------------------------------------------------------------------
// The finding

function report(ctx: RuleContext, flowCase: FlowCase, verdict: FlowVerdict, denied: FlowVerdict[]): void {
  const model = ctx.model;
  const first = flowCase.resolved.flows[0]!;
  const src = endGroup(first.src);
  const service = flowCase.resolved.service;
  const servicePort = flowCase.resolved.servicePort;
  const dst = service ? { label: `Service ${service.namespace}/${service.name}`, subject: service.ref } : endGroup(first.dst);
  const example = denied[0]!;
  const exampleFlow = example.flow!;
  const portText = describePort(exampleFlow);
  const dstNamespace = exampleFlow.dst.kind === 'pod' ? exampleFlow.dst.pod.namespace : undefined;
  const srcNamespace = exampleFlow.src.kind === 'pod' ? exampleFlow.src.pod.namespace : undefined;
  const involved = [dstNamespace, srcNamespace].filter((ns): ns is string => ns !== undefined);
  if (involved.length > 0 && !involved.some((ns) => ctx.inScope(ns))) return;

  const denial = explainDenial(model, example, { src: describeEnd(exampleFlow, 'src'), dst: describeEnd(exampleFlow, 'dst'), port: portText });
  const backends = verdict.backends;
  const partly = backends && denied.length < backends.length ? `denied to ${denied.length} of the ${backends.length} endpoints (the others are allowed)` : undefined;
  const via = service && servicePort ? ` (Service port ${servicePort.name || servicePort.port} → targetPort ${servicePort.targetPort}; policies judge the ${plural(backends?.length ?? 1, 'endpoint')} on ${portText})` : '';
  const kinds = new Set(flowCase.sources.map((s) => s.kind));
  const effect = kinds.has('ingress')
    ? 'clients of the Ingress get 504 Gateway Timeout or 502 from the controller: its connections to the backends are dropped'
    : 'connections are dropped silently and time out';
  const sources = flowCase.sources.slice(0, 4).map((s) => s.text);
  if (flowCase.sources.length > 4) sources.push(`${flowCase.sources.length - 4} more`);

  const evidence: Evidence[] = [];
  for (const p of denial.policies.slice(0, 4)) evidence.push({ ...p.evidence, note: `${p.policy}: ${p.why}` });
  const seenLines = new Set<string>();
  for (const source of flowCase.sources) {
    const id = `${source.evidence.file}:${source.evidence.line}`;
    if (seenLines.has(id) || seenLines.size >= 4) continue;
    seenLines.add(id);
    evidence.push(source.evidence);
  }

  const subjects = [...new Set([dst.subject, src.subject, ...flowCase.sources.flatMap((s) => s.subjects), ...denial.policyRefs].filter((s): s is string => s !== undefined))];
  const severity = kinds.has('ingress') || kinds.has('probe') ? (partly ? 'warning' : 'critical') : 'warning';
  ctx.report({
    severity,
    subjects,
    title: `${src.label} → ${dst.label} ${service && servicePort ? `${servicePort.port}/${servicePort.protocol}` : portText} is denied by network policy`,
    message: `${listSome(sources, 4, '; ')}; the policy engine (${verdict.engine}${verdict.cni ? `, CNI ${verdict.cni}` : ''}) denies it${partly ? `, ${partly}` : ''}${via}: ${denial.sentences.join('; ')}; ${effect}.`,
    evidence,
    remediation: remediationFor(denial.directions, exampleFlow, describeEnd(exampleFlow, 'src')),
    commands: [
      `netdump policy <bundle> --from ${flowCase.query.from} --to ${flowCase.query.to}${flowCase.query.port !== undefined ? ` --port ${flowCase.query.port}${flowCase.query.protocol && flowCase.query.protocol !== 'TCP' ? `/${flowCase.query.protocol.toLowerCase()}` : ''}` : ''}`,
      ...[...new Set(denial.directions.map((d) => (d === 'ingress' ? dstNamespace : srcNamespace)))].filter((ns): ns is string => ns !== undefined).map((ns) => `kubectl -n ${ns} get networkpolicies -o yaml`),
    ],
    causedBy: causes(model, involved),
    data: {
      from: flowCase.query.from,
      to: flowCase.query.to,
      port: flowCase.query.port,
      protocol: exampleFlow.protocol,
      directions: denial.directions,
      policies: denial.policyRefs,
      sources: flowCase.sources.map((s) => ({ kind: s.kind, file: s.evidence.file, line: s.evidence.line })),
      deniedEndpoints: denied.map((v) => v.flow!.dst.ip),
    },
  });
}

function describeEnd(flow: PolicyFlow, end: 'src' | 'dst'): string {
  const endpoint = flow[end];
  if (endpoint.kind === 'pod') return `${endpoint.pod.namespace}/${endpoint.pod.name}`;
  if (endpoint.kind === 'node') return endpoint.pod ? `${endpoint.pod.namespace}/${endpoint.pod.name} (hostNetwork, seen as node ${endpoint.node?.name ?? endpoint.ip})` : `node ${endpoint.node?.name ?? endpoint.ip}`;
  return endpoint.ip;
}

function remediationFor(directions: string[], flow: PolicyFlow, source: string): string {
  const parts: string[] = [];
  if (directions.includes('ingress')) {
    const from = flow.src.kind === 'pod' ? `{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ${flow.src.pod.namespace}}}, podSelector: {matchLabels: {${identifyingLabel(flow.src.pod.labels)}}}}` : `an ipBlock holding ${flow.src.ip}`;
    parts.push(`allow it in the destination's ingress: a rule with from ${from} and port ${describePort(flow)}`);
  }
  if (directions.includes('egress')) parts.push(`allow it in ${source}'s egress: a rule to the destination pods (or their addresses) on ${describePort(flow)}`);
  return `${parts.join('; and ')} (policies see the pod's port after Service DNAT, so use the targetPort)`;
}

/** The label that best names a workload's pods, as `key: value`. */
function identifyingLabel(labels: Readonly<Record<string, string>>): string {
  const key = ['app.kubernetes.io/name', 'app', 'k8s-app', 'name'].find((k) => labels[k] !== undefined) ?? Object.keys(labels).find((k) => !/pod-template-hash|controller-revision-hash|pod-template-generation/.test(k));
  return key === undefined ? '' : `${key}: ${labels[key]}`;
}

/** The policies of the namespaces involved, as possible causes (a typo'd selector or peer). */
function causes(model: AnalysisModel, namespaces: string[]): CauseRef[] {
  const refs: CauseRef[] = [];
  for (const ns of new Set(namespaces)) {
    for (const policy of model.kube.networkPolicies) {
      if (policy.namespace !== ns) continue;
      refs.push({ rule: 'netpol-peer-matches-nothing', subject: policy.ref }, { rule: 'netpol-selects-nothing', subject: policy.ref });
    }
  }
  return refs;
}
