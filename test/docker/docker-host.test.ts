import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildModel } from '../../analyzer/analyze.js';
import { bundleFromFiles } from '../../analyzer/bundle/read-bundle.js';
import { dockerHosts, hostCaptureOnly, isPlainDockerHost } from '../../analyzer/docker/docker-host.js';
import { kubectlList, node } from '../helpers/kube-objects.js';

const SCENARIO = join(import.meta.dirname, '..', '..', 'fixtures', 'scenarios', 'docker-host-healthy');

/** The files of a scenario folder, as bundle paths. */
function scenarioFiles(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name !== 'README.md') files[relative(dir, path)] = readFileSync(path, 'utf8');
    }
  };
  walk(dir);
  return files;
}

/** A containers.json whose only container belongs to a Kubernetes pod (cri-dockerd labels). */
const KUBELET_CONTAINER = `${JSON.stringify(
  [
    {
      Id: '3f1c2a4b5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708',
      Name: '/k8s_coredns_coredns-5c8c7f7bf4-9sdhr_kube-system_0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f_0',
      State: { Status: 'running', Running: true },
      HostConfig: { NetworkMode: 'container:9a8b7c6d5e4f' },
      Config: { Labels: { 'io.kubernetes.pod.name': 'coredns-5c8c7f7bf4-9sdhr', 'io.kubernetes.pod.namespace': 'kube-system' } },
      NetworkSettings: { Ports: {}, Networks: {} },
    },
  ],
  null,
  4,
)}\n`;

describe('Docker hosts in a bundle', () => {
  it('reads a `collect --local` capture of a Docker host as a plain host without cluster data', () => {
    const model = buildModel(bundleFromFiles(scenarioFiles(SCENARIO), 'docker-host-healthy.tgz'));
    expect(hostCaptureOnly(model)).toBe(true);
    expect(isPlainDockerHost(model, 'docker-01')).toBe(true);
    const [host] = dockerHosts(model);
    expect(host!.subject).toBe('Host/docker-01');
    expect(host!.networks!.value.networks.map((n) => `${n.name} ${n.driver} ${n.bridgeDevice ?? '-'}`)).toEqual([
      'bridge bridge docker0',
      'host host -',
      'none null -',
      'shop_default bridge br-671d1333f6a0',
    ]);
    expect(host!.containers!.value.containers.map((c) => `${c.name} ${c.networks.map((n) => `${n.name}=${n.ipAddress}`).join(',')}`)).toEqual([
      'registry bridge=172.17.0.2',
      'shop-db-1 shop_default=172.18.0.2',
      'shop-api-1 shop_default=172.18.0.3',
      'shop-web-1 shop_default=172.18.0.4',
    ]);
    expect(model.parseIssues).toEqual([]);
  });

  it('does not take a Kubernetes node for a plain Docker host', () => {
    const files = { 'nodes/node-b/docker/containers.json': KUBELET_CONTAINER, 'nodes/node-b/docker/networks.json': '[]\n' };
    // Listed as a node by the cluster.
    const inCluster = buildModel(bundleFromFiles({ ...files, 'cluster/nodes.json': kubectlList([node({ name: 'node-b', ip: '10.0.1.12', podCIDR: '10.244.1.0/24' })]) }, 'b.tgz'));
    expect(hostCaptureOnly(inCluster)).toBe(false);
    expect(isPlainDockerHost(inCluster, 'node-b')).toBe(false);
    // A local capture of the node alone: its containers belong to pods.
    const alone = buildModel(bundleFromFiles(files, 'b.tgz'));
    expect(hostCaptureOnly(alone)).toBe(true);
    expect(isPlainDockerHost(alone, 'node-b')).toBe(false);
  });
});
