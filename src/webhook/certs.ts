// The webhook's own PKI: a self-signed CA and a serving certificate for the Service's DNS names,
// made with node's WebCrypto and @peculiar/x509 (no openssl process). Each rotation makes a fresh
// pair; the caller publishes the new CA next to the old one before serving the new certificate.
import { webcrypto } from 'node:crypto';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

interface ServingCerts {
  caCert: string;
  cert: string;
  key: string;
  notAfter: Date;
}

async function keyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END PRIVATE KEY-----\n`;
}

/** A CA and a certificate for `dnsNames`, both valid `validityMs` from one minute ago (clock skew). */
export async function issueServingCerts(dnsNames: string[], validityMs: number): Promise<ServingCerts> {
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + validityMs);
  const caKeys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: webcrypto.randomUUID().replaceAll('-', ''),
    name: `CN=trunkline-webhook-ca-${notBefore.getTime()}`,
    notBefore,
    notAfter,
    keys: caKeys as never,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: webcrypto.randomUUID().replaceAll('-', ''),
    subject: `CN=${dnsNames[0]}`,
    issuer: ca.subject,
    notBefore,
    notAfter,
    publicKey: keys.publicKey as never,
    signingKey: caKeys.privateKey as never,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(dnsNames.map((value) => ({ type: 'dns' as const, value }))),
    ],
  });
  return {
    caCert: ca.toString('pem'),
    cert: cert.toString('pem'),
    key: await keyPem(keys.privateKey),
    notAfter,
  };
}
