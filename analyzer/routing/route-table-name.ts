/**
 * Routing tables are named in `ip route` and `ip rule` output by /etc/iproute2/rt_tables of the
 * host that printed them; the reserved ones may appear as names or numbers depending on the
 * iproute2 build. One spelling per table lets a rule's `lookup` find the routes of its table.
 */
const RESERVED: Record<string, string> = { '253': 'default', '254': 'main', '255': 'local', '0': 'unspec' };

export function routeTableName(printed: string): string {
  return RESERVED[printed] ?? printed;
}
