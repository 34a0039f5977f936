// Typed IPAM failures. Each message names the pool(s), the pod and the interface, and says what was
// expected and what was found.
import { CniError, Code } from '../cni/errors.js';

export { StoreUnavailableError } from '../store/errors.js';

export interface Who {
  /** "namespace/name", or the container ID when the pod is unknown. */
  pod: string;
  ifname: string;
}

export class PoolExhaustedError extends CniError {
  readonly pools: string[];
  constructor(who: Who, family: 4 | 6, pools: string[]) {
    super(
      Code.PoolExhausted,
      `no free IPv${family} address for pod ${who.pod} interface ${who.ifname}: pool${pools.length > 1 ? 's' : ''} ${pools.map((p) => `"${p}"`).join(', ')} ${pools.length > 1 ? 'are' : 'is'} exhausted`,
      'expected a free address in at least one eligible pool; release addresses or add ips to a pool',
    );
    this.name = 'PoolExhaustedError';
    this.pools = pools;
  }
}

export class NoEligiblePoolError extends CniError {
  constructor(who: Who, reason: string, rejected: readonly string[] = []) {
    super(
      Code.NoEligiblePool,
      `no eligible IP pool for pod ${who.pod} interface ${who.ifname}: ${reason}`,
      rejected.length > 0 ? `rejected: ${rejected.join('; ')}` : undefined,
    );
    this.name = 'NoEligiblePoolError';
  }
}

export class IpTakenError extends CniError {
  readonly ip: string;
  constructor(who: Who, ip: string, pool: string, holder: string) {
    super(
      Code.IpTaken,
      `requested address ${ip} for pod ${who.pod} interface ${who.ifname} is already held in pool "${pool}" by ${holder}`,
      'expected the requested address to be free',
    );
    this.name = 'IpTakenError';
    this.ip = ip;
  }
}
