// The coordinator's own failures, with the CNI codes the runtime sees.
import { CniError, Code } from '../../cni/errors.js';

/** Another host answered ARP/NDP for the pod's address (code 102, as an address already taken). */
export class IpConflict extends CniError {
  constructor(
    readonly ip: string,
    readonly ifname: string,
    readonly holders: string[],
  ) {
    super(
      Code.IpTaken,
      `IP ${ip} of pod interface ${ifname} is already in use on the network`,
      `answered by ${holders.join(', ')}; expected no other holder`,
    );
    this.name = 'IpConflict';
  }
}

/** The NIC's gateway did not answer ARP/NDP (code 51, limited connectivity). */
export class GatewayUnreachable extends CniError {
  constructor(
    readonly gateway: string,
    readonly ifname: string,
    tries: number,
    timeoutMs: number,
  ) {
    super(
      Code.LimitedConnectivity,
      `gateway ${gateway} of pod interface ${ifname} is unreachable`,
      `no ARP/NDP answer to ${tries} probes of ${timeoutMs} ms`,
    );
    this.name = 'GatewayUnreachable';
  }
}
