// Bond modes and options: nmstate/sysfs names (canonical here), and the iproute2 words the kernel
// layer takes and reports them under (`ip link add … type bond K V`; Link.bondOptions).
import type { BondMode } from '../kernel/types.js';

export const BOND_MODES: readonly BondMode[] = [
  'balance-rr',
  'active-backup',
  'balance-xor',
  'broadcast',
  '802.3ad',
  'balance-tlb',
  'balance-alb',
];

/** A mode by name or by number (0-6, as a number or a numeric string); undefined if neither. */
export function bondModeOf(v: unknown): BondMode | undefined {
  if (typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v))) return BOND_MODES[Number(v)];
  return BOND_MODES.find((m) => m === v);
}

type Kind = 'uint' | 'enum' | 'bool' | 'iface' | 'iplist' | 'mac';

interface OptionDef {
  kind: Kind;
  /** enum: the names, indexed by their numeric value. */
  values?: readonly string[];
  /** Modes the kernel accepts the option in; undefined = all. */
  modes?: readonly BondMode[];
  /** iproute2 argument word, when it differs from the canonical name. */
  ip?: string;
  /** `ip -j` key, when it differs from the iproute2 word. */
  json?: string;
  /** The kernel refuses to change it while the bond is up. */
  ifdown?: boolean;
  /** Value meant when `ip -j` leaves it out (iproute2 prints arp_validate "none" as null). */
  absent?: string;
}

const LB: readonly BondMode[] = ['balance-tlb', 'balance-alb'];

export const BOND_OPTIONS: Readonly<Record<string, OptionDef>> = {
  miimon: { kind: 'uint' },
  updelay: { kind: 'uint' },
  downdelay: { kind: 'uint' },
  peer_notif_delay: { kind: 'uint', ip: 'peer_notify_delay' },
  use_carrier: { kind: 'bool' },
  arp_interval: { kind: 'uint', modes: ['balance-rr', 'active-backup', 'balance-xor', 'broadcast'] },
  arp_ip_target: { kind: 'iplist' },
  arp_validate: {
    kind: 'enum',
    values: ['none', 'active', 'backup', 'all', 'filter', 'filter_active', 'filter_backup'],
    absent: 'none',
  },
  arp_all_targets: { kind: 'enum', values: ['any', 'all'] },
  arp_missed_max: { kind: 'uint' },
  primary: { kind: 'iface', modes: ['active-backup', ...LB] },
  primary_reselect: { kind: 'enum', values: ['always', 'better', 'failure'] },
  fail_over_mac: { kind: 'enum', values: ['none', 'active', 'follow'] },
  xmit_hash_policy: {
    kind: 'enum',
    values: ['layer2', 'layer3+4', 'layer2+3', 'encap2+3', 'encap3+4', 'vlan+srcmac'],
  },
  resend_igmp: { kind: 'uint' },
  num_grat_arp: { kind: 'uint', json: 'num_peer_notif' },
  all_slaves_active: { kind: 'bool' },
  min_links: { kind: 'uint' },
  lp_interval: { kind: 'uint' },
  packets_per_slave: { kind: 'uint', modes: ['balance-rr'] },
  lacp_rate: {
    kind: 'enum',
    values: ['slow', 'fast'],
    modes: ['802.3ad'],
    json: 'ad_lacp_rate',
    ifdown: true,
  },
  lacp_active: { kind: 'enum', values: ['off', 'on'], modes: ['802.3ad'], json: 'ad_lacp_active' },
  ad_select: { kind: 'enum', values: ['stable', 'bandwidth', 'count'], modes: ['802.3ad'], ifdown: true },
  ad_actor_sys_prio: { kind: 'uint', modes: ['802.3ad'], ifdown: true },
  ad_user_port_key: { kind: 'uint', modes: ['802.3ad'], ifdown: true },
  ad_actor_system: { kind: 'mac', modes: ['802.3ad'], ifdown: true },
  tlb_dynamic_lb: { kind: 'bool', modes: LB, ifdown: true },
};

/** Other spellings accepted on input (kernel documentation / nmstate). */
const ALIASES: Readonly<Record<string, string>> = {
  num_unsol_na: 'num_grat_arp',
  peer_notify_delay: 'peer_notif_delay',
};

const BOOL_WORDS: Readonly<Record<string, string>> = {
  true: '1',
  false: '0',
  on: '1',
  off: '0',
  yes: '1',
  no: '0',
  // nmstate's words for all_slaves_active
  delivered: '1',
  dropped: '0',
};

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

export const canonicalOption = (name: string): string => ALIASES[name] ?? name;

/**
 * Normalize one option value; returns the canonical value or an error text saying what was
 * expected. Enum values become names, booleans '0'/'1', numbers decimal strings.
 */
export function normalizeOption(name: string, value: unknown): { value: string } | { error: string } {
  const def = BOND_OPTIONS[name];
  if (def === undefined)
    return { error: `unknown bond option (known: ${Object.keys(BOND_OPTIONS).join(', ')})` };
  const s = typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : undefined;
  switch (def.kind) {
    case 'uint':
      if (s !== undefined && /^\d+$/.test(s)) return { value: String(Number(s)) };
      return { error: `expected a non-negative integer, found ${JSON.stringify(value)}` };
    case 'bool': {
      if (typeof value === 'boolean') return { value: value ? '1' : '0' };
      const v = s === '0' || s === '1' ? s : BOOL_WORDS[(s ?? '').toLowerCase()];
      if (v !== undefined) return { value: v };
      return { error: `expected 0/1 or true/false, found ${JSON.stringify(value)}` };
    }
    case 'enum': {
      const values = def.values ?? [];
      const byNum = s !== undefined && /^\d+$/.test(s) ? values[Number(s)] : undefined;
      const v = byNum ?? values.find((x) => x === s?.toLowerCase());
      if (v !== undefined) return { value: v };
      return {
        error: `expected one of ${values.join(', ')} (or 0-${values.length - 1}), found ${JSON.stringify(value)}`,
      };
    }
    case 'iface':
      if (s !== undefined && s !== '' && s.length <= 15 && !/[\s/:]/.test(s)) return { value: s };
      return { error: `expected an interface name, found ${JSON.stringify(value)}` };
    case 'iplist': {
      const list = Array.isArray(value) ? value.map(String) : (s ?? '').split(',').filter((x) => x !== '');
      const ok = list.every((ip) => IPV4.test(ip) && ip.split('.').every((o) => Number(o) <= 255));
      if (ok && list.length > 0 && list.length <= 16) return { value: list.join(',') };
      return {
        error: `expected 1-16 IPv4 addresses (list or comma-separated), found ${JSON.stringify(value)}`,
      };
    }
    case 'mac':
      if (s !== undefined && MAC.test(s.toLowerCase())) return { value: s.toLowerCase() };
      return { error: `expected a MAC address, found ${JSON.stringify(value)}` };
  }
}

/** Options the kernel only changes while the bond is down. */
export const needsDown = (name: string): boolean => BOND_OPTIONS[name]?.ifdown === true;

/** Modes the option is valid in, when restricted. */
export const optionModes = (name: string): readonly BondMode[] | undefined => BOND_OPTIONS[name]?.modes;

/** Canonical options → the words for NewLink.options / LinkChange.bondOptions (iproute2). */
export function toKernelOptions(options: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(options)) out[BOND_OPTIONS[k]?.ip ?? k] = v;
  return out;
}

/** Link.bondOptions as the kernel layer reports them → canonical, normalized options. */
export function fromKernelOptions(reported: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (reported === undefined) return out;
  for (const [name, def] of Object.entries(BOND_OPTIONS)) {
    // The kernel layer reports iproute2's option words; `ip -j` keys are accepted too.
    const raw = reported[def.ip ?? name] ?? (def.json ? reported[def.json] : undefined) ?? def.absent;
    if (raw === undefined || raw === '') continue;
    const n = normalizeOption(name, raw);
    if ('value' in n) out[name] = n.value;
  }
  return out;
}
