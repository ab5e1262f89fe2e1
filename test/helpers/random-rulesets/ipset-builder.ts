/**
 * The ipsets a generated rule set matches on, printed as `ipset save` prints them
 * (ipset v7: `create NAME TYPE family inet hashsize 1024 maxelem N`, then one `add` a member).
 */
export type IpsetType = 'hash:ip' | 'hash:net' | 'hash:ip,port' | 'hash:net,port';

interface IpsetSpec {
  type: IpsetType;
  maxelem: number;
  members: string[];
}

export class IpsetBuilder {
  private readonly sets = new Map<string, IpsetSpec>();

  create(name: string, type: IpsetType, members: string[], maxelem = 1048576): this {
    if (name.length > 31) throw new Error(`ipset name longer than 31 characters: ${name}`);
    this.sets.set(name, { type, maxelem, members: [...new Set(members)] });
    return this;
  }

  get size(): number {
    return this.sets.size;
  }

  toIpsetSave(): string {
    const lines: string[] = [];
    for (const [name, set] of this.sets) {
      lines.push(`create ${name} ${set.type} family inet hashsize 1024 maxelem ${set.maxelem}`);
      for (const member of set.members) lines.push(`add ${name} ${member}`);
    }
    return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  }
}
