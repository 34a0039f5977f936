// A CA and a serving certificate for the test API server, made once per process with the openssl
// CLI (P-256 keys: a few milliseconds), valid for the loopback address and the in-cluster names.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ServingCerts {
  caCert: string;
  cert: string;
  key: string;
}

let cached: ServingCerts | undefined;

function openssl(args: string[]): void {
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    throw new Error(`openssl ${args[0]} failed (the test API server needs the openssl CLI)`, { cause: e });
  }
}

export function servingCerts(): ServingCerts {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'kube-apiserver-pki-'));
  try {
    const f = (n: string) => join(dir, n);
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    openssl(
      ['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '3650']
        .concat(['-subj', '/CN=trunkline-test-ca', '-addext', 'basicConstraints=critical,CA:TRUE'])
        .concat(['-addext', 'keyUsage=critical,keyCertSign,cRLSign']),
    );
    writeFileSync(
      f('ext.cnf'),
      'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\n' +
        'extendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n',
    );
    openssl(['req', ...ec, '-keyout', f('tls.key'), '-out', f('tls.csr'), '-subj', '/CN=kube-apiserver']);
    openssl(
      ['x509', '-req', '-in', f('tls.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key')].concat([
        '-CAcreateserial',
        '-out',
        f('tls.crt'),
        '-days',
        '3650',
        '-extfile',
        f('ext.cnf'),
      ]),
    );
    cached = {
      caCert: readFileSync(f('ca.crt'), 'utf8'),
      cert: readFileSync(f('tls.crt'), 'utf8'),
      key: readFileSync(f('tls.key'), 'utf8'),
    };
    return cached;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
