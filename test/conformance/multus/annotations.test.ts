// Multus conformance, in-process: how the k8s.v1.cni.cncf.io/networks and
// v1.multus-cni.io/default-network annotations are read (pkg/k8sclient/k8sclient.go's
// parsePodNetworkAnnotation / parsePodNetworkObjectName / tryLoadK8sPodDefaultNetwork and
// types.CheckGatewayConfig), case by case from the upstream tests named in each title. Pinned in pin.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CniError } from '../../../src/cni/errors.js';
import {
  checkDefaultRouteRequests,
  type NetworkSelection,
  parseDefaultNetworkAnnotation,
  parseNetworksAnnotation,
} from '../../../src/multus/annotations.js';
import { cite } from './pin.js';

const K8S = 'pkg/k8sclient/k8sclient_test.go';
const TYPES = 'pkg/types/conf_test.go';

type Want = Partial<NetworkSelection>[] | RegExp;
interface Case {
  what: string;
  from: string;
  value: string;
  want: Want;
}

const cases: Case[] = [
  // DescribeTable "gets pod network successfully from annotation values"
  {
    what: 'bare name takes the pod namespace',
    from: `${K8S} Entry "network without namespace"`,
    value: 'net1',
    want: [{ name: 'net1', namespace: 'ns1' }],
  },
  {
    what: 'namespace/name',
    from: `${K8S} Entry "network with namespace"`,
    value: 'default/net1',
    want: [{ name: 'net1', namespace: 'default' }],
  },
  {
    what: 'name@ifname',
    from: `${K8S} Entry "network with interface name"`,
    value: 'net1@my_interface',
    want: [{ name: 'net1', namespace: 'ns1', interface: 'my_interface' }],
  },
  {
    what: 'namespace/name@ifname',
    from: `${K8S} Entry "network with interface name and namespace"`,
    value: 'default/net1@my_interface',
    want: [{ name: 'net1', namespace: 'default', interface: 'my_interface' }],
  },
  // DescribeTable "fails to get podnetwork given bad annotation values"
  {
    what: 'three "/"-separated items',
    from: `${K8S} Entry "can't have more than 2 items separated by /"`,
    value: 'root@someIP/root@someOtherIP/root@thirdIP',
    want: /more than one '\/'/,
  },
  {
    what: 'three "@"-separated items',
    from: `${K8S} Entry "can't have more than 2 items separated by @"`,
    value: 'root@someIP/root@someOtherIP@garbagevalue',
    want: /more than one '@'/,
  },
  {
    what: 'namespace that is not a DNS-1123 label',
    from: `${K8S} Entry "not matching comma-delimited format"`,
    value: 'root@someIP/root@someOtherIP',
    want: /namespace "root@someIP"/,
  },
  {
    what: 'interface name with a space',
    from: `${K8S} Entry "invalid network interface name space in netdev name"`,
    value: 'default/net1@myIfc Name',
    want: /interface name "myIfc Name" contains/,
  },
  {
    what: 'interface name longer than 15',
    from: `${K8S} Entry "invalid network interface name too long"`,
    value: 'default/net1@very_long_interface_name',
    want: /at most 15/,
  },
  // It "retrieves delegates from kubernetes using simple format annotation"
  {
    what: 'comma list, items trimmed, order kept',
    from: `${K8S} "retrieves delegates from kubernetes using simple format annotation"`,
    value: ' net1 , net2,net3 ',
    want: [{ name: 'net1' }, { name: 'net2' }, { name: 'net3' }],
  },
  {
    what: 'the same network twice is two attachments',
    from: `${K8S} "retrieves delegates from kubernetes using simple format annotation"`,
    value: 'net1,net1',
    want: [{ name: 'net1' }, { name: 'net1' }],
  },
  // Issue 14 item 9 against parsePodNetworkObjectName: an empty part after '@' requests nothing.
  {
    what: 'net-a@ requests no interface name',
    from: `${K8S} parsePodNetworkObjectName (len(netIfName) > 0 guard)`,
    value: 'net-a@',
    want: [{ name: 'net-a', namespace: 'ns1' }],
  },
  {
    what: 'ns/net-a@ followed by blanks requests no interface name',
    from: `${K8S} parsePodNetworkObjectName (TrimSpace)`,
    value: 'ns2/net-a@  ',
    want: [{ name: 'net-a', namespace: 'ns2' }],
  },
  {
    what: 'comma form refuses a dotted name',
    from: `${K8S} "not matching comma-delimited format"`,
    value: 'net.a',
    want: /network name "net.a" must consist/,
  },
  {
    what: 'comma form refuses upper case',
    from: `${K8S} "not matching comma-delimited format"`,
    value: 'Net1',
    want: /network name "Net1"/,
  },
  {
    what: 'comma form refuses a trailing dash',
    from: `${K8S} parsePodNetworkObjectName regexp`,
    value: 'net1-',
    want: /network name "net1-"/,
  },
  {
    what: 'interface name of exactly 15 characters',
    from: `${K8S} parsePodNetworkObjectName (IFNAMSIZ-1)`,
    value: 'net1@abcdefghijklmno',
    want: [{ name: 'net1', interface: 'abcdefghijklmno' }],
  },
  {
    what: 'interface name with a tab',
    from: `${K8S} parsePodNetworkObjectName (" \\t\\n\\v\\f\\r/")`,
    value: 'net1@a\tb',
    want: /contains/,
  },
  {
    what: 'interface name with a slash (JSON)',
    from: `${K8S} parsePodNetworkObjectName ('/')`,
    value: '[{"name":"net1","interface":"a/b"}]',
    want: /contains/,
  },
  // It "retrieves delegates from kubernetes using JSON format annotation"
  {
    what: 'JSON list with namespace and interface',
    from: `${K8S} "retrieves delegates from kubernetes using JSON format annotation"`,
    value: '[{"name":"net1"},{"name":"net2","namespace":"other","interface":"eth9"}]',
    want: [
      { name: 'net1', namespace: 'ns1' },
      { name: 'net2', namespace: 'other', interface: 'eth9' },
    ],
  },
  {
    what: 'broken JSON fails',
    from: `${K8S} "fails when the JSON format annotation is invalid"`,
    value: '[{"name":"net1"},{"name":"net2"}',
    want: /not valid JSON/,
  },
  {
    what: 'a JSON object instead of a list fails',
    from: `${K8S} "fails when the JSON format annotation is invalid"`,
    value: '{"name":"net1"}',
    want: /expected a JSON list/,
  },
  // Issue 14 item 10: no DNS-1123 label check in the JSON form.
  {
    what: 'JSON form reaches a dotted NAD name',
    from: `${K8S} parsePodNetworkAnnotation (JSON branch has no name check)`,
    value: '[{"name":"net.a","namespace":"team.x"}]',
    want: [{ name: 'net.a', namespace: 'team.x' }],
  },
  // It "can set the default-gateway on an additional interface"
  {
    what: 'default-route on an additional network',
    from: `${K8S} "can set the default-gateway on an additional interface"`,
    value: '[{"name":"net2","default-route":["192.168.2.1"]}]',
    want: [{ name: 'net2', defaultRoute: ['192.168.2.1'] }],
  },
  {
    what: 'empty default-route list is kept (not dropped)',
    from: `${TYPES} "test LoadDelegateNetConf keeps empty GatewayRequest"`,
    value: '[{"name":"net2","default-route":[]}]',
    want: [{ name: 'net2', defaultRoute: [] }],
  },
  {
    what: 'default-route entry that is not an IP fails',
    from: `${TYPES} GatewayRequest []net.IP unmarshal`,
    value: '[{"name":"n","default-route":["gw"]}]',
    want: /not an IP address/,
  },
  {
    what: 'deprecated interfaceRequest honoured when interface is absent',
    from: `${K8S} parsePodNetworkAnnotation ("compatibility pre v3.2")`,
    value: '[{"name":"n","interfaceRequest":"old0"}]',
    want: [{ name: 'n', interface: 'old0' }],
  },
  {
    what: 'interface wins over interfaceRequest',
    from: `${K8S} parsePodNetworkAnnotation ("compatibility pre v3.2")`,
    value: '[{"name":"n","interface":"new0","interfaceRequest":"old0"}]',
    want: [{ name: 'n', interface: 'new0' }],
  },
  {
    what: 'mac accepted',
    from: `${TYPES} "verify the network selection elements goes into delegateconf"`,
    value: '[{"name":"n","mac":"c2:11:22:33:44:55"}]',
    want: [{ name: 'n', mac: 'c2:11:22:33:44:55' }],
  },
  {
    what: 'mac that net.ParseMAC refuses fails',
    from: `${K8S} parsePodNetworkAnnotation ("failed to mac")`,
    value: '[{"name":"n","mac":"c2:11:22:33:44"}]',
    want: /not a MAC address/,
  },
  {
    what: 'infiniband-guid (8 bytes) accepted',
    from: `${TYPES} "verify the network selection elements goes into delegateconf"`,
    value: '[{"name":"n","infiniband-guid":"c2:11:22:33:44:55:66:77"}]',
    want: [{ name: 'n', infinibandGuid: 'c2:11:22:33:44:55:66:77' }],
  },
  {
    what: 'infiniband-guid that is not a hardware address fails',
    from: `${K8S} parsePodNetworkAnnotation ("failed to validate infiniband GUID")`,
    value: '[{"name":"n","infiniband-guid":"xyz"}]',
    want: /not a GUID/,
  },
  {
    what: 'ips with and without prefix',
    from: `${TYPES} "verify the network selection elements goes into delegateconf"`,
    value: '[{"name":"n","ips":["10.1.1.5/24","fd00::5"]}]',
    want: [{ name: 'n', ips: ['10.1.1.5/24', 'fd00::5'] }],
  },
  {
    what: 'ips entry that is no IP fails',
    from: `${K8S} parsePodNetworkAnnotation ("failed to parse IP address")`,
    value: '[{"name":"n","ips":["10.1.1.300"]}]',
    want: /not an IP address or CIDR/,
  },
  {
    what: 'ips entry with a bad prefix fails',
    from: `${K8S} parsePodNetworkAnnotation ("failed to parse CIDR")`,
    value: '[{"name":"n","ips":["10.1.1.1/40"]}]',
    want: /not an IP address or CIDR/,
  },
  {
    what: 'cni-args object kept',
    from: `${TYPES} "add cni-args in config"`,
    value: '[{"name":"n","cni-args":{"foo":"bar"}}]',
    want: [{ name: 'n', cniArgs: { foo: 'bar' } }],
  },
  {
    what: 'cni-args that is not an object fails',
    from: `${TYPES} "add cni-args in config" (map[string]interface{})`,
    value: '[{"name":"n","cni-args":"foo"}]',
    want: /"cni-args" must be an object/,
  },
  {
    what: 'portMappings and bandwidth kept',
    from: `${TYPES} "creates a valid CNI runtime config"`,
    value:
      '[{"name":"n","portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp"}],"bandwidth":{"ingressRate":2048,"egressRate":1024}}]',
    want: [
      {
        name: 'n',
        portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }],
        bandwidth: { ingressRate: 2048, egressRate: 1024 },
      },
    ],
  },
  {
    what: 'blank annotation means no extra networks',
    from: `${K8S} GetPodNetwork (empty annotation → no networks)`,
    value: '  ',
    want: [],
  },
];

describe('Multus conformance: networks annotation (in-process)', () => {
  for (const c of cases) {
    test(cite(c.what, c.from), () => {
      if (c.want instanceof RegExp) {
        const re = c.want;
        assert.throws(
          () => parseNetworksAnnotation(c.value, 'ns1'),
          (e: unknown) => e instanceof CniError && e.code === 7 && re.test(e.message),
        );
        return;
      }
      const got = parseNetworksAnnotation(c.value, 'ns1');
      assert.equal(got.length, c.want.length);
      for (const [i, w] of c.want.entries()) {
        for (const [k, v] of Object.entries(w)) {
          assert.deepEqual(got[i]![k as keyof NetworkSelection], v, `${k} of entry ${i}`);
        }
      }
      // "net-a@": the empty part after '@' must not become a requested name.
      if (/@\s*$/.test(c.value)) assert.equal(got[0]!.interface, undefined);
    });
  }
});

describe('Multus conformance: default-network annotation and ECMP rule (in-process)', () => {
  test(
    cite(
      'namespace defaults to multusNamespace, not the pod namespace',
      `${K8S} "overwrite cluster network when Pod annotation is set"`,
    ),
    () => {
      assert.deepEqual(parseDefaultNetworkAnnotation('net2', 'kube-system'), {
        name: 'net2',
        namespace: 'kube-system',
      });
    },
  );
  test(cite('explicit namespace kept', `${K8S} "overwrite multus config when Pod annotation is set"`), () => {
    assert.equal(parseDefaultNetworkAnnotation('other/net2', 'kube-system').namespace, 'other');
  });
  test(cite('JSON form accepted', `${K8S} tryLoadK8sPodDefaultNetwork (parsePodNetworkAnnotation)`), () => {
    assert.equal(parseDefaultNetworkAnnotation('[{"name":"net2"}]', 'kube-system').name, 'net2');
  });
  test(
    cite(
      'more than one default network fails',
      `${K8S} tryLoadK8sPodDefaultNetwork ("more than one default network is specified")`,
    ),
    () => {
      assert.throws(
        () => parseDefaultNetworkAnnotation('net1,net2', 'kube-system'),
        /exactly one network, found 2/,
      );
    },
  );
  test(
    cite(
      'two IPv4 default-route gateways fail (no ECMP)',
      `${TYPES} CheckGatewayConfig ("multus does not support ECMP for default-route")`,
    ),
    () => {
      assert.throws(
        () =>
          checkDefaultRouteRequests([
            { name: 'a', defaultRoute: ['10.0.0.1'] },
            { name: 'b', defaultRoute: ['10.1.0.1'] },
          ]),
        /2 IPv4 gateways/,
      );
    },
  );
  test(
    cite(
      'one IPv4 and one IPv6 gateway are fine',
      `${TYPES} "test LoadDelegateNetConf keeps dual GatewayRequest"`,
    ),
    () => {
      checkDefaultRouteRequests([
        { name: 'a', defaultRoute: ['10.0.0.1'] },
        { name: 'b', defaultRoute: ['fd00::1'] },
      ]);
    },
  );
});
