/**
 * Random routing configurations for the FIB differential test: interfaces with addresses, extra
 * tables, policy rules, blackhole/unreachable/prohibit/throw routes, multipath routes, metrics,
 * and the `ip route get` queries to ask of them. Pure and seeded: the same seed gives the same
 * commands, so a failing seed printed by the test reproduces exactly.
 *
 * Kernel behaviours deliberately not generated (documented in route-lookup.ts's scope):
 * - two IPv4 default routes with the same metric in one table: the kernel then rotates between
 *   them by neighbour state (fib_select_default), which a dump cannot show;
 * - multicast and limited-broadcast destinations, VRFs (l3mdev), route TOS, nexthop objects.
 */

export interface LabDevice {
  name: string;
  kind: 'loopback' | 'veth' | 'dummy' | 'bridge' | 'vxlan';
  /** veth whose peer stays down: no carrier, so its routes print `linkdown`. */
  noCarrier?: boolean;
  v4: { address: string; prefix: number; secondary: boolean }[];
  v6: { address: string; prefix: number }[];
}

export interface LabQuery {
  family: 4 | 6;
  dst: string;
  src?: string;
  iif?: string;
  oif?: string;
  mark?: number;
  uid?: number;
  proto?: 'tcp' | 'udp';
  dport?: number;
  /** The `ip route get` arguments. */
  command: string;
}

export interface LabConfig {
  seed: number;
  devices: LabDevice[];
  /** sysctl settings applied before the devices exist (`key=value`). */
  sysctls: string[];
  /** Per-device sysctls applied after the devices exist. */
  deviceSysctls: string[];
  /** `ip -batch` lines building the namespace: addresses, IPv4 routes and rules (links are created by fib-lab.ts). */
  commands: string[];
  /** `ip -6 -batch` lines: IPv6 routes and rules (a batch line cannot carry `-6` itself). */
  commands6: string[];
  /**
   * A veth set administratively down once everything is built: its connected routes go, its
   * multipath nexthops turn `dead`, its IPv6 addresses are flushed, its IPv4 addresses stay.
   */
  downDevice?: string;
  queries: LabQuery[];
}

/** mulberry32: small, fast, good enough for test data. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Dice {
  constructor(readonly random: () => number) {}
  int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.random() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }
  weighted<T>(entries: readonly [T, number][]): T {
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    let roll = this.random() * total;
    for (const [value, weight] of entries) {
      roll -= weight;
      if (roll < 0) return value;
    }
    return entries[entries.length - 1]![0];
  }
}

function ipv4ToNumber(text: string): number {
  return text.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

function numberToIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

function networkOf4(address: string, prefix: number): number {
  const size = 2 ** (32 - prefix);
  return Math.floor(ipv4ToNumber(address) / size) * size;
}

function hostIn4(dice: Dice, network: number, prefix: number): string {
  const size = 2 ** (32 - prefix);
  return numberToIpv4(network + (size <= 2 ? 0 : dice.int(0, size - 1)));
}

function hex16(n: number): string {
  return n.toString(16);
}

interface Prefix4 {
  network: number;
  prefix: number;
}

interface Prefix6 {
  /** The first four 16-bit groups. */
  groups: number[];
  prefix: number;
}

function hostInPrefix4(dice: Dice, p: Prefix4): string {
  return hostIn4(dice, p.network, p.prefix);
}

function formatPrefix4(p: Prefix4): string {
  return `${numberToIpv4(p.network)}/${p.prefix}`;
}

function formatPrefix6(p: Prefix6): string {
  return `${p.groups.map(hex16).join(':')}::/${p.prefix}`;
}

function hostIn6(dice: Dice, p: Prefix6): string {
  const groups = [...p.groups];
  // Vary the bits the prefix leaves free within the first 64, then a random interface id.
  for (let g = 0; g < 4; g++) {
    const freeBits = Math.max(0, Math.min(16, (g + 1) * 16 - p.prefix));
    if (freeBits > 0) groups[g] = (groups[g]! & ~((1 << freeBits) - 1) & 0xffff) | dice.int(0, (1 << freeBits) - 1);
  }
  const low = [dice.int(0, 0xffff), dice.int(0, 0xffff), dice.int(0, 0xffff), dice.int(1, 0xffff)];
  return [...groups, ...low].map(hex16).join(':');
}

const TABLES = ['100', '101', '102', '103'];
export const QUERIES_PER_LAB = 300;

export function generateLabConfig(seed: number): LabConfig {
  const dice = new Dice(seededRandom(seed));
  const devices: LabDevice[] = [];
  const commands: string[] = [];
  const commands6: string[] = [];
  const deviceSysctls: string[] = [];

  // ---- devices and addresses ----
  const vethCount = dice.int(3, 5);
  const noCarrierIndex = dice.chance(0.6) ? dice.int(1, vethCount - 1) : -1;
  const usedThird = new Set<string>();
  const subnet24 = (first: number) => {
    for (;;) {
      const second = dice.int(0, 255);
      const key = `${first}.${second}`;
      if (!usedThird.has(key)) {
        usedThird.add(key);
        return { first, second };
      }
    }
  };
  for (let k = 0; k < vethCount; k++) {
    const device: LabDevice = { name: `eth${k}`, kind: 'veth', v4: [], v6: [] };
    if (k === noCarrierIndex) device.noCarrier = true;
    const { first, second } = subnet24(10);
    const third = dice.int(0, 255);
    const prefix = dice.weighted<number>([[24, 6], [16, 1], [28, 1]]);
    const base = networkOf4(`${first}.${second}.${third}.0`, prefix);
    device.v4.push({ address: numberToIpv4(base + 1), prefix, secondary: false });
    if (dice.chance(0.4)) device.v4.push({ address: numberToIpv4(base + 2), prefix, secondary: true });
    if (dice.chance(0.3)) {
      const other = subnet24(172);
      device.v4.push({ address: `172.${16 + (other.second % 16)}.${other.second}.1`, prefix: 24, secondary: false });
    }
    device.v6.push({ address: `fd00:${hex16(k + 1)}::1`, prefix: 64 });
    if (dice.chance(0.3)) device.v6.push({ address: `fd00:${hex16(k + 1)}::2`, prefix: 64 });
    if (dice.chance(0.3)) device.v6.push({ address: `fd01:${hex16(k + 1)}::1`, prefix: 64 });
    devices.push(device);
  }
  const lo: LabDevice = { name: 'lo', kind: 'loopback', v4: [], v6: [] };
  if (dice.chance(0.6)) lo.v4.push({ address: `10.255.0.${dice.int(1, 250)}`, prefix: 32, secondary: false });
  if (dice.chance(0.5)) lo.v6.push({ address: `fd00:ff::${hex16(dice.int(1, 0xfff))}`, prefix: 128 });
  // Built as a veth by fib-lab.ts where the kernel has no dummy driver.
  const ipvs: LabDevice = { name: 'kube-ipvs0', kind: 'dummy', v4: [], v6: [] };
  for (let i = dice.int(1, 3); i > 0; i--) ipvs.v4.push({ address: `10.96.${dice.int(0, 255)}.${dice.int(1, 254)}`, prefix: 32, secondary: false });
  const bridge: LabDevice = { name: 'br0', kind: 'bridge', v4: [], v6: [] };
  bridge.v4.push({ address: `192.168.${dice.int(0, 255)}.1`, prefix: 24, secondary: false });
  bridge.v6.push({ address: 'fd00:b::1', prefix: 64 });
  const vxlan: LabDevice = { name: 'flannel.1', kind: 'vxlan', v4: [], v6: [] };
  const podThird = dice.int(0, 200);
  vxlan.v4.push({ address: `10.244.${podThird}.0`, prefix: 32, secondary: false });
  devices.push(ipvs, bridge, vxlan);

  const allDevices = [lo, ...devices];
  for (const device of allDevices) {
    for (const a of device.v4) commands.push(`address add ${a.address}/${a.prefix} dev ${device.name}`);
    for (const a of device.v6) {
      const deprecated = device.kind === 'veth' && a.address.endsWith('::2') ? ' preferred_lft 0' : '';
      commands.push(`address add ${a.address}/${a.prefix} dev ${device.name} nodad${deprecated}`);
    }
  }

  const localV4 = allDevices.flatMap((d) => d.v4.map((a) => a.address));
  const localV6 = allDevices.flatMap((d) => d.v6.map((a) => a.address));
  const connected = devices.flatMap((d) =>
    d.v4.filter((a) => !a.secondary && a.prefix <= 30).map((a) => ({ device: d.name, network: networkOf4(a.address, a.prefix), prefix: a.prefix })),
  );
  const gatewayV4 = () => {
    const subnet = dice.pick(connected);
    for (;;) {
      const host = hostIn4(dice, subnet.network, subnet.prefix);
      const last = ipv4ToNumber(host) - subnet.network;
      if (last > 0 && last < 2 ** (32 - subnet.prefix) - 1 && !localV4.includes(host)) return { gateway: host, device: subnet.device };
    }
  };
  const v6Devices = devices.filter((d) => d.v6.length > 0);
  const gatewayV6 = () => {
    const device = dice.pick(v6Devices);
    const base = device.v6[0]!.address.replace(/::\d+$/, '::');
    return { gateway: `${base}${hex16(dice.int(0x10, 0xfffe))}`, device: device.name };
  };

  // ---- IPv4 routes ----
  const prefixes4: Prefix4[] = [];
  const randomPrefix4 = (): Prefix4 => {
    const prefix = dice.weighted<number>([[8, 1], [12, 1], [16, 4], [20, 2], [24, 5], [26, 2], [28, 2], [30, 1], [32, 2]]);
    const first = dice.weighted<number>([[10, 6], [172, 2], [192, 1], [dice.int(11, 126), 2]]);
    const address = `${first}.${first === 172 ? dice.int(16, 31) : first === 192 ? 168 : dice.int(0, 255)}.${dice.int(0, 255)}.${dice.int(0, 255)}`;
    return { network: networkOf4(address, prefix), prefix };
  };
  const usedMetric = new Set<string>();
  const defaultInTable = new Set<string>();
  const addRoute4 = (table: string) => {
    let target: Prefix4;
    const reuse = prefixes4.length > 0 && dice.chance(0.2);
    if (reuse) target = dice.pick(prefixes4);
    else if (dice.chance(0.12) && !defaultInTable.has(table)) target = { network: 0, prefix: 0 };
    else if (dice.chance(0.15)) {
      // A less specific route covering a connected subnet, to exercise longest-prefix match.
      const subnet = dice.pick(connected);
      const prefix = dice.int(8, subnet.prefix - 1);
      target = { network: networkOf4(numberToIpv4(subnet.network), prefix), prefix };
    } else target = randomPrefix4();
    if (target.prefix === 0) defaultInTable.add(table);
    const metric = dice.pick([0, 0, 10, 50, 100, 1024]);
    const key = `${table}|${formatPrefix4(target)}|${metric}`;
    if (usedMetric.has(key)) return;
    usedMetric.add(key);
    if (!reuse && target.prefix > 0) prefixes4.push(target);
    const prefixText = target.prefix === 0 ? 'default' : formatPrefix4(target);
    const tail = `${table === 'main' ? '' : ` table ${table}`}${metric ? ` metric ${metric}` : ''}`;
    const kind = dice.weighted<string>([
      ['via', 35],
      ['dev', 12],
      ['onlink', 5],
      ['blackhole', 8],
      ['unreachable', 5],
      ['prohibit', 5],
      ['throw', table === 'main' ? 1 : 10],
      ['multipath', 10],
      ['src', 6],
    ]);
    switch (kind) {
      case 'via': {
        const { gateway, device } = gatewayV4();
        commands.push(`route add ${prefixText} via ${gateway}${dice.chance(0.5) ? ` dev ${device}` : ''}${tail}`);
        break;
      }
      case 'dev':
        commands.push(`route add ${prefixText} dev ${dice.pick(devices.filter((d) => d.kind !== 'dummy')).name}${tail}`);
        break;
      case 'onlink':
        commands.push(`route add ${prefixText} via 10.244.${dice.int(201, 254)}.0 dev flannel.1 onlink${tail}`);
        break;
      case 'src': {
        const { gateway, device } = gatewayV4();
        commands.push(`route add ${prefixText} via ${gateway} dev ${device} src ${dice.pick(localV4)}${tail}`);
        break;
      }
      case 'multipath': {
        const hops = Array.from({ length: dice.int(2, 3) }, () => gatewayV4());
        const unique = hops.filter((h, i) => hops.findIndex((o) => o.gateway === h.gateway) === i);
        commands.push(
          `route add ${prefixText}${tail} ${unique.map((h) => `nexthop via ${h.gateway} dev ${h.device} weight ${dice.int(1, 5)}`).join(' ')}`,
        );
        break;
      }
      default:
        commands.push(`route add ${kind} ${prefixText}${tail}`);
    }
  };
  for (let i = dice.int(14, 22); i > 0; i--) addRoute4('main');
  if (dice.chance(0.3)) {
    // AnyIP: a whole prefix treated as local (as some CNIs do), which changes source validation.
    const anyIp = randomPrefix4();
    prefixes4.push(anyIp);
    commands.push(`route add local ${formatPrefix4(anyIp)} dev lo`);
  }
  for (const table of TABLES) for (let i = dice.int(2, 7); i > 0; i--) addRoute4(table);

  // ---- IPv6 routes ----
  const prefixes6: Prefix6[] = [];
  const randomPrefix6 = (): Prefix6 => {
    const prefix = dice.pick([32, 48, 56, 64, 64, 96, 128]);
    const groups = [dice.pick([0xfd10, 0xfd20, 0x2001, 0xfd00]), dice.int(0, 0xffff), dice.int(0, 0xffff), dice.int(0, 0xffff)];
    for (let g = 0; g < 4; g++) {
      const keep = Math.max(0, Math.min(16, prefix - g * 16));
      groups[g] = keep === 0 ? 0 : groups[g]! & ((0xffff << (16 - keep)) & 0xffff);
    }
    return { groups, prefix: Math.min(prefix, 64) };
  };
  const usedMetric6 = new Set<string>();
  const addRoute6 = (table: string) => {
    const reuse = prefixes6.length > 0 && dice.chance(0.2);
    const target = reuse ? dice.pick(prefixes6) : dice.chance(0.1) ? { groups: [0, 0, 0, 0], prefix: 0 } : randomPrefix6();
    const metric = dice.pick([1024, 1024, 100, 10, 2048]);
    const key = `${table}|${formatPrefix6(target)}|${metric}`;
    if (usedMetric6.has(key)) return;
    usedMetric6.add(key);
    if (!reuse && target.prefix > 0) prefixes6.push(target);
    const prefixText = target.prefix === 0 ? 'default' : formatPrefix6(target);
    const tail = `${table === 'main' ? '' : ` table ${table}`} metric ${metric}`;
    const kind = dice.weighted<string>([
      ['via', 40],
      ['dev', 10],
      ['blackhole', 8],
      ['unreachable', 6],
      ['prohibit', 5],
      ['throw', table === 'main' ? 0 : 8],
      ['multipath', 10],
      ['pref', 5],
    ]);
    switch (kind) {
      case 'via': {
        const { gateway, device } = gatewayV6();
        commands6.push(`route add ${prefixText} via ${gateway} dev ${device}${tail}`);
        break;
      }
      case 'pref': {
        const { gateway, device } = gatewayV6();
        commands6.push(`route add ${prefixText} via ${gateway} dev ${device}${tail} pref ${dice.pick(['high', 'low'])}`);
        break;
      }
      case 'dev':
        commands6.push(`route add ${prefixText} dev ${dice.pick(v6Devices).name}${tail}`);
        break;
      case 'multipath': {
        const hops = Array.from({ length: dice.int(2, 3) }, () => gatewayV6());
        const unique = hops.filter((h, i) => hops.findIndex((o) => o.gateway === h.gateway) === i);
        commands6.push(`route add ${prefixText}${tail} ${unique.map((h) => `nexthop via ${h.gateway} dev ${h.device} weight ${dice.int(1, 5)}`).join(' ')}`);
        break;
      }
      default:
        commands6.push(`route add ${kind} ${prefixText}${tail}`);
    }
  };
  for (let i = dice.int(8, 14); i > 0; i--) addRoute6('main');
  for (const table of TABLES.slice(0, 2)) for (let i = dice.int(2, 5); i > 0; i--) addRoute6(table);

  // ---- rules ----
  const marks = [0x1, 0x2, 0x10, 0x4000];
  const ruleDevices = ['lo', ...devices.filter((d) => d.kind === 'veth').map((d) => d.name)];
  const addRules = (family: 4 | 6, count: number) => {
    const priorities = new Set<number>();
    while (priorities.size < count) priorities.add(dice.int(1, 300) * 100);
    const sorted = [...priorities].sort((a, b) => a - b);
    sorted.forEach((priority, i) => {
      const parts: string[] = [];
      if (dice.chance(0.1)) parts.push('not');
      const selectors = dice.int(1, 2);
      for (let s = 0; s < selectors; s++) {
        const selector = dice.weighted<string>([
          ['from', 5],
          ['to', 5],
          ['fwmark', 3],
          ['iif', 3],
          ['oif', 1],
          ['dport', family === 4 ? 1 : 0],
          ['uidrange', family === 4 ? 1 : 0],
        ]);
        if (parts.some((p) => p.startsWith(`${selector} `) || (selector === 'dport' && p.startsWith('ipproto')))) continue;
        switch (selector) {
          case 'from':
            if (family === 4) {
              const local = dice.pick(localV4);
              const prefix = dice.pick([8, 16, 24, 32]);
              parts.push(`from ${numberToIpv4(networkOf4(local, prefix))}/${prefix}`);
            } else {
              const local = dice.pick(localV6);
              parts.push(`from ${local.replace(/::[0-9a-f]+$/, '::')}/${dice.pick([32, 64])}`);
            }
            break;
          case 'to':
            parts.push(`to ${family === 4 ? formatPrefix4(dice.chance(0.7) && prefixes4.length ? dice.pick(prefixes4) : randomPrefix4()) : formatPrefix6(prefixes6.length ? dice.pick(prefixes6) : randomPrefix6())}`);
            break;
          case 'fwmark': {
            const mark = dice.pick(marks);
            parts.push(`fwmark 0x${hex16(mark)}${dice.chance(0.4) ? `/0x${hex16(dice.pick([0xff, 0xf, 0xffff]))}` : ''}`);
            break;
          }
          case 'iif':
            parts.push(`iif ${dice.pick(ruleDevices)}`);
            break;
          case 'oif':
            parts.push(`oif ${dice.pick(ruleDevices.slice(1))}`);
            break;
          case 'dport':
            parts.push(`ipproto tcp dport ${dice.pick(['80', '443', '8000-8100'])}`);
            break;
          case 'uidrange':
            parts.push('uidrange 100-200');
            break;
        }
      }
      const action = dice.weighted<string>([
        ['lookup', 70],
        ['main', 8],
        ['blackhole', 4],
        ['unreachable', 4],
        ['prohibit', 3],
        ['goto', 8],
      ]);
      if (action === 'lookup') parts.push(`lookup ${dice.pick(family === 4 ? TABLES : TABLES.slice(0, 2))}`);
      else if (action === 'main') parts.push(`lookup main${dice.chance(0.6) ? ' suppress_prefixlength 0' : ''}`);
      else if (action === 'goto') parts.push(`goto ${i + 1 < sorted.length ? dice.pick(sorted.slice(i + 1)) : 32766}`);
      else parts.push(action);
      (family === 6 ? commands6 : commands).push(`rule add ${parts.join(' ')} priority ${priority}`);
    });
  };
  addRules(4, dice.int(3, 10));
  addRules(6, dice.int(1, 4));

  // ---- settings ----
  const sysctls = [
    'net.ipv6.conf.all.accept_dad=0',
    'net.ipv6.conf.default.accept_dad=0',
    'net.ipv6.conf.all.forwarding=1',
    `net.ipv4.ip_forward=${dice.chance(0.85) ? 1 : 0}`,
    `net.ipv4.conf.all.rp_filter=${dice.weighted<number>([[0, 5], [2, 2], [1, 1]])}`,
    'net.ipv4.conf.default.rp_filter=0',
  ];
  for (const device of devices) {
    if (dice.chance(0.3)) deviceSysctls.push(`net.ipv4.conf.${device.name.replaceAll('.', '/')}.rp_filter=${dice.pick([0, 1, 2])}`);
  }

  // ---- queries ----
  const queries: LabQuery[] = [];
  const broadcastV4 = devices.flatMap((d) =>
    d.v4.filter((a) => a.prefix < 31).map((a) => numberToIpv4(networkOf4(a.address, a.prefix) + 2 ** (32 - a.prefix) - 1)),
  );
  const destination4 = (): string => {
    const how = dice.weighted<string>([
      ['route', 55],
      ['connected', 12],
      ['local', 8],
      ['broadcast', 3],
      ['random', 12],
      ['loopback', 2],
    ]);
    switch (how) {
      case 'route':
        return prefixes4.length ? hostInPrefix4(dice, dice.pick(prefixes4)) : '10.1.2.3';
      case 'connected': {
        const subnet = dice.pick(connected);
        return hostIn4(dice, subnet.network, subnet.prefix);
      }
      case 'local':
        return dice.pick(localV4);
      case 'broadcast':
        return broadcastV4.length ? dice.pick(broadcastV4) : dice.pick(localV4);
      case 'loopback':
        return `127.0.${dice.int(0, 255)}.${dice.int(1, 254)}`;
      default:
        return `${dice.int(1, 223) === 127 ? 128 : dice.int(1, 223)}.${dice.int(0, 255)}.${dice.int(0, 255)}.${dice.int(1, 254)}`;
    }
  };
  const foreignSource4 = (): string => {
    const subnet = dice.pick(connected);
    const host = dice.chance(0.6) ? hostIn4(dice, subnet.network, subnet.prefix) : hostInPrefix4(dice, prefixes4.length ? dice.pick(prefixes4) : randomPrefix4());
    return host.startsWith('0.') || host.startsWith('127.') ? '198.51.100.7' : host;
  };
  const destination6 = (): string => {
    const how = dice.weighted<string>([
      ['route', 60],
      ['connected', 12],
      ['local', 10],
      ['random', 18],
    ]);
    switch (how) {
      case 'route':
        return prefixes6.length ? hostIn6(dice, dice.pick(prefixes6)) : 'fd10::1';
      case 'connected': {
        const device = dice.pick(v6Devices);
        return `${device.v6[0]!.address.replace(/::\d+$/, '')}::${hex16(dice.int(3, 0xffff))}`;
      }
      case 'local':
        return dice.pick(localV6);
      default:
        return hostIn6(dice, { groups: [dice.pick([0x2001, 0xfd99, 0x2a00]), dice.int(0, 0xffff), 0, 0], prefix: 32 });
    }
  };
  for (let q = 0; q < QUERIES_PER_LAB; q++) {
    const family: 4 | 6 = dice.chance(0.68) ? 4 : 6;
    const query: LabQuery = { family, dst: family === 4 ? destination4() : destination6(), command: '' };
    const variant = dice.weighted<string>([
      ['plain', 34],
      ['from-local', 14],
      ['from-foreign', family === 4 ? 4 : 3],
      ['iif', 24],
      ['oif', 7],
      ['mark', 12],
      ['uid', family === 4 ? 2 : 0],
      ['proto', family === 4 ? 3 : 0],
    ]);
    switch (variant) {
      case 'from-local':
        query.src = dice.pick(family === 4 ? localV4 : localV6);
        break;
      case 'from-foreign':
        query.src = family === 4 ? foreignSource4() : hostIn6(dice, { groups: [0xfd77, dice.int(0, 0xffff), 0, 0], prefix: 32 });
        break;
      case 'iif':
        query.iif = dice.pick(devices.filter((d) => d.kind !== 'dummy')).name;
        query.src =
          family === 4
            ? dice.chance(0.1)
              ? dice.pick(localV4)
              : foreignSource4()
            : dice.chance(0.5)
              ? hostIn6(dice, prefixes6.length ? dice.pick(prefixes6) : randomPrefix6())
              : `${dice.pick(v6Devices).v6[0]!.address.replace(/::\d+$/, '')}::${hex16(dice.int(3, 0xffff))}`;
        break;
      case 'oif':
        query.oif = dice.pick(devices.filter((d) => d.kind === 'veth' || d.kind === 'bridge')).name;
        break;
      case 'uid':
        query.uid = dice.pick([0, 150, 1000]);
        break;
      case 'proto':
        query.proto = 'tcp';
        query.dport = dice.pick([80, 443, 8050, 22]);
        break;
    }
    if (variant === 'mark' || dice.chance(0.08)) query.mark = dice.pick(marks);
    const parts = ['route', 'get', query.dst];
    if (query.src) parts.push('from', query.src);
    if (query.iif) parts.push('iif', query.iif);
    if (query.oif) parts.push('oif', query.oif);
    if (query.mark !== undefined) parts.push('mark', `0x${hex16(query.mark)}`);
    if (query.uid !== undefined) parts.push('uid', String(query.uid));
    if (query.proto) parts.push('ipproto', query.proto, 'dport', String(query.dport));
    query.command = parts.join(' ');
    queries.push(query);
  }
  const config: LabConfig = { seed, devices: [lo, ...devices], sysctls, deviceSysctls, commands, commands6, queries };
  const downCandidates = devices.filter((d) => d.kind === 'veth' && d.name !== 'eth0' && !d.noCarrier);
  if (downCandidates.length > 0 && dice.chance(0.35)) config.downDevice = dice.pick(downCandidates).name;
  return config;
}
