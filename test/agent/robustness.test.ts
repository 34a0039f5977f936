// Regression tests for what one bad call could do to the node agent (issue 16, defects 1-3 and 7, and
// the agent hardening): each reproduces the defect's input and asserts the agent answers it with a CNI
// error and keeps serving normal calls, leaving nothing behind.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, symlinkSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { callAgent } from '../../src/agent/client.js';
import { runCni } from '../helpers/cni.js';
import { links, Scene } from '../helpers/netns.js';
import { DIST_CNI } from '../helpers/paths.js';
import { CNI_PATH, macvlanConf, metric, startAgent, type TestAgent, tempDir, viaShim } from './helpers.js';

/** Raw bytes to the socket; resolves with everything the agent sent before closing. */
function raw(socket: string, data: Buffer | string, endAfterWrite = false): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(socket);
    let got = '';
    s.on('data', (c: Buffer) => {
      got += c.toString();
    });
    s.on('error', () => {});
    s.on('close', () => resolve(got));
    s.write(data, () => {
      if (endAfterWrite) s.end();
    });
  });
}

/** The CNI error a reply frame carries (status "ok", exit 1, error object as body). */
function replyError(frame: string): { status: string; exitCode: number; code: number; msg: string } {
  const nl = frame.indexOf('\n');
  const head = JSON.parse(frame.slice(0, nl)) as { status: string; exitCode: number };
  const body = JSON.parse(frame.slice(nl + 1)) as { code: number; msg: string };
  return { ...head, ...body };
}

describe('agent robustness', () => {
  const scene = new Scene('tr');
  const tmp = tempDir();
  let host: ReturnType<Scene['host']>;
  let pod: { name: string; path: string };
  let agent: TestAgent;
  let n = 0;
  const hostLocal = () => ({
    type: 'host-local',
    dataDir: join(tmp.path, 'hl'),
    ranges: [[{ subnet: '10.67.0.0/24', gateway: '10.67.0.1' }]],
  });
  const call = (command: string, id: string, conf: object, extraEnv: Record<string, string> = {}) =>
    viaShim(
      command,
      { id, netns: pod.path, socket: agent.socket, hostNetns: host.path, path: CNI_PATH, extraEnv },
      conf,
    );

  /** A normal ADD + DEL round trip through the agent: the node is still served. */
  async function stillServes(): Promise<void> {
    const id = `tr-ok${n++}`;
    const conf = macvlanConf(host.master, hostLocal());
    const add = await call('ADD', id, conf);
    assert.equal(add.code, 0, add.stdout + add.stderr);
    const del = await call('DEL', id, conf);
    assert.equal(del.code, 0, del.stdout);
    assert.deepEqual(links(pod.name), ['lo']);
  }

  before(async () => {
    host = scene.host();
    pod = scene.netns('p');
    agent = await startAgent(host.path, tmp.path, [
      '--idle-ms',
      '1500',
      '--request-memory',
      String(40 * 1024 * 1024),
      '--max-open',
      '400',
    ]);
  });
  after(async () => {
    await agent?.stop();
    scene.cleanup();
    tmp.cleanup();
  });

  it('defect 1: ipam.type naming a main plugin is refused with code 7, with and without the agent', async () => {
    const conf = macvlanConf(host.master, { type: 'trunkline-macvlan' });
    const viaAgent = await call('ADD', 'tr-cycle1', conf);
    assert.equal(viaAgent.json?.['code'], 7, viaAgent.stdout);
    assert.match(String(viaAgent.json?.['msg']), /delegation cycle: trunkline-macvlan → trunkline-macvlan/);
    const alone = await call('ADD', 'tr-cycle2', conf, { TRUNKLINE_NO_AGENT: '1' });
    assert.equal(alone.json?.['code'], 7, alone.stdout);
    assert.deepEqual(links(pod.name), ['lo']);
    await stillServes();
  });

  it('defect 2: 200 idle connections take no slot; they are closed after the idle bound', async () => {
    const idle: Socket[] = [];
    const closed: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) {
      const s = connect(agent.socket);
      s.on('error', () => {});
      // Read what the agent says (a "busy" reply when it gives up), as a shim does; an unread reply
      // would keep the client's end from seeing the close.
      s.resume();
      closed.push(new Promise((r) => s.on('close', () => r())));
      idle.push(s);
    }
    // One more that sent half a header and stopped.
    const half = connect(agent.socket);
    half.on('error', () => {});
    half.resume();
    half.write('{"version":1,"type":"trunkline-macvlan"');
    closed.push(new Promise((r) => half.on('close', () => r())));
    try {
      await stillServes();
    } finally {
      await Promise.all(closed); // the agent closes them (--idle-ms 1500); the test times out otherwise
    }
    await stillServes();
  });

  it('defect 3: a header over 64 KiB is answered with a CNI error, and the shim does not retry it', async () => {
    const frame = await raw(agent.socket, Buffer.alloc(70 * 1024, 'x'));
    const e = replyError(frame);
    assert.equal(e.status, 'ok');
    assert.equal(e.exitCode, 1);
    assert.equal(e.code, 4);
    // Through the shim: a CNI_ARGS of 100 KiB makes the header too long; code 4, not 11 after retries.
    const before = metric((await agent.http('/metrics')).body, 'trunkline_agent_protocol_errors_total');
    const r = await call('ADD', 'tr-big', macvlanConf(host.master, hostLocal()), {
      CNI_ARGS: `IgnoreUnknown=1;X=${'a'.repeat(100 * 1024)}`,
      TRUNKLINE_SHIM_TIMEOUT_MS: '60000',
    });
    assert.equal(r.json?.['code'], 4, r.stdout);
    const afterCount = metric((await agent.http('/metrics')).body, 'trunkline_agent_protocol_errors_total');
    assert.equal(afterCount - before, 1, 'one refusal, no retries');
    assert.deepEqual(links(pod.name), ['lo']);
  });

  it('a 100 MB frame is refused at its header with code 5; a client gone mid-request costs nothing', async () => {
    const header = `${JSON.stringify({ version: 1, type: 'trunkline-macvlan', command: 'ADD', env: {}, stdinLength: 100_000_000 })}\n`;
    const e = replyError(
      await raw(agent.socket, Buffer.concat([Buffer.from(header), Buffer.alloc(1 << 20)])),
    );
    assert.equal(e.code, 5);
    assert.match(e.msg, /larger than/);
    // 100 MB of header bytes without a newline: refused after 64 KiB.
    const s = connect(agent.socket);
    s.on('error', () => {});
    let got = '';
    s.on('data', (c: Buffer) => {
      got += c.toString();
    });
    const done = new Promise<void>((r) => s.on('close', () => r()));
    const chunk = Buffer.alloc(1 << 20, 'y');
    for (let i = 0; i < 100 && !s.destroyed; i++) {
      if (!s.write(chunk)) await new Promise((r) => s.once('drain', r).once('close', r));
    }
    await done;
    assert.equal(replyError(got).code, 4);
    // Disconnect mid-request: half a body, then gone.
    const partial = `${JSON.stringify({ version: 1, type: 'trunkline-macvlan', command: 'ADD', env: {}, stdinLength: 1000 })}\n${'{'.repeat(500)}`;
    assert.equal(await raw(agent.socket, partial, true), '');
    await stillServes();
  });

  it('defect 7: total request memory is bounded (concurrent 15 MiB frames beyond the budget are told busy)', async () => {
    const head = (id: string) =>
      `${JSON.stringify({ version: 1, type: 'trunkline-macvlan', command: 'ADD', env: { CNI_CONTAINERID: id }, stdinLength: 15 * 1024 * 1024 })}\n`;
    const conns: { sock: Socket; reply: Promise<string> }[] = [];
    for (let i = 0; i < 8; i++) {
      const sock = connect(agent.socket);
      sock.on('error', () => {});
      let got = '';
      sock.on('data', (c: Buffer) => {
        got += c.toString();
      });
      const reply = new Promise<string>((r) => sock.on('close', () => r(got)));
      // The header and 1 MiB of body: the agent reserves the announced size at the header.
      sock.write(head(`tr-mem${i}`));
      sock.write(Buffer.alloc(1 << 20, ' '));
      conns.push({ sock, reply });
    }
    const replies = await Promise.all(conns.map((c) => c.reply)); // busy now, or busy once idle
    const heads = replies.map((r) => (r.startsWith('{') ? JSON.parse(r.split('\n')[0]!) : {}));
    // A request refused for the budget is told busy at once; one that fit is told busy (with the idle
    // reason) only when its sender stops.
    assert.equal(heads.filter((h) => h.status !== 'busy').length, 0, JSON.stringify(heads));
    const busy = heads.filter((h) => h.reason === undefined);
    // 40 MiB budget: two 15 MiB requests fit, the other six are refused for now.
    assert.equal(busy.length, 6, JSON.stringify(replies.map((r) => r.slice(0, 80))));
    await stillServes();
  });

  it('an unknown plugin type on the socket is a fallback, not an error, and a bad header a refusal', async () => {
    const fb = await callAgent(agent.socket, { type: 'no-such', env: { CNI_COMMAND: 'ADD' }, stdin: '{}' });
    assert.equal(fb.status, 'fallback');
    const e = replyError(await raw(agent.socket, '[1,2,3]\n'));
    assert.equal(e.code, 4);
  });

  it('in-process requests have a deadline: code 11, and the container is served again right after', async () => {
    const dir = join(tmp.path, 'slow');
    mkdirSync(dir, { recursive: true });
    const slowAgent = await startAgent(host.path, tmp.path, ['--request-timeout-ms', '1000']);
    try {
      // The meta plugin waits for a readiness file that never comes.
      const conf = {
        cniVersion: '1.0.0',
        name: 'tr-meta',
        type: 'trunkline',
        readinessindicatorfile: join(dir, 'never'),
        readinessTimeoutSeconds: 600,
        delegates: [macvlanConf(host.master, hostLocal())],
        source: { type: 'local', manifestDir: dir, stateDir: dir },
      };
      const opts = { netns: pod.path, socket: slowAgent.socket, hostNetns: host.path, path: CNI_PATH };
      const r = await runCni(
        join(DIST_CNI, 'trunkline'),
        {
          command: 'ADD',
          containerId: 'tr-slow',
          netns: pod.path,
          ifname: 'eth0',
          path: CNI_PATH,
          extraEnv: { TRUNKLINE_AGENT_SOCK: slowAgent.socket },
        },
        conf,
        host.path,
      );
      assert.equal(r.json?.['code'], 11, r.stdout);
      assert.match(String(r.json?.['msg']), /did not finish within 1000 ms/);
      // The same container's lock was released: its DEL is served (not queued behind the hung ADD).
      const del = await viaShim('DEL', { ...opts, id: 'tr-slow' }, macvlanConf(host.master, hostLocal()));
      assert.equal(del.code, 0, del.stdout);
      const metrics = (await slowAgent.http('/metrics')).body;
      assert.equal(metric(metrics, 'trunkline_agent_in_flight'), 0);
    } finally {
      await slowAgent.stop();
    }
  });

  it('the shim talks only to a root agent behind a root-owned, not world-writable directory', async () => {
    const base = join(tmp.path, 'trust');
    const open = join(base, 'open');
    const safe = join(base, 'safe');
    const nobodyDir = join(base, 'nobody');
    mkdirSync(open, { recursive: true });
    mkdirSync(safe, { recursive: true });
    mkdirSync(nobodyDir, { recursive: true });
    chmodSync(tmp.path, 0o755);
    chmodSync(base, 0o755);
    chmodSync(open, 0o777);
    chownSync(nobodyDir, 65534, 65534);
    // A fake agent that would answer every request with code 42, as root in the open dir and as nobody.
    const fake = `const net=require('net');const s=net.createServer(c=>{c.on('error',()=>{});c.on('data',()=>{});const b='{"cniVersion":"1.0.0","code":42,"msg":"fake"}';c.end(JSON.stringify({version:1,status:'ok',exitCode:1,stdoutLength:b.length})+'\\n'+b)});s.listen(process.argv[1],()=>console.log('up'));`;
    const listen = async (path: string, uid?: number) => {
      const child = spawn(process.execPath, ['-e', fake, path], {
        stdio: ['ignore', 'pipe', 'inherit'],
        ...(uid !== undefined ? { uid, gid: uid } : {}),
      });
      await new Promise((r) => child.stdout.once('data', r));
      return child;
    };
    const rootFake = await listen(join(open, 'agent.sock'));
    const nobodyFake = await listen(join(nobodyDir, 'agent.sock'), 65534);
    symlinkSync(join(nobodyDir, 'agent.sock'), join(safe, 'agent.sock'));
    try {
      for (const socket of [join(open, 'agent.sock'), join(safe, 'agent.sock')]) {
        // Invalid JSON: the bundled plugin's own answer is code 6; the fake would say 42.
        const r = await viaShim(
          'ADD',
          { id: 'tr-trust', netns: pod.path, socket, hostNetns: host.path, path: CNI_PATH },
          '{"cniVersion":' as unknown as object,
        );
        assert.equal(r.json?.['code'], 6, `${socket}: ${r.stdout}`);
        assert.match(r.stderr, /not using the agent/);
      }
    } finally {
      rootFake.kill('SIGKILL');
      nobodyFake.kill('SIGKILL');
    }
  });

  it('the agent serves only root or the configured uid (SO_PEERCRED), and refuses an unsafe socket dir', async () => {
    chmodSync(tmp.path, 0o755);
    // As nobody, through a socket whose mode was widened: the agent closes without a word.
    const ask = (socket: string) =>
      new Promise<string>((resolve) => {
        const script = `const s=require('net').connect(process.argv[1]);let g='';s.on('data',c=>g+=c);s.on('error',()=>{});s.on('close',()=>process.stdout.write(g||'<nothing>'));s.write(JSON.stringify({version:1,type:'no-such',command:'ADD',env:{},stdinLength:0})+'\\n');`;
        const c = spawn(process.execPath, ['-e', script, socket], {
          uid: 65534,
          gid: 65534,
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let out = '';
        c.stdout.on('data', (d: Buffer) => {
          out += d.toString();
        });
        c.on('close', () => resolve(out));
      });
    chmodSync(agent.socket, 0o666);
    assert.equal(await ask(agent.socket), '<nothing>');
    assert.ok(agent.logs().some((l) => l.includes('agent socket peer refused')));
    const allowed = await startAgent(host.path, tmp.path, ['--allow-uid', '65534']);
    try {
      assert.match(await ask(allowed.socket), /"status":"fallback"/);
    } finally {
      await allowed.stop();
    }
    const unsafe = join(tmp.path, 'unsafe');
    mkdirSync(unsafe, { mode: 0o777 });
    chmodSync(unsafe, 0o777);
    await assert.rejects(
      startAgent(host.path, unsafe),
      /must be owned by root and not group\/world-writable/,
    );
  });

  it('CNI_NETNS that is not a network namespace (FIFO, device, directory, /proc entry, relative path) → 3', async () => {
    const fifo = join(tmp.path, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const conf = macvlanConf(host.master, hostLocal());
    for (const [netns, code] of [
      [fifo, 3],
      ['/dev/null', 3],
      [tmp.path, 3],
      ['/proc/1', 3],
      ['/proc/self/fd/0', 3],
      ['/proc/1/ns/mnt', 3],
      ['relative/ns', 3],
    ] as const) {
      const r = await viaShim(
        'ADD',
        { id: 'tr-ns', netns, socket: agent.socket, hostNetns: host.path, path: CNI_PATH },
        conf,
      );
      assert.equal(r.json?.['code'], code, `${netns}: ${r.stdout}`);
    }
    assert.deepEqual(links(pod.name), ['lo']);
    await stillServes();
  });
});
