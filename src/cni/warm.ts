// Start-up snapshot warm-up of the CNI core (src/cni/snapshot.ts): V8 keeps in the snapshot the
// bytecode of every function that ran while it was built, and a function a call runs for the first
// time is compiled then, on every call (~10 ms of an ADD went to that). So the build runs one made-up
// ADD and DEL through the real entry path — env and config parsing, the delegation chain, in-process
// delegation, result versioning, error objects — between two plugins that do nothing else. No I/O, and
// nothing is kept: the call's strings are built here at run time (test/agent/warm.test.ts looks for
// them in the blobs), and module state such as the log sink is never touched.
import { invalidConfig } from './errors.js';
import { delegateAdd, delegateDel } from './exec.js';
import type { Plugin, Registry } from './plugin.js';
import { errorOutcome, invoke } from './skel.js';
import type { CniCommand, Result } from './types.js';
import { decodeResult, encodeResult } from './version.js';

/** The made-up call: its identity is joined at run time, so no constant of the bundle holds it. */
export function warmCall(command: CniCommand, conf: object) {
  const id = ['trunkline', 'warm', 'up'].join('');
  return {
    id,
    vars: {
      CNI_COMMAND: command,
      CNI_CONTAINERID: id,
      CNI_NETNS: `/var/run/netns/${id}`,
      CNI_IFNAME: 'eth0',
      CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=${id};K8S_POD_NAME=${id}`,
      CNI_PATH: `/${id}`,
    } as Record<string, string>,
    stdin: Buffer.from(JSON.stringify(conf)),
  };
}

/** A result shaped like an ADD's: one interface, dual-stack addresses, routes, DNS. */
export function warmResult(id: string): Result {
  return {
    cniVersion: '1.0.0',
    interfaces: [{ name: 'eth0', mac: '02:00:00:00:00:01', sandbox: `/var/run/netns/${id}` }],
    ips: [
      { interface: 0, address: '10.0.0.10/24', gateway: '10.0.0.1' },
      { interface: 0, address: 'fd00::10/64', gateway: 'fd00::1' },
    ],
    routes: [{ dst: '0.0.0.0/0', gw: '10.0.0.1' }],
    dns: { nameservers: ['10.0.0.2'] },
  };
}

const stub = (name: string, add: Plugin['add'], del: Plugin['del']): Plugin => ({
  name,
  loadConf: (raw) => raw,
  add,
  del,
  check: async () => undefined,
  status: async () => undefined,
  gc: async () => undefined,
});

/**
 * One ADD, one DEL and one failing ADD of an outer plugin that delegates IPAM-style to an inner one
 * in-process, as macvlan does with trunkline-ipam; then every result version and the error objects.
 */
export async function warmCni(): Promise<void> {
  const inner = stub(
    'trunkline-warm-ipam',
    async (inv) => {
      // A CniError: anything else would be logged, and the log sink chosen at build time.
      if (inv.conf['fail'] === true) throw invalidConfig('warm-up failure');
      return warmResult(inv.env.containerId);
    },
    async () => undefined,
  );
  const registry: Registry = { get: (type) => (type === inner.name ? inner : undefined) };
  const outer = stub(
    'trunkline-warm',
    (inv) => delegateAdd(inner.name, inv, inv.stdin),
    (inv) => delegateDel(inner.name, inv, inv.stdin),
  );
  const conf = { cniVersion: '1.0.0', name: 'warm', type: outer.name, ipam: { type: inner.name } };
  for (const command of ['ADD', 'DEL'] as const) {
    const call = warmCall(command, conf);
    await invoke(outer, call.vars, call.stdin, registry);
  }
  const failing = warmCall('ADD', { ...conf, fail: true });
  await invoke(outer, failing.vars, failing.stdin, registry);
  const result = warmResult(failing.id);
  for (const v of ['1.1.0', '1.0.0', '0.4.0', '0.3.1', '0.2.0']) decodeResult(encodeResult(result, v), v);
  errorOutcome(new Error('warm-up'), failing.stdin);
}
