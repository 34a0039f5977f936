// An in-memory Kernel with the link semantics host plumbing depends on, as observed on Debian's
// 6.1 kernel in the VM tier: ports are enslaved only while down and come up enslaved; released
// ports go down; a bond's mode changes only while down without ports; deleting a link deletes the
// vlans/mac-vlans on it. `failOn` injects a failure; `mutations` counts changing calls.
import { Exists, KernelError, LinkNotFound } from '../../src/kernel/errors.js';
import type { Address, Kernel, Link, LinkChange, NetnsRef, NewLink } from '../../src/kernel/types.js';

type Op = 'create' | 'delete' | 'set' | 'addAddr';

let macSeq = 0;
const newMac = () => `02:00:00:00:00:${(++macSeq % 256).toString(16).padStart(2, '0')}`;

export class FakeKernel implements Partial<Kernel> {
  links = new Map<string, Link>();
  addrs: Address[] = [];
  mutations = 0;
  failOn: ((op: Op, name: string, detail: unknown) => string | undefined) | undefined;
  private nextIndex = 1;

  /** A NIC (kind ether) that can be bonded. */
  addNic(name: string, opts: { up?: boolean; mtu?: number } = {}): void {
    this.put({ name, kind: 'ether', up: opts.up ?? true, mtu: opts.mtu ?? 1500, mac: newMac() });
  }

  private put(l: Partial<Link> & { name: string; kind: string }): Link {
    const link: Link = {
      index: this.nextIndex++,
      mac: newMac(),
      mtu: 1500,
      up: false,
      operState: 'DOWN',
      ...l,
    };
    this.links.set(link.name, link);
    return link;
  }

  private fail(op: Op, name: string, detail: unknown): void {
    this.mutations++;
    const msg = this.failOn?.(op, name, detail);
    if (msg !== undefined) throw new KernelError(msg);
  }

  private need(name: string): Link {
    const l = this.links.get(name);
    if (l === undefined) throw new LinkNotFound(name, null);
    return l;
  }

  asKernel(): Kernel {
    return this as unknown as Kernel;
  }

  async listLinks(_ns: NetnsRef): Promise<Link[]> {
    return [...this.links.values()].map((l) => structuredClone(l));
  }

  async listAddrs(_ns: NetnsRef, ifname?: string): Promise<Address[]> {
    return this.addrs.filter((a) => ifname === undefined || a.ifname === ifname).map((a) => ({ ...a }));
  }

  async addAddr(_ns: NetnsRef, ifname: string, cidr: string): Promise<void> {
    this.fail('addAddr', ifname, cidr);
    this.need(ifname);
    if (this.addrs.some((a) => a.ifname === ifname && a.cidr === cidr)) throw new Exists(`address ${cidr}`);
    this.addrs.push({ ifname, cidr, family: cidr.includes(':') ? 6 : 4, scope: 'global' });
  }

  async createLink(_ns: NetnsRef, spec: NewLink): Promise<void> {
    this.fail('create', spec.name, spec);
    if (this.links.has(spec.name)) throw new Exists(`link ${spec.name}`);
    const mtu = spec.mtu !== undefined ? { mtu: spec.mtu } : {};
    if (spec.kind === 'bond') {
      this.put({
        name: spec.name,
        kind: 'bond',
        bondMode: spec.mode,
        bondOptions: { miimon: '0', ...spec.options },
        ...mtu,
      });
    } else if (spec.kind === 'vlan') {
      const base = this.need(spec.master);
      const dup = [...this.links.values()].find(
        (l) => l.kind === 'vlan' && l.parent === base.name && l.vlanId === spec.id,
      );
      if (dup) throw new KernelError('8021q: VLAN device already exists');
      this.put({
        name: spec.name,
        kind: 'vlan',
        parent: base.name,
        vlanId: spec.id,
        vlanProtocol: spec.protocol ?? '802.1Q',
        mac: base.mac,
        mtu: spec.mtu ?? base.mtu,
      });
    } else if (spec.kind === 'macvlan') {
      const base = this.need(spec.master);
      this.put({
        name: spec.name,
        kind: 'macvlan',
        parent: base.name,
        macvlanMode: spec.mode,
        mtu: spec.mtu ?? base.mtu,
        ...(spec.mac ? { mac: spec.mac } : {}),
      });
    } else {
      throw new KernelError(`fake kernel cannot create ${spec.kind}`);
    }
  }

  async deleteLink(_ns: NetnsRef, name: string): Promise<void> {
    this.fail('delete', name, undefined);
    this.need(name);
    const gone = new Set([name]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const l of this.links.values())
        if (l.parent !== undefined && gone.has(l.parent) && !gone.has(l.name)) {
          gone.add(l.name);
          grew = true;
        }
    }
    for (const n of gone) this.links.delete(n);
    for (const l of this.links.values()) if (l.master !== undefined && gone.has(l.master)) this.release(l);
    this.addrs = this.addrs.filter((a) => !gone.has(a.ifname));
  }

  private release(l: Link): void {
    delete l.master;
    l.up = false;
  }

  async setLink(_ns: NetnsRef, name: string, c: LinkChange): Promise<void> {
    this.fail('set', name, c);
    const l = this.need(name);
    if (c.master === null && l.master !== undefined) this.release(l);
    if (typeof c.master === 'string') {
      const bond = this.need(c.master);
      if (bond.kind !== 'bond') throw new KernelError(`${c.master} is not a bond`);
      if (l.up) throw new KernelError('Device can not be enslaved while up.');
      l.master = bond.name;
      l.up = true;
      l.mtu = bond.mtu;
      l.mac = bond.mac;
    }
    if (c.mtu !== undefined) {
      l.mtu = c.mtu;
      for (const p of this.links.values()) if (p.master === name) p.mtu = c.mtu;
    }
    if (c.mac !== undefined) l.mac = c.mac;
    if (c.bondOptions !== undefined) {
      const { mode, ...rest } = c.bondOptions;
      const ports = [...this.links.values()].some((p) => p.master === name);
      if (mode !== undefined && ports)
        throw new KernelError('unable to set option because the bond device has slaves.');
      if (mode !== undefined && l.up) throw new KernelError('unable to set option because the bond is up.');
      if (mode !== undefined) l.bondMode = mode as NonNullable<Link['bondMode']>;
      l.bondOptions = { ...l.bondOptions, ...rest };
    }
    if (c.up !== undefined) l.up = c.up;
  }
}
