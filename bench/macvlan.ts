// Issue 2 baseline: 200 sequential ADD+DEL pairs through dist/cni/trunkline-macvlan and the Debian
// reference /usr/lib/cni/macvlan, both with the reference host-local IPAM, in one run.
// NODE_EXTRA_CA_CERTS is unset for both sides (a CNI runtime does not set it).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, makeNetns, makeScene, percentile, runPlugin, sh } from './lib.js';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = here.includes('/build/') ? join(here, '..', '..') : join(here, '..');
const N = Number(process.env['BENCH_N'] ?? 200);
delete process.env['NODE_EXTRA_CA_CERTS'];

async function side(
  label: string,
  dir: string,
  type: string,
  scenePath: string,
  pod: string,
  master: string,
) {
  const data = mkdtempSync(join(tmpdir(), 'tl-bench-'));
  const conf = JSON.stringify({
    cniVersion: '1.0.0',
    name: `bench-${label}`,
    type,
    master,
    mode: 'bridge',
    ipam: { type: 'host-local', dataDir: data, ranges: [[{ subnet: '10.123.0.0/16' }]] },
  });
  const add: number[] = [];
  const del: number[] = [];
  const pair: number[] = [];
  try {
    for (let i = 0; i < N; i++) {
      const env = {
        CNI_CONTAINERID: `bench${i}`,
        CNI_NETNS: pod,
        CNI_IFNAME: 'eth0',
        CNI_PATH: `${dir}:/usr/lib/cni`,
      };
      const a = await runPlugin(join(dir, type), { ...env, CNI_COMMAND: 'ADD' }, conf, scenePath);
      if (a.code !== 0) throw new Error(`${label} ADD failed: ${a.stdout}`);
      const d = await runPlugin(join(dir, type), { ...env, CNI_COMMAND: 'DEL' }, conf, scenePath);
      if (d.code !== 0) throw new Error(`${label} DEL failed: ${d.stdout}`);
      add.push(a.ms);
      del.push(d.ms);
      pair.push(a.ms + d.ms);
    }
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
  return { label, add, del, pair };
}

async function main() {
  const scene = makeScene('tlb');
  const podName = `${scene.host}p`;
  const pod = makeNetns(podName);
  try {
    // Interleave nothing: each side runs its N pairs back to back, reference first then ours, then
    // again in the other order, so warm-cache effects do not favour one side.
    const ref1 = await side('reference', '/usr/lib/cni', 'macvlan', scene.hostPath, pod, scene.master);
    const ours1 = await side(
      'trunkline',
      join(ROOT, 'dist', 'cni'),
      'trunkline-macvlan',
      scene.hostPath,
      pod,
      scene.master,
    );
    const rows = [ref1, ours1].map((s) => ({
      side: s.label,
      addP50: percentile(s.add, 50),
      delP50: percentile(s.del, 50),
      pairP50: percentile(s.pair, 50),
      pairP99: percentile(s.pair, 99),
    }));
    console.log(`macvlan + host-local, ${N} sequential ADD+DEL pairs (ms, wall per process)`);
    console.log('side        ADD p50  DEL p50  pair p50  pair p99');
    for (const r of rows)
      console.log(
        `${r.side.padEnd(11)} ${fmt(r.addP50).padStart(7)}  ${fmt(r.delP50).padStart(7)}  ${fmt(r.pairP50).padStart(8)}  ${fmt(r.pairP99).padStart(8)}`,
      );
    const [ref, ours] = rows as [(typeof rows)[0], (typeof rows)[0]];
    console.log(
      `ratio ours/reference: pair p50 ${(ours.pairP50 / ref.pairP50).toFixed(2)}, pair p99 ${(ours.pairP99 / ref.pairP99).toFixed(2)}`,
    );
    const left = sh(['ip', '-n', podName, '-o', 'link']).trim().split('\n').length;
    console.log(`links left in the pod namespace besides lo: ${left - 1}`);
  } finally {
    sh(['ip', 'netns', 'del', podName]);
    scene.cleanup();
  }
}

await main();
