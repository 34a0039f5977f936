// Without an agent (issue 15 §3): sequential single-pod ADD+DEL pairs through dist/cni/trunkline-macvlan
// — the shim finds no agent and runs the bundled plugin, which runs trunkline-ipam in the same process —
// against the Debian reference /usr/lib/cni/macvlan + host-local. Every pair runs the sides in a fresh
// random order; BENCH_ROUNDS rounds of BENCH_N pairs, each round giving p50/p99 per side, reported as
// the median over rounds and its min–max. Failed calls are counted and kept out of the latencies.
// The shims are pointed at a socket path inside this run's own directory, where nothing listens, so an
// agent running on the machine is never used. NODE_EXTRA_CA_CERTS is unset for both sides. The
// measuring process runs inside the host namespace, so every call is a plain exec of the plugin, as a
// runtime makes it (no nsenter in front of each call, whose cost would shrink the ratio). The
// shims start the bundle from its start-up snapshot (dist/plugins/<type>.blob); the side
// "… plain bundle" sets TRUNKLINE_SNAPSHOT=0, which measures what the snapshot saves.
//   node --import tsx bench/macvlan.ts       (after `node scripts/build.mjs`; root)
// BENCH_BASELINE=<dir of another build's dist/cni> adds that build as a side (e.g. main's, to measure a
// change); BENCH_ROUNDS (3), BENCH_N (40).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DescendantCpu,
  Failures,
  fmt,
  machine,
  makeNetns,
  makeScene,
  percentile,
  rerunInside,
  runPlugin,
  sh,
  shuffled,
  spread,
} from './lib.js';

const self = fileURLToPath(import.meta.url);
const here = dirname(self);
const ROOT = here.includes('/build/') ? join(here, '..', '..') : join(here, '..');
const N = Number(process.env['BENCH_N'] ?? 40);
const ROUNDS = Math.max(3, Number(process.env['BENCH_ROUNDS'] ?? 3));
const REF = '/usr/lib/cni';
delete process.env['NODE_EXTRA_CA_CERTS'];

interface Side {
  label: string;
  file: string;
  conf: string;
  env: Record<string, string>;
}

const INNER = process.argv[2] === '--inner';
const tmp = INNER ? mkdtempSync(join(tmpdir(), 'tl-bench-mv-')) : '';
const nowhere = join(tmp, 'no-agent.sock');

function hostLocal(name: string, subnet: string) {
  return { type: 'host-local', dataDir: join(tmp, `hl-${name}`), ranges: [[{ subnet }]] };
}

function trunklineIpam(name: string, third: number) {
  const manifestDir = join(tmp, `manifests-${name}`);
  mkdirSync(manifestDir, { recursive: true });
  writeFileSync(
    join(manifestDir, 'pool.yaml'),
    `apiVersion: spiderpool.spidernet.io/v2beta1\nkind: SpiderIPPool\nmetadata: {name: ${name}}\n` +
      `spec: {subnet: 10.${third}.0.0/16, ips: [10.${third}.0.10-10.${third}.15.250], gateway: 10.${third}.0.1}\n`,
  );
  return {
    type: 'trunkline-ipam',
    default_ipv4_ippool: [name],
    manifestDir,
    stateDir: join(tmp, `state-${name}`),
    store: { path: join(tmp, `${name}.db`) },
  };
}

function side(
  label: string,
  dir: string,
  type: string,
  master: string,
  ipam: object,
  extraEnv: Record<string, string> = {},
): Side {
  const conf = JSON.stringify({
    cniVersion: '1.0.0',
    name: label.replace(/\W/g, ''),
    type,
    master,
    mode: 'bridge',
    ipam,
  });
  const env = { CNI_PATH: `${dir}:${REF}`, TRUNKLINE_AGENT_SOCK: nowhere, ...extraEnv };
  return { label, file: join(dir, type), conf, env };
}

interface Ctx {
  master: string;
  podName: string;
  pod: string;
}

/**
 * Makes the namespaces and runs the measuring process inside the host one, as a runtime runs there:
 * each call is then a plain exec of the plugin, with no nsenter in front of either side.
 */
function outer(): void {
  const scene = makeScene('tlb');
  const podName = `${scene.host}p`;
  const ctx: Ctx = { master: scene.master, podName, pod: makeNetns(podName) };
  try {
    const status = rerunInside(scene.hostPath, self, ctx);
    if (status !== 0) process.exitCode = status;
  } finally {
    sh(['ip', 'netns', 'del', podName]);
    scene.cleanup();
  }
}

async function inner({ master, podName, pod }: Ctx) {
  const failures = new Failures();
  const cpu = new DescendantCpu();
  const ours = join(ROOT, 'dist', 'cni');
  const sides = [
    side('reference', REF, 'macvlan', master, hostLocal('ref', '10.121.0.0/16')),
    side('no agent + tl-ipam', ours, 'trunkline-macvlan', master, trunklineIpam('tl', 123)),
    side('tl-ipam, plain bundle', ours, 'trunkline-macvlan', master, trunklineIpam('tlplain', 125), {
      TRUNKLINE_SNAPSHOT: '0',
    }),
    side('no agent + host-local', ours, 'trunkline-macvlan', master, hostLocal('tlhl', '10.122.0.0/16')),
  ];
  const baseline = process.env['BENCH_BASELINE'];
  if (baseline) {
    sides.push(side('baseline + tl-ipam', baseline, 'trunkline-macvlan', master, trunklineIpam('base', 124)));
  }
  // per side: per round, the p50/p99 of that round's pairs and the CPU per pair
  const figures = new Map(
    sides.map((s) => [
      s.label,
      {
        p50: [] as number[],
        p99: [] as number[],
        add: [] as number[],
        del: [] as number[],
        cpu: [] as number[],
      },
    ]),
  );
  console.log(`machine: ${machine()}`);
  console.log(`CPU counted by: ${cpu.method}`);
  console.log(
    `no agent: ${ROUNDS} rounds × ${N} sequential ADD+DEL pairs per side, sides in random order per pair\n`,
  );
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const pairs = new Map(
        sides.map((s) => [
          s.label,
          { pair: [] as number[], add: [] as number[], del: [] as number[], cpu: 0 },
        ]),
      );
      for (let i = 0; i < N; i++) {
        for (const s of shuffled(sides)) {
          const env = { ...s.env, CNI_CONTAINERID: `b${round}-${i}`, CNI_NETNS: pod, CNI_IFNAME: 'eth0' };
          const cpu0 = cpu.ms();
          const a = await runPlugin(s.file, { ...env, CNI_COMMAND: 'ADD' }, s.conf);
          const d = await runPlugin(s.file, { ...env, CNI_COMMAND: 'DEL' }, s.conf);
          const acc = pairs.get(s.label)!;
          await cpu.settle();
          acc.cpu += cpu.ms() - cpu0;
          if (a.code !== 0 || d.code !== 0) {
            failures.add(
              s.label,
              `${a.code !== 0 ? 'ADD' : 'DEL'} ${(a.code !== 0 ? a : d).stdout.trim().slice(0, 160)}`,
            );
            continue;
          }
          acc.pair.push(a.ms + d.ms);
          acc.add.push(a.ms);
          acc.del.push(d.ms);
        }
      }
      for (const s of sides) {
        const p = pairs.get(s.label)!;
        const f = figures.get(s.label)!;
        f.p50.push(percentile(p.pair, 50));
        f.p99.push(percentile(p.pair, 99));
        f.add.push(percentile(p.add, 50));
        f.del.push(percentile(p.del, 50));
        f.cpu.push(p.cpu / N);
      }
    }
    console.log('ms, median over rounds (min–max)');
    console.log(
      `${'side'.padEnd(24)} ${'ADD p50'.padStart(18)} ${'DEL p50'.padStart(18)} ${'pair p50'.padStart(20)} ${'pair p99'.padStart(20)} ${'CPU/pair'.padStart(20)}`,
    );
    for (const s of sides) {
      const f = figures.get(s.label)!;
      console.log(
        `${s.label.padEnd(24)} ${spread(f.add).padStart(18)} ${spread(f.del).padStart(18)} ${spread(f.p50).padStart(20)} ${spread(f.p99).padStart(20)} ${spread(f.cpu).padStart(20)}`,
      );
    }
    const ref = figures.get('reference')!;
    for (const s of sides.slice(1)) {
      const f = figures.get(s.label)!;
      const ratios = f.p50.map((x, i) => x / ref.p50[i]!);
      const r99 = f.p99.map((x, i) => x / ref.p99[i]!);
      console.log(
        `ratio ${s.label}/reference per round: pair p50 ${spread(ratios, 2)}, pair p99 ${spread(r99, 2)}`,
      );
    }
    const left = sh(['ip', '-n', podName, '-o', 'link']).trim().split('\n').length - 1;
    console.log(
      `links left in the pod namespace besides lo: ${left}; ${failures.report()}; p50 of ${fmt(N)} pairs per round`,
    );
  } finally {
    await cpu.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (INNER) await inner(JSON.parse(process.argv[3] ?? '{}') as Ctx);
else outer();
