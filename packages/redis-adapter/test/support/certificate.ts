import { generate } from "selfsigned";

/** A self-signed certificate and its key, PEM, made for one test run. */
export interface TestCertificate {
  /** Valid for a day; clients trust it by passing it as `ca`. */
  cert: string;
  key: string;
}

/** The names a certificate is valid for (its subjectAltName). */
export interface CertificateNames {
  ip: string[];
  dns: string[];
}

/** Generates a self-signed server certificate, by default for 127.0.0.1 and localhost (EC key: fast to make). */
export async function selfSignedCertificate(names: CertificateNames = { ip: ["127.0.0.1"], dns: ["localhost"] }): Promise<TestCertificate> {
  const pems = await generate([{ name: "commonName", value: "roomcast test" }], {
    keyType: "ec",
    algorithm: "sha256",
    notAfterDate: new Date(Date.now() + 24 * 3600_000),
    extensions: [
      { name: "basicConstraints", cA: true },
      { name: "keyUsage", keyCertSign: true, digitalSignature: true, keyEncipherment: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [...names.ip.map((ip) => ({ type: 7 as const, ip })), ...names.dns.map((value) => ({ type: 2 as const, value }))],
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}
