/**
 * The real-format iptables dumps shipped with the scenarios
 * (fixtures/scenarios/<scenario>/nodes/<node>/iptables-save.txt, with ipset-save.txt when the
 * node has one), for the differential run.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { FixtureDump } from './run-differential.js';

export function findFixtureDumps(projectRoot: string): FixtureDump[] {
  const scenarios = join(projectRoot, 'fixtures', 'scenarios');
  if (!existsSync(scenarios)) return [];
  const dumps: FixtureDump[] = [];
  for (const scenario of readdirSync(scenarios).sort()) {
    const nodes = join(scenarios, scenario, 'nodes');
    if (!existsSync(nodes)) continue;
    for (const node of readdirSync(nodes).sort()) {
      const iptables = join(nodes, node, 'iptables-save.txt');
      if (!existsSync(iptables)) continue;
      const ipset = join(nodes, node, 'ipset-save.txt');
      dumps.push({
        path: relative(projectRoot, iptables),
        iptables: readFileSync(iptables, 'utf8'),
        ...(existsSync(ipset) ? { ipset: readFileSync(ipset, 'utf8') } : {}),
      });
    }
  }
  return dumps;
}
