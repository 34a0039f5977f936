// Property (issue 16): whatever text lands in a pod annotation (k8s.v1.cni.cncf.io/networks,
// v1.multus-cni.io/default-network, ipam.spidernet.io/ippool(s)) or a manifest (SpiderIPPool YAML, a
// NAD's spec.config), the parser never crashes: it returns a well-formed value or throws a CNI error
// with code 7 whose message names what it was reading. Inputs: arbitrary and full-unicode strings,
// random JSON, near-valid structures with hostile fields ("../", shell metacharacters, huge and deep
// values), truncations. Sizes: TRUNKLINE_PROP_RUNS (default 60) × 5 per parser;
// TRUNKLINE_PROP_SEED replays a run (printed).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import YAML from 'yaml';
import { loadManifests } from '../../src/cluster/local/manifests.js';
import { CniError, Code } from '../../src/cni/errors.js';
import {
  ANNO_POD_IPPOOL,
  ANNO_POD_IPPOOLS,
  parsePodIPPool,
  parsePodIPPools,
} from '../../src/ipam/annotations.js';
import { poolIntervals } from '../../src/ipam/ranges.js';
import { validatePools } from '../../src/ipam/validate.js';
import {
  DEFAULT_NETWORK_ANNOTATION,
  NETWORKS_ANNOTATION,
  type NetworkSelection,
  parseDefaultNetworkAnnotation,
  parseNetworksAnnotation,
} from '../../src/multus/annotations.js';
import { configFromSpec } from '../../src/multus/nad.js';
import { envInt } from '../helpers/chaos.js';

const RUNS = envInt('TRUNKLINE_PROP_RUNS', 60) * 5;
const SEED = envInt('TRUNKLINE_PROP_SEED', Date.now() % 1_000_000);

const hostile = fc.constantFrom(
  '',
  ' ',
  '..',
  '../../etc/passwd',
  'a/b/c',
  '$(touch /tmp/x)',
  ';rm -rf /;',
  '`id`',
  '\u0000',
  '\u202e\ud83d\ude00é',
  'x'.repeat(5000),
  'eth0@eth1',
  'ns/name@if',
);
const nameish = fc.oneof(
  fc.stringMatching(/^[a-z0-9][-a-z0-9.]{0,20}$/),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  hostile,
);
const ipish = fc.oneof(
  fc.ipV4(),
  fc.ipV6(),
  fc.ipV4().map((ip) => `${ip}/${Math.floor(ip.length % 33)}`),
  fc.string({ maxLength: 20 }),
  hostile,
);
const deep = fc
  .tuple(fc.integer({ min: 1, max: 6000 }), fc.constantFrom(['[', ']'], ['{"a":', '}']))
  .map(([n, [open, close]]) => `${open!.repeat(n)}1${close!.repeat(n)}`);
const anyValue = fc.oneof(fc.jsonValue({ maxDepth: 3 }), nameish, ipish);

/** Maybe cut the text short, as a truncated write or a copy-paste would. */
const truncated = (text: fc.Arbitrary<string>) =>
  fc
    .tuple(text, fc.option(fc.nat(), { nil: undefined }))
    .map(([t, cut]) => (cut === undefined ? t : t.slice(0, cut % (t.length + 1))));

const selection = fc.record(
  {
    name: nameish,
    namespace: nameish,
    interface: nameish,
    ips: fc.oneof(fc.array(ipish, { maxLength: 3 }), anyValue),
    mac: fc.oneof(fc.constant('02:00:00:00:00:01'), nameish),
    'default-route': fc.oneof(fc.array(ipish, { maxLength: 2 }), anyValue),
    'cni-args': anyValue,
    portMappings: anyValue,
    bandwidth: anyValue,
  },
  { requiredKeys: [] },
);
const networksText = truncated(
  fc.oneof(
    fc.string(),
    fc.string({ unit: 'binary' }),
    fc.json(),
    deep,
    fc.array(selection, { maxLength: 4 }).map((x) => JSON.stringify(x)),
    fc
      .array(fc.tuple(fc.option(nameish), nameish, fc.option(nameish)), { minLength: 1, maxLength: 4 })
      .map((items) =>
        items.map(([ns, n, i]) => `${ns === null ? '' : `${ns}/`}${n}${i === null ? '' : `@${i}`}`).join(','),
      ),
  ),
);
const poolNamesText = truncated(
  fc.oneof(
    fc.string(),
    fc.json(),
    deep,
    fc
      .record(
        {
          interface: nameish,
          ipv4: fc.oneof(fc.array(nameish, { maxLength: 3 }), anyValue),
          ipv6: fc.oneof(fc.array(nameish, { maxLength: 3 }), anyValue),
          cleangateway: fc.oneof(fc.boolean(), anyValue),
        },
        { requiredKeys: [] },
      )
      .chain((r) => fc.constantFrom(JSON.stringify(r), JSON.stringify([r]), JSON.stringify([r, r]))),
  ),
);

/** A thrown error is fine only as a CNI error, code 7, saying what it was reading. */
function clearError(e: unknown, what: string | RegExp, input: string): void {
  const show = JSON.stringify(input.slice(0, 200));
  assert.ok(e instanceof CniError, `not a CNI error for ${show}: ${String(e)}`);
  assert.equal(e.code, Code.InvalidConfig, `code for ${show}: ${e.message}`);
  if (typeof what === 'string') assert.ok(e.message.includes(what), `message names ${what}: ${e.message}`);
  else assert.match(e.message, what);
}

function wellFormed(s: NetworkSelection): void {
  assert.match(s.name, /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, `name ${JSON.stringify(s.name)}`);
  assert.match(s.namespace, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, `namespace ${JSON.stringify(s.namespace)}`);
  if (s.interface !== undefined) {
    assert.ok(s.interface.length > 0 && s.interface.length < 16, `interface ${s.interface}`);
    assert.doesNotMatch(s.interface, /[/\s\0]|^\.\.?$/, `interface ${JSON.stringify(s.interface)}`);
  }
  for (const ip of s.ips ?? []) assert.equal(typeof ip, 'string');
}

async function property<T>(
  t: { diagnostic(s: string): void },
  arb: fc.Arbitrary<T>,
  fn: (v: T) => void | Promise<void>,
  runs = RUNS,
) {
  t.diagnostic(`seed ${SEED} (TRUNKLINE_PROP_SEED), ${runs} inputs`);
  let ok = 0;
  let refused = 0;
  const counted = async (v: T) => {
    try {
      await fn(v);
      ok++;
    } catch (e) {
      if (e instanceof CniError) {
        refused++;
        return;
      }
      throw e;
    }
  };
  const out = await fc.check(
    fc.asyncProperty(arb, async (v) => counted(v)),
    { numRuns: runs, seed: SEED, endOnFailure: true },
  );
  if (out.failed) {
    const input = JSON.stringify(out.counterexample).slice(0, 600);
    throw new Error(`seed ${SEED} path ${out.counterexamplePath}: ${String(out.errorInstance)} for ${input}`);
  }
  t.diagnostic(`${runs} inputs: ${ok} parsed, ${refused} refused with code 7`);
}

describe('property: annotation and manifest parsers are total', () => {
  const dir = mkdtempSync(join(tmpdir(), 'chaos-parse-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it(`${NETWORKS_ANNOTATION}`, (t) =>
    property(t, networksText, (v) => {
      try {
        const list = parseNetworksAnnotation(v, 'team-a', 'team-a/web');
        assert.ok(Array.isArray(list));
        for (const s of list) wellFormed(s);
      } catch (e) {
        clearError(e, NETWORKS_ANNOTATION, v);
        throw e;
      }
    }));

  it(`${DEFAULT_NETWORK_ANNOTATION}`, (t) =>
    property(t, networksText, (v) => {
      try {
        wellFormed(parseDefaultNetworkAnnotation(v, 'kube-system', 'team-a/web'));
      } catch (e) {
        clearError(e, DEFAULT_NETWORK_ANNOTATION, v);
        throw e;
      }
    }));

  it(`${ANNO_POD_IPPOOL} and ${ANNO_POD_IPPOOLS}`, (t) =>
    property(t, poolNamesText, (v) => {
      const check = (p: { ipv4: string[]; ipv6: string[]; cleanGateway: boolean }) => {
        assert.ok(p.ipv4.every((n) => typeof n === 'string' && n !== ''));
        assert.ok(p.ipv6.every((n) => typeof n === 'string' && n !== ''));
        assert.equal(typeof p.cleanGateway, 'boolean');
      };
      let refusals = 0;
      try {
        check(parsePodIPPool('pod team-a/web', v));
      } catch (e) {
        clearError(e, ANNO_POD_IPPOOL, v);
        refusals++;
      }
      try {
        const list = parsePodIPPools('pod team-a/web', v);
        assert.ok(list.length > 0);
        for (const p of list) check(p);
      } catch (e) {
        clearError(e, ANNO_POD_IPPOOLS, v);
        refusals++;
      }
      if (refusals === 2) throw new CniError(Code.InvalidConfig, 'both refused');
    }));

  it('NetworkAttachmentDefinition spec.config', (t) => {
    const conf = fc.record(
      {
        cniVersion: fc.oneof(fc.constant('1.0.0'), anyValue),
        name: nameish,
        type: fc.oneof(fc.constantFrom('trunkline-macvlan', 'trunkline-ipam'), anyValue),
        master: nameish,
        plugins: fc.oneof(
          fc.array(fc.record({ type: anyValue }, { requiredKeys: [] }), { maxLength: 3 }),
          anyValue,
        ),
        ipam: anyValue,
      },
      { requiredKeys: [] },
    );
    const text = truncated(
      fc.oneof(
        fc.string(),
        fc.json(),
        deep,
        conf.map((c) => JSON.stringify(c)),
      ),
    );
    return property(t, text, (v) => {
      const nad = { metadata: { name: 'vlan100', namespace: 'team-a' }, spec: { config: v } };
      try {
        const r = configFromSpec(nad);
        if (r === undefined) {
          assert.equal(v.trim(), '', 'only an empty config is no config');
          return;
        }
        if (r.isList) assert.ok(Array.isArray(r.config['plugins']));
        else assert.equal(typeof r.config['type'], 'string');
        assert.equal(typeof r.config['name'], 'string');
      } catch (e) {
        clearError(e, 'NetworkAttachmentDefinition team-a/vlan100', v);
        throw e;
      }
    });
  });

  it('SpiderIPPool manifests (YAML)', (t) => {
    const spec = fc.record(
      {
        ipVersion: fc.oneof(fc.constantFrom(4, 6), anyValue),
        subnet: fc.oneof(fc.constantFrom('10.1.0.0/24', 'fd01::/120', '10.2.0.0/16'), ipish, anyValue),
        ips: fc.oneof(
          fc.array(fc.oneof(fc.constantFrom('10.1.0.10-10.1.0.20', 'fd01::5-fd01::9'), ipish), {
            maxLength: 3,
          }),
          anyValue,
        ),
        excludeIPs: fc.oneof(fc.array(ipish, { maxLength: 2 }), anyValue),
        gateway: fc.oneof(ipish, anyValue),
        routes: fc.oneof(fc.array(fc.record({ dst: ipish, gw: ipish }, { requiredKeys: [] })), anyValue),
        vlan: anyValue,
        podAffinity: fc.oneof(fc.record({ matchLabels: anyValue, matchExpressions: anyValue }), anyValue),
        nodeAffinity: anyValue,
        namespaceName: fc.oneof(fc.array(nameish, { maxLength: 2 }), anyValue),
        multusName: fc.oneof(fc.array(nameish, { maxLength: 2 }), anyValue),
        default: anyValue,
      },
      { requiredKeys: [] },
    );
    const pool = fc.record({
      apiVersion: fc.constant('spiderpool.spidernet.io/v2beta1'),
      kind: fc.constantFrom('SpiderIPPool', 'SpiderIPPool', 'List', 'SpiderReservedIP'),
      metadata: fc.oneof(fc.record({ name: nameish }), anyValue),
      spec: fc.oneof(spec, anyValue),
    });
    const text = truncated(
      fc.oneof(
        fc.string(),
        fc
          .array(pool, { minLength: 1, maxLength: 3 })
          .map((ps) => ps.map((p) => YAML.stringify(p)).join('---\n')),
        pool.map((p) => JSON.stringify({ kind: 'List', items: [p, p] })),
        deep,
      ),
    );
    let n = 0;
    return property(
      t,
      text,
      async (v) => {
        const sub = join(dir, `m${n++}`);
        rmSync(sub, { recursive: true, force: true });
        mkdirSync(sub);
        writeFileSync(join(sub, 'pools.yaml'), v);
        try {
          const m = await loadManifests(sub);
          const issues = validatePools(m.pools);
          for (const p of m.pools) {
            assert.ok(typeof p.metadata.name === 'string' && p.metadata.name !== '');
            // A pool the validator accepts must be usable: its addresses compute without throwing.
            if (!issues.has(p.metadata.name)) poolIntervals(p, []);
          }
        } catch (e) {
          clearError(e, /pools\.yaml|SpiderIPPool|SpiderReservedIP/, v);
          throw e;
        } finally {
          rmSync(sub, { recursive: true, force: true });
        }
      },
      Math.ceil(RUNS / 2),
    );
  });
});
