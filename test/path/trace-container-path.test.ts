/**
 * tracePath on a Docker host (docker-host-bundle.ts, packed into a real .tgz): containers of one
 * bridge, of two isolated networks, to a published port of the host, to the outside; ICC off and
 * br_netfilter; containers named by name or id prefix; what a bundle without iptables-save
 * cannot say.
 */
import { describe, expect, it } from 'vitest';
import { buildModel } from '../../analyzer/analyze.js';
import { readBundleFromBuffer } from '../../analyzer/bundle/read-bundle.js';
import type { PathError, PathRequest, PathResult } from '../../analyzer/path/path-types.js';
import { tracePath } from '../../analyzer/path/trace-path.js';
import { lineOf } from '../helpers/node-dumps.js';
import { packTgz } from '../helpers/pack-bundle.js';
import { BACKEND, CONTAINER_IDS, dockerHostFiles, FRONTEND, type DockerHostOptions } from './docker-host-bundle.js';

async function answer(options: DockerHostOptions, request: PathRequest): Promise<{ result: PathResult | PathError; files: Record<string, string> }> {
  const files = dockerHostFiles(options);
  const bundle = await readBundleFromBuffer(await packTgz(files, { prefix: 'netdump-docker-01-2025-06-12T14-03' }), 'docker-01.tgz');
  return { result: tracePath(buildModel(bundle), request), files };
}

async function trace(options: DockerHostOptions, request: PathRequest): Promise<{ result: PathResult; files: Record<string, string> }> {
  const { result, files } = await answer(options, request);
  if ('error' in result) throw new Error(`unexpected error: ${result.error}`);
  return { result, files };
}

const IPTABLES = 'nodes/docker-01/iptables-save.txt';
const host = (result: PathResult) => result.hops.find((h) => h.kind === 'host')!;

describe('containers of one network', () => {
  it('talk over their bridge; FORWARD accepts the bridged frame', async () => {
    const { result, files } = await trace({}, { from: 'shop-api-1', to: 'shop-db-1' });
    expect(result.kind).toBe('docker');
    expect(result.verdict).toBe('works');
    expect(result.hops.map((h) => [h.kind, h.name, h.status])).toEqual([
      ['container', 'shop-api-1', 'ok'],
      ['host', 'docker-01', 'ok'],
      ['container', 'shop-db-1', 'ok'],
    ]);
    expect(result.port).toBe(5432);
    expect(host(result).summary).toBe(`bridged on ${BACKEND} to shop-db-1`);
    expect(host(result).details[1]).toBe(`netfilter (${IPTABLES}): accepted by FORWARD (${IPTABLES}:${lineOf(files[IPTABLES]!, `-A FORWARD -i ${BACKEND} -o ${BACKEND} -j ACCEPT`)})`);
  });

  it('ICC off on docker0: FORWARD drops traffic between its containers', async () => {
    const { result, files } = await trace({ bridgeIcc: false, cacheOnBridge: true }, { from: 'registry', to: 'cache:6379' });
    expect(result.verdict).toBe('blocked');
    expect(result.reason).toBe(`blocked at docker-01: docker-01's iptables drop it: dropped by FORWARD (${IPTABLES}:${lineOf(files[IPTABLES]!, '-A FORWARD -i docker0 -o docker0 -j DROP')})`);
    expect(host(result).details[1]).toBe('bridge has enable_icc false: Docker drops traffic between its containers in FORWARD');
  });

  it('with bridge-nf-call-iptables 0, bridged frames bypass iptables, the ICC drop included', async () => {
    const { result } = await trace({ bridgeIcc: false, cacheOnBridge: true, sysctl: { 'net.bridge.bridge-nf-call-iptables': '0' } }, { from: 'registry', to: 'cache:6379' });
    expect(result.verdict).toBe('works');
    expect(host(result).details).toContain('net.bridge.bridge-nf-call-iptables = 0: bridged frames bypass iptables');
  });
});

describe('containers of different networks', () => {
  it('are isolated: DOCKER-ISOLATION-STAGE-2 drops what leaves one bridge for the other', async () => {
    const { result, files } = await trace({}, { from: 'shop-web-1', to: 'shop-api-1:8080' });
    expect(result.verdict).toBe('blocked');
    const drop = lineOf(files[IPTABLES]!, `-A DOCKER-ISOLATION-STAGE-2 -o ${BACKEND} -j DROP`);
    expect(result.reason).toBe(`blocked at docker-01: docker-01's iptables drop it: dropped by DOCKER-ISOLATION-STAGE-2 (${IPTABLES}:${drop})`);
    expect(result.hops.map((h) => h.status)).toEqual(['ok', 'blocked', 'unknown']);
    expect(result.hops[2]!.summary).toBe('not reached: dropped at docker-01 before');
    expect(host(result).evidence).toContainEqual(expect.objectContaining({ file: IPTABLES, line: drop, note: 'filter DOCKER-ISOLATION-STAGE-2: DROP' }));
  });

  it('names containers by id prefix too', async () => {
    const { result } = await trace({}, { from: CONTAINER_IDS.web.slice(0, 6), to: `${CONTAINER_IDS.api.slice(0, 4)}:8080` });
    expect([result.from.name, result.to.name, result.verdict]).toEqual(['shop-web-1', 'shop-api-1', 'blocked']);
  });
});

describe('to an address', () => {
  it("the host's published port from another network: Docker leaves bridge traffic to docker-proxy, which relays it", async () => {
    const { result } = await trace({}, { from: 'shop-api-1', to: '10.20.0.15:80' });
    expect(result.verdict).toBe('works');
    expect(result.translatedFrom).toEqual({ ip: '10.20.0.15', port: 80, what: 'port 80 published by shop-web-1', how: 'docker-proxy (the userland proxy: Docker does not DNAT traffic from its own bridges)' });
    expect(result.to).toMatchObject({ name: 'shop-web-1', ip: '172.19.0.2' });
    expect(result.hops.map((h) => h.kind)).toEqual(['container', 'host', 'host', 'container']);
    expect(result.hops[2]!.summary).toBe('docker-proxy listens on 0.0.0.0:80 for shop-web-1 and relays the connection to it');
  });

  it('the same port without the userland proxy: DNAT in the DOCKER chain, then the isolation drop', async () => {
    const { result, files } = await trace({ bridgeReturns: false }, { from: 'shop-api-1', to: '10.20.0.15:80' });
    expect(result.translatedFrom).toMatchObject({ ip: '10.20.0.15', port: 80, what: 'port 80 published by shop-web-1' });
    expect(result.verdict).toBe('blocked');
    expect(result.reason).toContain(`DOCKER-ISOLATION-STAGE-2 (${IPTABLES}:${lineOf(files[IPTABLES]!, `-A DOCKER-ISOLATION-STAGE-2 -o ${FRONTEND} -j DROP`)})`);
    expect(host(result).evidence).toContainEqual(expect.objectContaining({ line: lineOf(files[IPTABLES]!, '--to-destination 172.19.0.2:80'), note: 'nat DOCKER: DNAT' }));
  });

  it('a port published on 127.0.0.1 only is not reachable on the host address', async () => {
    const { result } = await trace({}, { from: 'shop-web-1', to: '10.20.0.15:5432' });
    expect(result.verdict).toBe('blocked');
    expect(result.reason).toContain('shop-db-1 publishes 5432/tcp on 127.0.0.1:5432 only');
  });

  it('the outside: forwarded out of eth0 and masqueraded to the host address', async () => {
    const { result, files } = await trace({}, { from: 'shop-api-1', to: '1.1.1.1:443' });
    expect(result.verdict).toBe('works');
    expect(host(result).summary).toBe('forwarded out of eth0, masqueraded to the host’s address');
    expect(host(result).evidence).toContainEqual(expect.objectContaining({ line: lineOf(files[IPTABLES]!, `-A POSTROUTING -s 172.18.0.0/16 ! -o ${BACKEND} -j MASQUERADE`), note: 'nat POSTROUTING: MASQUERADE' }));
    expect(result.hops.at(-1)).toMatchObject({ kind: 'outside', name: '1.1.1.1', status: 'unknown' });
    expect(result.mtu).toMatchObject({ sent: 1500, largest: 1500 });
  });

  it("127.0.0.1 is the container's own loopback: refused as a destination", async () => {
    const { result } = await answer({}, { from: 'shop-api-1', to: '127.0.0.1:5432' });
    expect(result).toMatchObject({ error: "127.0.0.1 inside shop-api-1 is the container's own loopback, not the host's: give an address of docker-01 (or another container) instead" });
  });
});

describe('what the bundle cannot answer', () => {
  it('without iptables-save the isolation between networks is unknown, not assumed', async () => {
    const { result } = await trace({ withoutIptables: true }, { from: 'shop-web-1', to: 'shop-api-1:8080' });
    expect(result.verdict).toBe('unknown');
    expect(host(result).unknowns).toContain("not collected: nodes/docker-01/iptables-save.txt (Docker's DNAT, isolation and FORWARD rules not checked)");
  });

  it('an unknown container: an error with the near names', async () => {
    const { result } = await answer({}, { from: 'shop-webb-1', to: 'shop-api-1' });
    expect(result).toEqual({ error: 'no container shop-webb-1 on docker-01', suggestions: ['shop-web-1', 'shop-db-1', 'shop-api-1'] });
  });
});
