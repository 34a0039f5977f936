// Issue 17: RunPodSandbox through containerd 1.6's CRI plugin (the kubelet's path), same sandbox on
//   reference  Debian's macvlan + host-local (/usr/lib/cni),
//   ours       trunkline-macvlan + trunkline-ipam as processes (TRUNKLINE_NO_AGENT=1),
//   ours+agent the same config served by the node agent through the C shims.
//   node --import tsx bench/cri.ts          (as root, after `node scripts/build.mjs`)
// Three containerds (one per side, own conf_dir) share one private root and node namespace; rounds
// interleave the sides, each round runs BENCH_CRI_N sandboxes per side one after the other (Run is
// timed; Stop + Remove follow untimed). Reported: median and p10–p90 of all Run times per side, and
// each round's median. Sizes: BENCH_CRI_ROUNDS (3), BENCH_CRI_N (5).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PrivateContainerd, startContainerd } from '../test/helpers/cri/containerd.js';
import { Scene } from '../test/helpers/netns.js';
import { type PrivateRoot, privateRoot } from '../test/helpers/private-root.js';
import { nodeScene } from '../test/runtime/cri-scene.js';
import { fmt, percentile } from './lib.js';

const ROUNDS = Number(process.env['BENCH_CRI_ROUNDS'] ?? 3);
const N = Number(process.env['BENCH_CRI_N'] ?? 5);
delete process.env['NODE_EXTRA_CA_CERTS'];

const POOL = `apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: vlan100-v4}
spec: {ipVersion: 4, subnet: 10.100.0.0/24, ips: [10.100.0.100-10.100.0.199], gateway: 10.100.0.1, default: true}
`;

const conflist = (ipam: object, type: string) =>
  JSON.stringify({
    cniVersion: '1.0.0',
    name: 'vlan100',
    plugins: [{ type, master: 'vlan100', mode: 'bridge', ipam }],
  });

type Side = 'reference' | 'ours' | 'ours+agent';

async function main(): Promise<void> {
  const scene = new Scene('tlb');
  const dir = mkdtempSync(join(tmpdir(), 'tlcri-bench-'));
  const ctds = new Map<Side, PrivateContainerd>();
  let root: PrivateRoot | undefined;
  let agent: ChildProcess | undefined;
  try {
    const node = nodeScene(scene).node;
    root = await privateRoot(node.path, dir);
    const install =
      'mkdir -p /opt/cni/bin && cp dist/cni/trunkline* /opt/cni/bin/ && cp -r dist/plugins dist/lib dist/agent /opt/cni/ && cp /usr/lib/cni/loopback /usr/lib/cni/macvlan /usr/lib/cni/host-local /opt/cni/bin/';
    const r = root.sh(install);
    if (r.code !== 0) throw new Error(r.out);
    root.write('/etc/trunkline/pool.yaml', POOL);
    root.write(
      '/etc/cni/ref/10-vlan100.conflist',
      conflist(
        {
          type: 'host-local',
          dataDir: '/var/lib/cni/bench-ipam',
          ranges: [
            [
              {
                subnet: '10.100.0.0/24',
                rangeStart: '10.100.0.100',
                rangeEnd: '10.100.0.199',
                gateway: '10.100.0.1',
              },
            ],
          ],
        },
        'macvlan',
      ),
    );
    const ours = conflist({ type: 'trunkline-ipam' }, 'trunkline-macvlan');
    root.write('/etc/cni/ours/10-vlan100.conflist', ours);
    root.write('/etc/cni/agent/10-vlan100.conflist', ours);
    agent = spawn(
      'nsenter',
      [
        '-t',
        String(root.pid),
        '-m',
        '-n',
        '--',
        process.execPath,
        '/opt/cni/agent/agent.js',
        '--metrics-port',
        '0',
      ],
      {
        stdio: 'ignore',
      },
    );
    const env = { NODE_NAME: 'node1' };
    ctds.set('reference', await startContainerd({ root, confDir: '/etc/cni/ref', env }));
    ctds.set(
      'ours',
      await startContainerd({ root, confDir: '/etc/cni/ours', env: { ...env, TRUNKLINE_NO_AGENT: '1' } }),
    );
    ctds.set('ours+agent', await startContainerd({ root, confDir: '/etc/cni/agent', env }));
    const times = new Map<Side, number[]>([...ctds.keys()].map((s) => [s, []]));
    const rounds: string[] = [];
    let uid = 0;
    // One untimed sandbox per side first: containerd's first RunPodSandbox pays its own warm-up.
    for (let round = -1; round < ROUNDS; round++) {
      const line: string[] = [];
      for (const [side, c] of ctds) {
        const own: number[] = [];
        for (let i = 0; i < (round < 0 ? 1 : N); i++) {
          const spec = {
            name: `b${uid}`,
            namespace: 'bench',
            uid: `ub${uid++}`,
            cgroupParent: c.cgroupParent,
          };
          const t0 = performance.now();
          const id = await c.cri.runPodSandbox(spec);
          const t = performance.now() - t0;
          await c.cri.stop(id);
          await c.cri.remove(id);
          own.push(t);
        }
        if (round >= 0) {
          times.get(side)!.push(...own);
          line.push(`${side} ${fmt(percentile(own, 50))}`);
        }
      }
      if (round >= 0) rounds.push(`round ${round + 1}: ${line.join(', ')} ms`);
    }
    console.log(
      `RunPodSandbox via containerd ${'1.6'} CRI, ${ROUNDS} interleaved rounds × ${N} sandboxes per side`,
    );
    for (const [side, t] of times) {
      console.log(
        `  ${side.padEnd(11)} median ${fmt(percentile(t, 50))} ms  p10–p90 ${fmt(percentile(t, 10))}–${fmt(percentile(t, 90))} ms`,
      );
    }
    for (const l of rounds) console.log(`  ${l}`);
  } finally {
    for (const c of ctds.values()) await c.stop().catch(() => {});
    agent?.kill('SIGTERM');
    root?.close();
    scene.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
