import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createPrivateKey } from "node:crypto";
import { Agent } from "node:https";
import type { Socket } from "../src/socket.js";
import { ClientPool, once } from "./support/clients.js";
import { generateCertificates, startTlsServer, type TestCertificates, type TlsTestServer } from "./support/tls-server.js";

/* a TLS failure is known within a round trip on loopback: far below the connect timeout */
const TIMEOUT = 10_000;

async function connectError(socket: Socket): Promise<Error> {
  const [err] = await once<[Error]>(socket, "connect_error", TIMEOUT);
  return err;
}

describe("TLS options on Node", () => {
  let certs: TestCertificates;
  let server: TlsTestServer;
  const clients = new ClientPool();

  beforeAll(async () => {
    certs = await generateCertificates();
    server = await startTlsServer(certs);
  });
  afterEach(() => clients.closeAll());
  afterAll(() => server.close());

  describe("a self-signed server certificate", () => {
    it("is refused by default, with the TLS error in the message and as the cause", async () => {
      const err = await connectError(clients.connect(server.url, { reconnection: false, timeout: TIMEOUT }));
      expect(err.message).toMatch(/^WebSocket connection to wss:\/\/127\.0\.0\.1:\d+\/roomcast failed: self[- ]signed certificate/);
      expect((err.cause as NodeJS.ErrnoException).code).toBe("DEPTH_ZERO_SELF_SIGNED_CERT");
    });

    it("is refused with rejectUnauthorized: true and no ca", async () => {
      const err = await connectError(clients.connect(server.url, { reconnection: false, rejectUnauthorized: true }));
      expect(err.message).toMatch(/self[- ]signed certificate/);
    });

    it("is accepted when `ca` holds it", async () => {
      const socket = clients.connect(server.url, { ca: certs.cert, rejectUnauthorized: true });
      await once(socket, "connect");
      expect(socket.io.engine.transport.name).toBe("websocket");
    });

    it("is accepted as a Buffer in a `ca` list", async () => {
      const socket = clients.connect(server.url, { ca: [Buffer.from(certs.cert)] });
      await once(socket, "connect");
    });

    it("is accepted with rejectUnauthorized: false", async () => {
      const socket = clients.connect(server.url, { rejectUnauthorized: false });
      await once(socket, "connect");
    });
  });

  describe("client certificates", () => {
    it("presents `cert` and a `key` encrypted with `passphrase`", async () => {
      const key = createPrivateKey(certs.clientKey).export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "s3cret" });
      const socket = clients.connect(server.url, { ca: certs.cert, cert: certs.clientCert, key: key as string, passphrase: "s3cret" });
      await once(socket, "connect");
      expect(server.peers.at(-1)).toBe("roomcast client");
    });

    it("reports a wrong passphrase as a connect_error instead of throwing", async () => {
      const key = createPrivateKey(certs.clientKey).export({ type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "s3cret" });
      const socket = clients.connect(server.url, { reconnection: false, ca: certs.cert, cert: certs.clientCert, key: key as string, passphrase: "wrong" });
      const err = await connectError(socket);
      expect(err.message).toMatch(/^WebSocket connection to wss:\/\/127\.0\.0\.1:\d+\/roomcast failed: /);
      expect(err.cause).toBeInstanceOf(Error);
    });
  });

  describe("agent", () => {
    it("makes the upgrade request through the given agent, whose TLS options apply", async () => {
      let connections = 0;
      class CountingAgent extends Agent {
        override createConnection(...args: Parameters<Agent["createConnection"]>) {
          connections++;
          return super.createConnection(...args);
        }
      }
      const agent = new CountingAgent({ ca: certs.cert, keepAlive: false });
      const socket = clients.connect(server.url, { agent });
      await once(socket, "connect");
      expect(connections).toBe(1);
      agent.destroy();
    });
  });
});
