// Test certificates from openssl (tests only; the controller generates its own): a CA and a serving
// certificate for the webhook Service's DNS name, valid `days` (fractions allowed via -not_after).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCerts {
  ca: string;
  cert: string;
  key: string;
}

export function makeCerts(dir: string, dnsName: string, tag = 'a'): TestCerts {
  const f = (n: string) => join(dir, `${tag}-${n}`);
  const ssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  ssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-days',
    '1',
    '-subj',
    `/CN=test-webhook-ca-${tag}`,
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.crt'),
  ]);
  ssl([
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-subj',
    `/CN=${dnsName}`,
    '-keyout',
    f('tls.key'),
    '-out',
    f('tls.csr'),
  ]);
  writeFileSync(f('ext'), `subjectAltName=DNS:${dnsName}\n`);
  ssl([
    'x509',
    '-req',
    '-in',
    f('tls.csr'),
    '-CA',
    f('ca.crt'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    f('ext'),
    '-out',
    f('tls.crt'),
  ]);
  return {
    ca: readFileSync(f('ca.crt'), 'utf8'),
    cert: readFileSync(f('tls.crt'), 'utf8'),
    key: readFileSync(f('tls.key'), 'utf8'),
  };
}
