// The operator's certificate authority: with the chart's generated CA (mtls.issuer) the operator issues the
// single-purpose certificates Helm's template functions cannot make — the agents' for server authentication
// only and its own for client authentication only — so an agent's key is no client certificate and the
// operator's is no server certificate. @peculiar/x509 builds the certificates; node:crypto holds the keys.
import { createPrivateKey, randomBytes, webcrypto, X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import * as x509 from '@peculiar/x509';

// Node's WebCrypto is the standard one; the library types it with the DOM's Crypto, which we do not load.
x509.cryptoProvider.set(webcrypto as never);

type Key = webcrypto.CryptoKey;
/** How the CA signs: RSASSA-PKCS1-v1_5 or ECDSA, with SHA-256. */
interface SigningAlgorithm {
  readonly name: 'RSASSA-PKCS1-v1_5' | 'ECDSA';
  readonly hash: 'SHA-256';
  readonly namedCurve?: string;
}

/** What a certificate may be used for: exactly one of TLS server or TLS client authentication. */
export type CertificateUsage = 'server' | 'client';

export const USAGE_OID: Record<CertificateUsage, string> = {
  server: '1.3.6.1.5.5.7.3.1',
  client: '1.3.6.1.5.5.7.3.2',
};

export interface LeafRequest {
  /** Subject CN and the one DNS subjectAltName. */
  readonly name: string;
  readonly usage: CertificateUsage;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** PEM: the leaf certificate, its PKCS#8 private key and the CA certificate it chains to. */
export interface IssuedCertificate {
  readonly cert: string;
  readonly key: string;
  readonly ca: string;
}

const LEAF_KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

export class CertificateAuthority {
  readonly certificate: X509Certificate;

  private constructor(
    readonly certPem: string,
    private readonly signingKey: Key,
    private readonly signingAlgorithm: SigningAlgorithm,
  ) {
    this.certificate = new X509Certificate(certPem);
    this.parsed = new x509.X509Certificate(certPem);
  }

  private readonly parsed: x509.X509Certificate;

  /** The CA from PEM (the chart's genCA makes RSA; an EC CA works too); throws naming what is wrong. */
  static async load(certPem: string, keyPem: string): Promise<CertificateAuthority> {
    const cert = new X509Certificate(certPem);
    if (!cert.ca) throw new Error(`the certificate ${cert.subject} is not a CA (basicConstraints CA:FALSE)`);
    const key = createPrivateKey(keyPem);
    if (!cert.checkPrivateKey(key)) throw new Error(`the CA key does not belong to the certificate ${cert.subject}`);
    const algorithm = signingAlgorithm(key);
    const signingKey = await webcrypto.subtle.importKey(
      'pkcs8',
      key.export({ format: 'der', type: 'pkcs8' }),
      algorithm,
      false,
      ['sign'],
    );
    return new CertificateAuthority(certPem.trim() + '\n', signingKey, algorithm);
  }

  /** A fresh P-256 key pair and a certificate for it, for `usage` only, naming `name`. */
  async issue(request: LeafRequest): Promise<IssuedCertificate> {
    const keys = await webcrypto.subtle.generateKey(LEAF_KEY, true, ['sign', 'verify']);
    const leaf = await x509.X509CertificateGenerator.create({
      // 16 random bytes, the top bit clear: a positive serial of at most 20 octets (RFC 5280 4.1.2.2).
      serialNumber: serialHex(),
      subject: `CN=${request.name}`,
      // The CA's own encoded subject: chain building compares it with the issuer field.
      issuer: this.parsed.subjectName,
      notBefore: request.notBefore,
      notAfter: request.notAfter,
      signingKey: this.signingKey,
      publicKey: keys.publicKey,
      signingAlgorithm: this.signingAlgorithm,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([USAGE_OID[request.usage]], false),
        new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: request.name }], false),
        await this.authorityKeyIdentifier(),
      ],
    });
    const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
    return {
      cert: leaf.toString('pem') + '\n',
      key: x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') + '\n',
      ca: this.certPem,
    };
  }

  /**
   * The CA's own subjectKeyIdentifier when it has one: OpenSSL matches the leaf's authorityKeyIdentifier
   * with it while building the chain, and Go (Helm's genCA) derives it differently from this library.
   */
  private async authorityKeyIdentifier(): Promise<x509.AuthorityKeyIdentifierExtension> {
    const ski = this.parsed.getExtension(x509.SubjectKeyIdentifierExtension);
    if (ski !== null) return new x509.AuthorityKeyIdentifierExtension(ski.keyId, false);
    return x509.AuthorityKeyIdentifierExtension.create(this.parsed, false);
  }
}

function signingAlgorithm(key: KeyObject): SigningAlgorithm {
  if (key.asymmetricKeyType === 'rsa') return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
  if (key.asymmetricKeyType === 'ec') {
    const curve = CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''];
    if (curve !== undefined) return { name: 'ECDSA', namedCurve: curve, hash: 'SHA-256' };
  }
  throw new Error(
    `the CA key is ${key.asymmetricKeyType} ${key.asymmetricKeyDetails?.namedCurve ?? ''}: RSA or EC P-256/384/521 expected`,
  );
}

function serialHex(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}
