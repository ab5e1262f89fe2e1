/**
 * The node files the routing, interface and node-setting rules declare, so a bundle without them
 * shows "not collected" for those rules (bundle-format.md, nodes/<node>/).
 */
import { anyOf, nodeFile } from '../engine/inputs.js';
import { ROUTING_FILES } from './node-routing.js';

export const routingInputs = {
  ipAddr: nodeFile(ROUTING_FILES.ipAddr),
  ipLink: nodeFile(ROUTING_FILES.ipLink),
  ipRoute: nodeFile(ROUTING_FILES.ipRoute),
  ipRule: nodeFile(ROUTING_FILES.ipRule),
  sysctl: nodeFile(ROUTING_FILES.sysctl),
  netstat: nodeFile(ROUTING_FILES.netstat),
  conntrackStats: nodeFile(ROUTING_FILES.conntrackStats),
  conntrackCount: nodeFile(ROUTING_FILES.conntrackCount),
  /** Either interface listing: both show flags, MTU and `-d` details. */
  interfaces: anyOf(`nodes/*/${ROUTING_FILES.ipLink}|${ROUTING_FILES.ipAddr}`, nodeFile(ROUTING_FILES.ipLink), nodeFile(ROUTING_FILES.ipAddr)),
  /** Anything that tells how full the conntrack table is or was. */
  conntrack: anyOf(
    `nodes/*/${ROUTING_FILES.sysctl}|${ROUTING_FILES.conntrackStats}|${ROUTING_FILES.conntrackCount}`,
    nodeFile(ROUTING_FILES.sysctl),
    nodeFile(ROUTING_FILES.conntrackStats),
    nodeFile(ROUTING_FILES.conntrackCount),
  ),
} as const;
