// An in-place upgrade while a runtime keeps executing the installed plugin: every execution must run
// a complete binary (old or new), never fail with ETXTBSY ("Text file busy", Multus #1221) or on a
// half-written file. Two payload versions, each a real executable padded to megabytes so a write
// takes long enough to be caught, are installed alternately while a shell loop execs the file.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { installOnce } from '../../src/install/install.js';

function payload(dir: string, exe: string, pad: number): void {
  mkdirSync(join(dir, 'cni'), { recursive: true });
  mkdirSync(join(dir, 'plugins'), { recursive: true });
  // Trailing bytes after an ELF's sections do not change what it runs.
  writeFileSync(
    join(dir, 'cni', 'trunkline'),
    Buffer.concat([readFileSync(exe), Buffer.alloc(pad, pad % 251)]),
  );
  writeFileSync(join(dir, 'plugins', 'trunkline.js'), `// version ${pad}\n`);
}

describe('in-place upgrade under load', () => {
  it('a loop executing the plugin sees only complete binaries while versions alternate', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tl-upgrade-'));
    let loop: ReturnType<typeof spawn> | undefined;
    try {
      payload(join(root, 'v1'), '/bin/true', 8 << 20);
      payload(join(root, 'v2'), '/bin/false', 9 << 20);
      const bin = join(root, 'host', 'opt', 'cni', 'bin');
      const opts = (v: string) => ({
        sourceDir: join(root, v),
        binDir: bin,
        confDir: join(root, 'host', 'etc', 'cni', 'net.d'),
        stateDir: join(root, 'host', 'var', 'lib', 'trunkline'),
      });
      installOnce(opts('v1'));
      // Exit 0 (v1) or 1 (v2) is a complete binary; 126 is ETXTBSY/ENOEXEC, anything else a crash.
      loop = spawn(
        'bash',
        [
          '-c',
          'runs=0; while [ ! -e "$2" ]; do "$1"; rc=$?; runs=$((runs+1)); [ $rc -le 1 ] || echo "bad exit $rc"; done; echo "runs $runs"',
          'loop',
          join(bin, 'trunkline'),
          join(root, 'stop'),
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      loop.stdout?.on('data', (d) => (out += d));
      loop.stderr?.on('data', (d) => (out += d));
      const exited = new Promise<number | null>((resolve) => loop?.on('exit', resolve));
      let upgrades = 0;
      for (let i = 0; i < 24; i++) {
        const r = installOnce(opts(i % 2 === 0 ? 'v2' : 'v1'));
        assert.ok(r.written.includes(join(bin, 'trunkline')));
        upgrades++;
        // Let the loop run between upgrades without depending on how long that takes.
        await new Promise((res) => setImmediate(res));
      }
      writeFileSync(join(root, 'stop'), '');
      assert.equal(await exited, 0);
      assert.equal(upgrades, 24);
      assert.doesNotMatch(out, /bad exit|busy|format error|cannot execute/i, out);
      const runs = Number(/runs (\d+)/.exec(out)?.[1]);
      assert.ok(runs > 0, `the loop executed the plugin (${out})`);
    } finally {
      loop?.kill('SIGKILL');
      rmSync(root, { recursive: true, force: true });
    }
  });
});
