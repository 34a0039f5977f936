// The parsed-manifest cache of one-shot plugin processes (src/cluster/local/manifest-cache.ts): a read
// of unchanged files takes their values from the cache, and any change to a file — rewritten in place
// with the same size, replaced through a symlink, removed — is seen by the next read.
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type CacheFile, ManifestCache } from '../../../src/cluster/local/manifest-cache.js';
import { loadManifests } from '../../../src/cluster/local/manifests.js';
import { LocalSource } from '../../../src/cluster/local/source.js';

const pool = (name: string, last: number) =>
  `apiVersion: spiderpool.spidernet.io/v2beta1\nkind: SpiderIPPool\nmetadata: {name: ${name}}\n` +
  `spec: {subnet: 10.77.0.0/16, ips: [10.77.0.10-10.77.0.${last}], gateway: 10.77.0.1}\n`;

let dir: string;
let manifests: string;
let state: string;
let cacheFile: CacheFile;
const load = () => loadManifests(manifests, cacheFile);
const ranges = async () => (await load()).pools.map((p) => `${p.metadata.name} ${p.spec.ips?.[0]}`).sort();
const cached = () =>
  (JSON.parse(readFileSync(cacheFile.path, 'utf8')) as { files: Record<string, { docs: unknown[] }> }).files;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mcache-'));
  manifests = join(dir, 'manifests');
  state = join(dir, 'state');
  mkdirSync(manifests);
  mkdirSync(state);
  mkdirSync(join(dir, 'targets'));
  cacheFile = ManifestCache.fileFor(state, [manifests]);
  writeFileSync(join(manifests, 'a.yaml'), pool('a', 100));
  writeFileSync(join(dir, 'targets', 'b1.yaml'), pool('b', 101));
  writeFileSync(join(dir, 'targets', 'b2.yaml'), pool('b', 102));
  symlinkSync(join(dir, 'targets', 'b1.yaml'), join(manifests, 'b.yaml'));
  mkdirSync(join(dir, 'm2'));
  writeFileSync(join(dir, 'm2', 'c.yaml'), pool('c', 100));
  writeFileSync(join(manifests, 'inf.yaml'), 'kind: Other\nmetadata: {name: x}\nspec: {limit: .inf}\n');
  // A file is stored only once it is older than the filesystem's timestamp granularity could hide.
  await sleep(2_100);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('parsed-manifest cache', () => {
  it('stores what it parsed and reads it back instead of parsing', async () => {
    assert.deepEqual(await ranges(), ['a 10.77.0.10-10.77.0.100', 'b 10.77.0.10-10.77.0.101']);
    const files = cached();
    assert.deepEqual(Object.keys(files).sort(), [join(manifests, 'a.yaml'), join(manifests, 'b.yaml')]);
    // Served from the cache: an entry edited behind the reader's back is what it returns.
    const entry = files[join(manifests, 'a.yaml')]!;
    (entry.docs[0] as { metadata: { name: string } }).metadata.name = 'from-cache';
    writeFileSync(cacheFile.path, JSON.stringify({ v: 1, files }));
    assert.deepEqual(await ranges(), ['b 10.77.0.10-10.77.0.101', 'from-cache 10.77.0.10-10.77.0.100']);
  });

  it('a file rewritten with the same size is parsed again', async () => {
    writeFileSync(join(manifests, 'a.yaml'), pool('a', 199));
    assert.deepEqual(await ranges(), ['a 10.77.0.10-10.77.0.199', 'b 10.77.0.10-10.77.0.101']);
    // Too fresh to be stored yet; read again, it is still what the file says.
    assert.equal(cached()[join(manifests, 'a.yaml')], undefined);
    assert.deepEqual(await ranges(), ['a 10.77.0.10-10.77.0.199', 'b 10.77.0.10-10.77.0.101']);
  });

  it('a symlink swapped to another file (a ConfigMap update) is read through', async () => {
    unlinkSync(join(manifests, 'b.yaml'));
    symlinkSync(join(dir, 'targets', 'b2.yaml'), join(manifests, 'b.yaml'));
    assert.deepEqual(await ranges(), ['a 10.77.0.10-10.77.0.199', 'b 10.77.0.10-10.77.0.102']);
  });

  it('a removed file is gone from the result and from the cache', async () => {
    unlinkSync(join(manifests, 'b.yaml'));
    assert.deepEqual(await ranges(), ['a 10.77.0.10-10.77.0.199']);
    assert.equal(cached()[join(manifests, 'b.yaml')], undefined);
  });

  it('a corrupt cache is ignored and replaced', async () => {
    writeFileSync(cacheFile.path, '{"v":1,"files":');
    assert.deepEqual(await ranges(), ['a 10.77.0.10-10.77.0.199']);
    assert.doesNotThrow(cached);
  });

  it('values JSON cannot carry (.inf) are parsed every time, never stored', async () => {
    assert.equal(cached()[join(manifests, 'inf.yaml')], undefined);
  });

  it('LocalSource caches only when asked; only a state directory the config names is created', async () => {
    const m2 = join(dir, 'm2');
    const plain = join(dir, 'plain');
    mkdirSync(plain);
    await new LocalSource({ manifestDir: m2, stateDir: plain }).listIPPools();
    assert.equal(existsSync(join(plain, 'cache')), false);
    const named = join(dir, 'named');
    const src = new LocalSource({ manifestDir: m2, stateDir: named, cacheParsed: true });
    assert.equal((await src.listIPPools()).length, 1);
    assert.ok(existsSync(ManifestCache.fileFor(named, [m2]).path));
    // The default state directory's case: the cache goes only inside one that exists.
    const absent = join(dir, 'absent');
    assert.equal((await loadManifests(m2, ManifestCache.fileFor(absent, [m2], false))).pools.length, 1);
    assert.equal(existsSync(absent), false);
  });
});
