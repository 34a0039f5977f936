// SpiderMultusConfig defaults as Spiderpool's mutating webhook sets them (pkg/multuscniconfig,
// mutateSpiderMultusConfig): cniType custom when unset, per CNI type the section's vlanID/rates/
// ippools, a bond's options, the coordinator's fields (none for custom), chainCNIJsonData. Only
// unset fields are added, so a manifest reads back the same from Trunkline as from Spiderpool.
import { type JsonPatchOp, pointer } from './review.js';

type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);

const POOLS = () => ({ ipv4: [], ipv6: [] });
/** cniType → [section field, its defaults]; Spiderpool defaults no other type's section. */
const SECTIONS: Record<string, [string, () => Rec]> = {
  macvlan: ['macvlan', () => ({ vlanID: 0, ippools: POOLS() })],
  ipvlan: ['ipvlan', () => ({ vlanID: 0, ippools: POOLS() })],
  sriov: ['sriov', () => ({ vlanID: 0, minTxRateMbps: 0, maxTxRateMbps: 0, ippools: POOLS() })],
  'ib-sriov': [
    'ibsriov',
    () => ({
      pkey: '',
      enableIbKubernetes: false,
      rdmaIsolation: true,
      linkState: 'enable',
      ippools: POOLS(),
    }),
  ],
  ipoib: ['ipoib', () => ({ ippools: POOLS() })],
  ovs: ['ovs', () => ({ vlan: 0, ippools: POOLS() })],
};

/** A coordinator given in part: Spiderpool fills these (tunePodRoutes false here, true when absent). */
const PARTIAL: Rec = {
  mode: 'auto',
  hijackCIDR: [],
  detectGateway: false,
  detectIPConflict: false,
  podMACPrefix: '',
  podDefaultRouteNIC: '',
  tunePodRoutes: false,
  txQueueLen: 0,
  podRPFilter: 0,
  hostRPFilter: 0,
};
/** No coordinator at all. */
const ABSENT: Rec = {
  mode: 'auto',
  hijackCIDR: [],
  detectGateway: false,
  detectIPConflict: false,
  vethLinkAddress: '',
  podMACPrefix: '',
  podDefaultRouteNIC: '',
  hostRPFilter: 0,
  podRPFilter: 0,
  tunePodRoutes: true,
};

export function smcDefaults(spec: Rec): JsonPatchOp[] {
  const ops: JsonPatchOp[] = [];
  const add = (path: string[], value: unknown) =>
    ops.push({ op: 'add', path: `/spec/${path.map(pointer).join('/')}`, value });
  const fill = (at: string[], obj: Rec, defaults: Rec) => {
    for (const [k, v] of Object.entries(defaults)) if (obj[k] === undefined) add([...at, k], v);
  };
  // kube-apiserver calls webhooks before the CRD's own default (custom) applies: set it here.
  if (spec.cniType === undefined) add(['cniType'], 'custom');
  const type = typeof spec.cniType === 'string' ? spec.cniType : 'custom';
  const section = SECTIONS[type];
  if (section) {
    const [key, defaults] = section;
    const s = spec[key];
    if (isRec(s)) {
      fill([key], s, defaults());
      if (isRec(s.bond) && s.bond.options === undefined) add([key, 'bond', 'options'], '');
    }
  }
  if (type === 'custom') {
    // A custom CNI config carries its own chain: no coordinator is added to it.
    if (spec.customCNI === undefined) add(['customCNI'], '');
    if (spec.coordinator !== undefined) ops.push({ op: 'remove', path: '/spec/coordinator' });
    add(['enableCoordinator'], false);
  } else if (isRec(spec.coordinator)) fill(['coordinator'], spec.coordinator, PARTIAL);
  else add(['coordinator'], ABSENT);
  if (spec.chainCNIJsonData === undefined) add(['chainCNIJsonData'], []);
  return ops;
}
