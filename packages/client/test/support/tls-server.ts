import { createServer, type Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import { Server } from "@roomcast/core";
import { generate } from "selfsigned";

/** PEM material made for one test run: nothing is read from or written to disk. */
export interface TestCertificates {
  /** Self-signed certificate of the server, valid for 127.0.0.1; also the CA of `clientCert`. */
  cert: string;
  key: string;
  /** A client certificate signed by `cert`'s key, for mutual TLS. */
  clientCert: string;
  clientKey: string;
}

/** Generates a self-signed server certificate for 127.0.0.1 and a client certificate it signs (EC keys: fast). */
export async function generateCertificates(): Promise<TestCertificates> {
  const pems = await generate([{ name: "commonName", value: "roomcast test" }], {
    keyType: "ec",
    algorithm: "sha256",
    notAfterDate: new Date(Date.now() + 24 * 3600_000),
    extensions: [
      // a CA as well, so that it can vouch for the client certificate
      { name: "basicConstraints", cA: true },
      { name: "keyUsage", keyCertSign: true, digitalSignature: true, keyEncipherment: true },
      { name: "extKeyUsage", serverAuth: true, clientAuth: true },
      { name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] },
    ],
    clientCertificate: { cn: "roomcast client", keyType: "ec" },
  });
  return { cert: pems.cert, key: pems.private, clientCert: pems.clientcert!, clientKey: pems.clientprivate! };
}

export interface TlsTestServer {
  io: Server;
  /** `https://127.0.0.1:<port>` */
  url: string;
  /** Subject CN of the client certificate of each TLS connection ("" when none was presented). */
  peers: string[];
  close(): Promise<void>;
}

/** Starts a roomcast server behind HTTPS on loopback; it asks for a client certificate but does not require one. */
export async function startTlsServer(certs: TestCertificates): Promise<TlsTestServer> {
  const httpsServer: HttpsServer = createServer({
    key: certs.key,
    cert: certs.cert,
    ca: certs.cert,
    requestCert: true,
    rejectUnauthorized: false,
  });
  const peers: string[] = [];
  httpsServer.on("secureConnection", (socket: TLSSocket) => {
    peers.push(socket.authorized ? String(socket.getPeerCertificate().subject?.CN ?? "") : "");
  });
  await new Promise<void>((resolve, reject) => {
    httpsServer.once("error", reject);
    httpsServer.listen(0, "127.0.0.1", () => resolve());
  });
  const io = new Server(httpsServer);
  const { port } = httpsServer.address() as AddressInfo;
  return {
    io,
    url: `https://127.0.0.1:${port}`,
    peers,
    close: async () => {
      await io.close();
      httpsServer.closeAllConnections();
      if (httpsServer.listening) await new Promise<void>((resolve) => httpsServer.close(() => resolve()));
    },
  };
}
