// Issue 7: the node agent + C shims against the reference plugins, both sides in one run.
//   node --import tsx bench/agent.ts        (after `node scripts/build.mjs`; see bench/README.md)
// The outer process builds a scene (a "host" namespace whose veth is the macvlan master) and re-runs
// this file inside that namespace, so neither side pays an `ip netns exec`/nsenter per call: every
// plugin is spawned directly by the harness, as a runtime would. NODE_EXTRA_CA_CERTS is unset.
// Every comparison runs BENCH_ROUNDS (≥3) rounds with the sides interleaved — per pair in a fresh
// random order (single pod), per round in a fresh random order (burst) — and reports the median over
// rounds with its min–max. Failed calls are counted per side and kept out of the latencies. CPU per pod
// is the harness's children (shims, plugins) plus the agents and their children (exec'd delegates).
// Sizes: BENCH_SINGLE (100 pairs per round), BENCH_BURST (100), BENCH_CHURN (1000), BENCH_WAVE (50),
// BENCH_FALLBACK (20 pairs per round), BENCH_ROUNDS (3); BENCH_SECTIONS (spawns,single,burst,phases,churn)
// runs a subset.
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { phaseTable, readTrace } from './agent-phases.js';
import {
  type BenchAgent,
  cpuMs,
  DescendantCpu,
  Failures,
  fmt,
  machine,
  makeScene,
  percentile,
  rerunInside,
  runPlugin,
  sh,
  shuffled,
  spread,
  startBenchAgent,
} from './lib.js';

const self = fileURLToPath(import.meta.url);
const here = dirname(self);
const ROOT = here.includes('/build/') ? join(here, '..', '..') : join(here, '..');
const DIST_CNI = join(ROOT, 'dist', 'cni');
const AGENT = join(ROOT, 'dist', 'agent', 'agent.js');
const REF = '/usr/lib/cni';
const num = (k: string, d: number) => Number(process.env[k] ?? d);
const SINGLE = num('BENCH_SINGLE', 100);
const BURST = num('BENCH_BURST', 100);
const CHURN = num('BENCH_CHURN', 1000);
const WAVE = num('BENCH_WAVE', 50);
const FALLBACK = num('BENCH_FALLBACK', 20);
const ROUNDS = Math.max(3, num('BENCH_ROUNDS', 3));
const SECTIONS = new Set((process.env['BENCH_SECTIONS'] ?? 'spawns,single,burst,phases,churn').split(','));
delete process.env['NODE_EXTRA_CA_CERTS'];

interface Ctx {
  host: string;
  master: string;
  prefix: string;
}

// ---------------------------------------------------------------- outer: scene, then re-run inside it
async function outer(): Promise<void> {
  for (const f of [join(DIST_CNI, 'trunkline-macvlan'), AGENT]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run node scripts/build.mjs first`);
  }
  const scene = makeScene('ta');
  const ctx: Ctx = { host: scene.host, master: scene.master, prefix: `${scene.host}p` };
  try {
    // As many pool threads as the agent has (src/cli/agent.ts), for the floor's concurrent operations.
    const status = rerunInside(scene.hostPath, self, ctx, { ...process.env, UV_THREADPOOL_SIZE: '32' });
    if (status !== 0) process.exitCode = status;
  } finally {
    for (const ns of sh(['ip', 'netns', 'list']).split('\n')) {
      const name = ns.split(' ')[0] ?? '';
      if (name.startsWith(ctx.prefix)) spawnSync('ip', ['netns', 'del', name]);
    }
    scene.cleanup();
  }
}

// ---------------------------------------------------------------- inner: runs in the host namespace
interface Side {
  label: string;
  file: string;
  conf: string;
  env: Record<string, string>;
  /** Allocations still held (must be 0 at the end). */
  leftover(): Promise<number>;
}

const tmp = mkdtempSync(join(tmpdir(), 'ta-bench-'));

function hostLocal(name: string, subnet: string) {
  const dataDir = join(tmp, `hl-${name}`);
  return {
    name,
    ipam: { type: 'host-local', dataDir, ranges: [[{ subnet }]] },
    leftover: async () => {
      const dir = join(dataDir, name);
      if (!existsSync(dir)) return 0;
      return readdirSync(dir).filter((f) => f !== 'lock' && !f.startsWith('last_reserved_ip')).length;
    },
  };
}

function trunklineIpam(name: string, third: number) {
  const manifestDir = join(tmp, `manifests-${name}`);
  mkdirSync(manifestDir, { recursive: true });
  writeFileSync(
    join(manifestDir, 'pool.yaml'),
    `apiVersion: spiderpool.spidernet.io/v2beta1
kind: SpiderIPPool
metadata: {name: ${name}}
spec:
  subnet: 10.${third}.0.0/16
  ips: [10.${third}.0.10-10.${third}.15.250]
  gateway: 10.${third}.0.1
`,
  );
  const path = join(tmp, `${name}.db`);
  return {
    name,
    ipam: {
      type: 'trunkline-ipam',
      default_ipv4_ippool: [name],
      manifestDir,
      stateDir: join(tmp, `state-${name}`),
      store: { path },
    },
    leftover: async () => {
      const { createStore } = await import('../src/store/index.js');
      const s = createStore({ path });
      try {
        return (await s.list()).length;
      } finally {
        await s.close();
      }
    },
  };
}

function side(
  label: string,
  file: string,
  type: string,
  master: string,
  ipam: { name: string; ipam: object; leftover: () => Promise<number> },
  env: Record<string, string> = {},
): Side {
  const conf = JSON.stringify({
    cniVersion: '1.0.0',
    name: ipam.name,
    type,
    master,
    mode: 'bridge',
    ipam: ipam.ipam,
  });
  return { label, file, conf, env, leftover: ipam.leftover };
}

function cniEnv(s: Side, command: string, id: string, netns: string): Record<string, string> {
  return {
    ...s.env,
    CNI_COMMAND: command,
    CNI_CONTAINERID: id,
    CNI_NETNS: netns,
    CNI_IFNAME: 'eth0',
    CNI_PATH: `${DIST_CNI}:${REF}`,
  };
}

const failures = new Failures();

/** Times one call; a failure is counted (and reported at the end) and gives no latency. */
async function call(s: Side, command: string, id: string, netns: string): Promise<number | undefined> {
  const r = await runPlugin(s.file, cniEnv(s, command, id, netns), s.conf);
  if (r.code === 0) return r.ms;
  failures.add(s.label, `${command} ${id}: ${r.stdout.trim().slice(0, 200)}`);
  return undefined;
}

function makeNamespaces(prefix: string, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = `${prefix}${i}`;
    sh(['ip', 'netns', 'add', name]);
    out.push(`/var/run/netns/${name}`);
  }
  return out;
}

interface SingleResult {
  label: string;
  add: number[];
  del: number[];
  pair: number[];
}

const emptySingle = (label: string): SingleResult => ({ label, add: [], del: [], pair: [] });

/** One ADD+DEL pair; a failed call leaves the pair out. */
async function pair(s: Side, id: string, ns: string, into: SingleResult): Promise<void> {
  const a = await call(s, 'ADD', id, ns);
  const d = await call(s, 'DEL', id, ns);
  if (a === undefined || d === undefined) return;
  into.add.push(a);
  into.del.push(d);
  into.pair.push(a + d);
}

/** `n` pairs per side, each pair running the sides in a fresh random order; `few` sides stop at `fewN`. */
async function singleRound(
  sides: Side[],
  ns: string,
  n: number,
  tag: string,
  few: Side[] = [],
  fewN = 0,
): Promise<Map<string, SingleResult>> {
  const out = new Map([...sides, ...few].map((s) => [s.label, emptySingle(s.label)]));
  for (let i = 0; i < n; i++) {
    const now = i < fewN ? [...sides, ...few] : sides;
    for (const s of shuffled(now)) await pair(s, `${tag}${i}`, ns, out.get(s.label)!);
  }
  return out;
}

interface BurstResult {
  label: string;
  addWall: number;
  delWall: number;
  addP99: number;
  delP99: number;
  cpuPerPod: number;
  /** Of cpuPerPod, what the agents (and their children) spent. */
  agentCpuPerPod: number;
  /** Each ADD's wall time (failed ones left out). */
  adds: number[];
}

let agentPids: number[] = [];
const agentCpu = () => agentPids.reduce((a, p) => a + cpuMs(p), 0);
// Every descendant through a cgroup: a shim without the agent answers before its Node child has exited,
// so that child is never waited for (bench/lib.ts DescendantCpu); else waited children and the agents.
let descendants: DescendantCpu | undefined; // made by inner(), the process that runs the plugins
const cpuNow = () => (descendants?.counting ? descendants.ms() : cpuMs('children') + agentCpu());
const ok = (xs: (number | undefined)[]) => xs.filter((x): x is number => x !== undefined);

async function burst(s: Side, namespaces: string[], tag: string): Promise<BurstResult> {
  const cpu0 = cpuNow();
  const agent0 = agentCpu();
  let t0 = performance.now();
  const adds = await Promise.all(namespaces.map((ns, i) => call(s, 'ADD', `${tag}${i}`, ns)));
  const addWall = performance.now() - t0;
  t0 = performance.now();
  const dels = await Promise.all(namespaces.map((ns, i) => call(s, 'DEL', `${tag}${i}`, ns)));
  const delWall = performance.now() - t0;
  await descendants?.settle(agentPids);
  const cpu = cpuNow() - cpu0;
  const agentSpent = agentCpu() - agent0;
  // What a failed DEL left would fail the next side's ADD in the same namespace: removed here (outside
  // the timing) and counted against this side.
  for (const ns of namespaces) {
    const name = ns.split('/').pop()!;
    if (spawnSync('ip', ['-n', name, 'link', 'del', 'eth0'], { stdio: 'ignore' }).status === 0) {
      failures.add(s.label, `eth0 left in ${name} after DEL`);
    }
  }
  return {
    label: s.label,
    addWall,
    delWall,
    addP99: percentile(ok(adds), 99),
    delP99: percentile(ok(dels), 99),
    cpuPerPod: cpu / namespaces.length,
    agentCpuPerPod: agentSpent / namespaces.length,
    adds: ok(adds),
  };
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0);
}

function linksLeft(namespaces: string[]): number {
  let n = 0;
  for (const ns of namespaces) {
    const name = ns.split('/').pop()!;
    n += sh(['ip', '-n', name, '-o', 'link'])
      .trim()
      .split('\n')
      .filter((l) => !/: lo:/.test(l)).length;
  }
  return n;
}

type Agent = BenchAgent;

function startAgent(kernel: 'netlink' | 'iproute2'): Promise<Agent> {
  return startBenchAgent(AGENT, join(tmp, `agent-${kernel}.sock`), ['--kernel', kernel]);
}

/** execve calls the agent makes for one ADD and one DEL (strace), or undefined without strace. */
async function spawnsPerPair(
  agent: Agent,
  s: Side,
  ns: string,
): Promise<{ add: number; del: number } | undefined> {
  if (spawnSync('strace', ['-V']).status !== 0) return undefined;
  const count = async (command: string): Promise<number> => {
    const log = join(tmp, `strace-${command}.txt`);
    const st = spawn(
      'strace',
      ['-f', '-qq', '-e', 'trace=execve', '-e', 'signal=none', '-o', log, '-p', String(agent.pid)],
      {
        stdio: 'ignore',
      },
    );
    await new Promise((r) => setTimeout(r, 300));
    await call(s, command, 'strace0', ns);
    await new Promise((r) => setTimeout(r, 100));
    st.kill('SIGINT');
    await new Promise((r) => st.once('exit', r));
    return readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => l.includes('execve(') && / = 0$/.test(l)).length;
  };
  return { add: await count('ADD'), del: await count('DEL') };
}

function row(cells: (string | number)[], widths: number[]): string {
  return cells
    .map((c, i) => (i === 0 ? String(c).padEnd(widths[i]!) : String(c).padStart(widths[i]!)))
    .join('  ');
}

/** The kernel operations of one macvlan ADD (create in the pod namespace, rename, address, up, route) and its DEL. */
async function floorOps(master: string) {
  const { createNetlinkKernel } = await import('../src/kernel/netlink/index.js');
  const { configureIface } = await import('../src/plugins/common/configure.js');
  const kernel = createNetlinkKernel(join(ROOT, 'dist', 'lib', 'trunkline_netlink.node'));
  if (!kernel) throw new Error('the netlink addon does not load: run node scripts/build.mjs');
  const result = {
    cniVersion: '1.0.0',
    ips: [{ address: '10.126.0.5/16', gateway: '10.126.0.1', interface: 0 }],
    routes: [{ dst: '0.0.0.0/0' }],
  };
  return {
    add: async (ns: string, tmpName: string) => {
      await kernel.createLink(null, { kind: 'macvlan', name: tmpName, master, mode: 'bridge', netns: ns });
      await kernel.setLink(ns, tmpName, { name: 'eth0' });
      await configureIface(kernel, ns, 'eth0', result);
    },
    del: (ns: string) => kernel.deleteLink(ns, 'eth0'),
  };
}

/** The floor of a burst: every pod's kernel operations at once, in this process (ms of wall). */
async function floorBurst(master: string, namespaces: string[]): Promise<{ add: number; del: number }> {
  const ops = await floorOps(master);
  let t0 = performance.now();
  await Promise.all(namespaces.map((ns, i) => ops.add(ns, `tlfloor${i}`)));
  const add = performance.now() - t0;
  t0 = performance.now();
  await Promise.all(namespaces.map((ns) => ops.del(ns)));
  return { add, del: performance.now() - t0 };
}

/** The kernel work of one macvlan ADD and DEL alone, in this process through the netlink backend. */
async function floor(
  master: string,
  ns: string,
  n: number,
): Promise<{ add: number[]; del: number[]; pair: number[]; cpuPerPair: number }> {
  const ops = await floorOps(master);
  const add: number[] = [];
  const del: number[] = [];
  const pair: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await ops.add(ns, 'tlfloor0');
    const t1 = performance.now();
    await ops.del(ns);
    const t2 = performance.now();
    add.push(t1 - t0);
    del.push(t2 - t1);
    pair.push(t2 - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  return { add, del, pair, cpuPerPair: (cpu.user + cpu.system) / 1000 / n };
}

async function inner(ctx: Ctx): Promise<void> {
  console.log(`machine: ${machine()}`);
  descendants = new DescendantCpu();
  console.log(`CPU counted by: ${descendants.method}`);
  console.log(
    `sizes: ${ROUNDS} rounds of single ${SINGLE} (fallback ${FALLBACK}) and burst ${BURST}; churn ${CHURN} in waves of ${WAVE}\n`,
  );
  const shim = join(DIST_CNI, 'trunkline-macvlan');
  const singleNs = makeNamespaces(`${ctx.prefix}s`, 1)[0]!;
  const burstNs = makeNamespaces(`${ctx.prefix}b`, BURST);
  const waveNs = makeNamespaces(`${ctx.prefix}w`, WAVE);
  const agents: Agent[] = [];
  try {
    const nl = await startAgent('netlink');
    agents.push(nl);
    const ip2 = await startAgent('iproute2');
    agents.push(ip2);
    agentPids = [nl.pid, ip2.pid];
    const viaAgent = (a: Agent) => ({ TRUNKLINE_AGENT_SOCK: a.socket });
    const ref = side(
      'reference',
      join(REF, 'macvlan'),
      'macvlan',
      ctx.master,
      hostLocal('reference', '10.121.0.0/16'),
    );
    const oursHl = side(
      'agent+host-local',
      shim,
      'trunkline-macvlan',
      ctx.master,
      hostLocal('agent-hl', '10.122.0.0/16'),
      viaAgent(nl),
    );
    const ours = side(
      'agent+tl-ipam',
      shim,
      'trunkline-macvlan',
      ctx.master,
      trunklineIpam('agent-tl', 123),
      viaAgent(nl),
    );
    const oursIp2 = side(
      'agent(iproute2)+tl-ipam',
      shim,
      'trunkline-macvlan',
      ctx.master,
      trunklineIpam('agent-ip2', 124),
      viaAgent(ip2),
    );
    const fallback = side(
      'no agent (fallback)',
      shim,
      'trunkline-macvlan',
      ctx.master,
      trunklineIpam('fallback', 125),
      {
        TRUNKLINE_AGENT_SOCK: join(tmp, 'no-agent.sock'),
      },
    );
    // Warm-up (page cache, agent JIT), not measured.
    await singleRound([ref, oursHl, ours, oursIp2], singleNs, 10, 'warm');

    if (SECTIONS.has('spawns')) {
      console.log('spawns inside the agent per ADD / DEL (strace execve):');
      for (const [a, s] of [
        [ip2, oursIp2],
        [nl, ours],
        [nl, oursHl],
      ] as const) {
        const c = await spawnsPerPair(a, s, singleNs);
        console.log(`  ${s.label.padEnd(26)} ${c ? `${c.add} / ${c.del}` : 'strace not available'}`);
      }
    }

    /** Sides added by a section (the traced agent's), checked for leftovers too. */
    const extra: Side[] = [];
    const rounds: Map<string, SingleResult>[] = [];
    const over = (label: string, f: (x: SingleResult) => number) => rounds.map((m) => f(m.get(label)!));
    const pairOf = (label: string) => over(label, (x) => percentile(x.pair, 50));
    // 1. single pod, sequential
    if (SECTIONS.has('single')) {
      const W1 = [26, 18, 18, 20, 20];
      console.log(
        `\n1. single pod: ${ROUNDS} rounds × ${SINGLE} sequential ADD+DEL, sides in random order per pair`,
      );
      console.log('   (ms per call, wall; median over rounds and min–max)');
      console.log(row(['side', 'ADD p50', 'DEL p50', 'pair p50', 'pair p99'], W1));
      const mains = [ref, ours, oursHl, oursIp2];
      for (let r = 0; r < ROUNDS; r++) {
        rounds.push(await singleRound(mains, singleNs, SINGLE, `s${r}-`, [fallback], FALLBACK));
      }
      for (const s of [...mains, fallback]) {
        console.log(
          row(
            [
              s.label,
              spread(over(s.label, (x) => percentile(x.add, 50))),
              spread(over(s.label, (x) => percentile(x.del, 50))),
              spread(over(s.label, (x) => percentile(x.pair, 50))),
              spread(over(s.label, (x) => percentile(x.pair, 99))),
            ],
            W1,
          ),
        );
      }
      for (const s of [ours, oursHl, oursIp2, fallback]) {
        const ratio = (p: number) =>
          spread(
            rounds.map((m) => percentile(m.get(s.label)!.pair, p) / percentile(m.get(ref.label)!.pair, p)),
            2,
          );
        console.log(`  ratio ${s.label}/reference per round: pair p50 ${ratio(50)}, p99 ${ratio(99)}`);
      }
    }

    // 2. burst
    if (SECTIONS.has('burst')) {
      const W2 = [26, 18, 18, 18, 18, 18, 18];
      console.log(
        `\n2. burst: ${BURST} pods ADDed concurrently in ${BURST} namespaces, then DELed; ${ROUNDS} rounds, sides in random order per round (ms)`,
      );
      console.log(
        row(['side', 'ADD wall', 'ADD p99', 'DEL wall', 'DEL p99', 'CPU/pod (ms)', 'of it agent'], W2),
      );
      const bsides = [ref, ours, oursHl, oursIp2, fallback];
      const bursts = new Map<string, BurstResult[]>(bsides.map((s) => [s.label, []]));
      for (let r = 0; r < ROUNDS; r++) {
        for (const s of shuffled(bsides)) bursts.get(s.label)!.push(await burst(s, burstNs, `b${r}-`));
      }
      const bOver = (label: string, f: (b: BurstResult) => number) => bursts.get(label)!.map(f);
      for (const s of bsides) {
        console.log(
          row(
            [
              s.label,
              spread(
                bOver(s.label, (b) => b.addWall),
                0,
              ),
              spread(
                bOver(s.label, (b) => b.addP99),
                0,
              ),
              spread(
                bOver(s.label, (b) => b.delWall),
                0,
              ),
              spread(
                bOver(s.label, (b) => b.delP99),
                0,
              ),
              spread(bOver(s.label, (b) => b.cpuPerPod)),
              agentPids.length > 0 && s !== ref ? spread(bOver(s.label, (b) => b.agentCpuPerPod)) : '',
            ],
            W2,
          ),
        );
      }
      const refB = bursts.get(ref.label)!;
      for (const s of bsides.slice(1)) {
        const ratio = (f: (b: BurstResult) => number) =>
          spread(
            bursts.get(s.label)!.map((b, i) => f(b) / f(refB[i]!)),
            2,
          );
        console.log(
          `  ratio ${s.label}/reference per round: ADD wall ${ratio((b) => b.addWall)}, DEL wall ${ratio((b) => b.delWall)}, ADD p99 ${ratio((b) => b.addP99)}`,
        );
      }
    }

    // 4. where the time goes: the agent's phase trace (a third agent, traced, interleaved with the
    // untraced one to show what tracing costs), the runtime's exec of a shim, and the floor.
    if (SECTIONS.has('phases')) {
      const traceFile = join(tmp, 'trace.jsonl');
      const tracedAgent = await startBenchAgent(
        AGENT,
        join(tmp, 'agent-traced.sock'),
        ['--kernel', 'netlink'],
        'warn',
        { TRUNKLINE_AGENT_TRACE: traceFile },
      );
      agents.push(tracedAgent);
      const traced = side(
        'agent+tl-ipam traced',
        shim,
        'trunkline-macvlan',
        ctx.master,
        trunklineIpam('agent-tr', 127),
        viaAgent(tracedAgent),
      );
      extra.push(traced);
      await singleRound([traced], singleNs, 10, 'twarm');
      const skip = readTrace(traceFile).length;
      const floorAdd: number[] = [];
      const floorDel: number[] = [];
      const floorPair: number[] = [];
      let floorCpu = 0;
      const shimExec: number[] = [];
      const allShim: number[] = [];
      const phaseRounds: Map<string, SingleResult>[] = [];
      const agentCpuPair = { untraced: 0, traced: 0, system: 0 };
      let shimCpu = 0;
      for (let r = 0; r < ROUNDS; r++) {
        const c0 = [cpuMs(nl.pid), cpuMs(tracedAgent.pid), cpuMs(nl.pid, 'system')];
        phaseRounds.push(await singleRound([ours, traced], singleNs, SINGLE, `p${r}-`));
        agentCpuPair.untraced += (cpuMs(nl.pid) - c0[0]!) / SINGLE / ROUNDS;
        agentCpuPair.system += (cpuMs(nl.pid, 'system') - c0[2]!) / SINGLE / ROUNDS;
        agentCpuPair.traced += (cpuMs(tracedAgent.pid) - c0[1]!) / SINGLE / ROUNDS;
        const f = await floor(ctx.master, singleNs, SINGLE);
        floorAdd.push(...f.add);
        floorDel.push(...f.del);
        floorPair.push(percentile(f.pair, 50));
        floorCpu += f.cpuPerPair / ROUNDS;
        const ex: number[] = [];
        const s0 = cpuMs('children');
        for (let i = 0; i < SINGLE; i++) {
          ex.push((await runPlugin(shim, { CNI_COMMAND: 'VERSION', CNI_PATH: DIST_CNI }, '{}')).ms);
        }
        shimCpu += (cpuMs('children') - s0) / SINGLE / ROUNDS;
        shimExec.push(percentile(ex, 50));
        allShim.push(...ex);
      }
      const singleTrace = readTrace(traceFile).slice(skip);
      const pooled = (label: string, f: (x: SingleResult) => number[]) =>
        phaseRounds.flatMap((m) => f(m.get(label)!));
      console.log(
        `\n4. phases: ${ROUNDS} rounds × ${SINGLE} sequential pairs through a traced agent (netlink, tl-ipam), interleaved with the untraced one`,
      );
      console.log(
        `  floor: the same kernel operations in-process (netlink), ADD ${fmt(percentile(floorAdd, 50))}, DEL ${fmt(percentile(floorDel, 50))}, pair ${spread(floorPair)} ms`,
      );
      console.log(
        `  runtime exec of the C shim (answers VERSION itself): ${spread(shimExec, 2)} ms per call, CPU ${fmt(shimCpu)} ms per call`,
      );
      console.log(
        `  CPU per sequential pair: agent untraced ${fmt(agentCpuPair.untraced)} ms (in the kernel ${fmt(agentCpuPair.system)}), traced ${fmt(agentCpuPair.traced)} ms; the floor's kernel operations in-process ${fmt(floorCpu)} ms`,
      );
      const pairP50 = (label: string) => phaseRounds.map((m) => percentile(m.get(label)!.pair, 50));
      console.log(
        `  tracing's cost: pair p50 traced ${spread(pairP50(traced.label))} vs untraced ${spread(pairP50(ours.label))} ms`,
      );
      for (const [command, client, fl] of [
        ['ADD', pooled(traced.label, (x) => x.add), floorAdd],
        ['DEL', pooled(traced.label, (x) => x.del), floorDel],
      ] as const) {
        for (const l of phaseTable(singleTrace, command, { client, shimExec: allShim, floor: fl }))
          console.log(l);
      }
      const agentPair = percentile(pairP50(ours.label), 50);
      const rest = agentPair - percentile(floorPair, 50) - 2 * percentile(shimExec, 50);
      console.log(
        `  agent+tl-ipam pair p50 ${fmt(agentPair)} = floor ${fmt(percentile(floorPair, 50))} + 2 shim execs ${fmt(2 * percentile(shimExec, 50))} + socket, config, store and JS ${fmt(rest)}`,
      );
      if (rounds.length > 0)
        console.log(
          `  pair p50 / floor: reference ${spread(
            pairOf(ref.label).map((x, i) => x / floorPair[i]!),
            2,
          )}, agent+tl-ipam ${spread(
            pairOf(ours.label).map((x, i) => x / floorPair[i]!),
            2,
          )}, no agent ${spread(
            pairOf(fallback.label).map((x, i) => x / floorPair[i]!),
            2,
          )}`,
        );
      // The same split under a burst: what the concurrent ADDs wait on.
      const beforeBurst = readTrace(traceFile).length;
      const tb = await burst(traced, burstNs, 'pb-');
      const burstTrace = readTrace(traceFile).slice(beforeBurst);
      const fb: { add: number; del: number }[] = [];
      for (let r = 0; r < ROUNDS; r++) fb.push(await floorBurst(ctx.master, burstNs));
      console.log(
        `  floor of a burst of ${BURST} (every pod's kernel operations at once, in-process): ADD wall ${spread(
          fb.map((f) => f.add),
          0,
        )}, DEL wall ${spread(
          fb.map((f) => f.del),
          0,
        )} ms`,
      );
      console.log(`  burst of ${BURST} through the traced agent: ADD wall ${fmt(tb.addWall)} ms`);
      for (const l of phaseTable(burstTrace, 'ADD', {
        client: tb.adds,
        shimExec: allShim,
        floor: floorAdd,
      })) {
        console.log(l);
      }
    }

    // 3. churn through the agent
    if (SECTIONS.has('churn')) {
      console.log(
        `\n3. churn: ${CHURN} pods through the agent (netlink, trunkline-ipam) in waves of ${WAVE}`,
      );
      const rss0 = rssKb(nl.pid);
      const samples: string[] = [];
      const t0 = performance.now();
      for (let w = 0; w * WAVE < CHURN; w++) {
        const ids = waveNs.map((_, i) => `c${w}-${i}`);
        await Promise.all(waveNs.map((ns, i) => call(ours, 'ADD', ids[i]!, ns)));
        await Promise.all(waveNs.map((ns, i) => call(ours, 'DEL', ids[i]!, ns)));
        const done = (w + 1) * WAVE;
        if (done % Math.max(WAVE, Math.floor(CHURN / 8 / WAVE) * WAVE) === 0) {
          samples.push(`${done}:${(rssKb(nl.pid) / 1024).toFixed(0)}`);
        }
      }
      const churnMs = performance.now() - t0;
      const rss1 = rssKb(nl.pid);
      console.log(
        `  ${fmt(churnMs)} ms total; agent RSS ${(rss0 / 1024).toFixed(1)} MiB before, ${(rss1 / 1024).toFixed(1)} MiB after (${((rss1 - rss0) / 1024).toFixed(1)} MiB growth)`,
      );
      console.log(`  RSS (MiB) after N pods: ${samples.join(' ')}`);
    }

    const all = [singleNs, ...burstNs, ...waveNs];
    const left: string[] = [];
    for (const s of [ref, ours, oursHl, oursIp2, fallback, ...extra])
      left.push(`${s.label} ${await s.leftover()}`);
    console.log(
      `\nleft at the end: links in pod namespaces besides lo: ${linksLeft(all)}; allocations: ${left.join(', ')}`,
    );
    const hostLinks = sh(['ip', '-o', 'link']).trim().split('\n').length;
    console.log(`links in the host namespace: ${hostLinks} (lo and ${ctx.master})`);
    console.log(failures.report());
  } finally {
    for (const a of agents) {
      const code = await a.stop();
      if (code !== 0) console.log(`agent ${a.socket} exited with ${code}`);
    }
    await descendants?.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--inner') await inner(JSON.parse(process.argv[3] ?? '{}') as Ctx);
else await outer();
