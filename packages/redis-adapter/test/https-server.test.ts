import { createServer, type Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { io as roomcastClient, type Socket as RoomcastClient } from "@roomcast/client";
import { Server } from "@roomcast/core";
import { io as socketIoClient, type Socket as SocketIoClient } from "socket.io-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { selfSignedCertificate, type TestCertificate } from "./support/certificate.js";
import { waitFor } from "./support/redis-nodes.js";

/*
 * docs/DEPLOYMENT.md, "TLS: https and wss" > "In Node" and "Clients and self-signed
 * certificates": one node serving TLS itself through `new Server(httpsServer)`, and both clients
 * trusting its self-signed certificate through `ca`.
 */

interface Secure {
  secure: boolean;
  transport: string;
}

describe("TLS in Node: new Server(httpsServer)", () => {
  let certificate: TestCertificate;
  let httpsServer: HttpsServer;
  let io: Server;
  let url: string;
  let opened: { disconnect(): unknown }[] = [];

  beforeAll(async () => {
    certificate = await selfSignedCertificate();
    httpsServer = createServer({ cert: certificate.cert, key: certificate.key });
    io = new Server(httpsServer, { socketio: true });
    io.on("connection", (socket) => {
      socket.on("secure", (ack: (answer: Secure) => void) => ack({ secure: socket.handshake.secure, transport: socket.conn.transport.name }));
    });
    await new Promise<void>((resolve) => httpsServer.listen(0, "127.0.0.1", resolve));
    url = `https://127.0.0.1:${(httpsServer.address() as AddressInfo).port}`;
  });

  afterEach(() => {
    for (const client of opened) client.disconnect();
    opened = [];
  });

  afterAll(async () => {
    await io?.close();
  });

  function roomcast(options: Parameters<typeof roomcastClient>[1] = {}): RoomcastClient {
    const client = roomcastClient(url, { forceNew: true, reconnection: false, ...options });
    opened.push(client);
    return client;
  }

  function socketIo(options: Parameters<typeof socketIoClient>[1] = {}): SocketIoClient {
    const client = socketIoClient(url, { forceNew: true, reconnection: false, ...options });
    opened.push(client);
    return client;
  }

  function outcome(client: RoomcastClient | SocketIoClient): Promise<Error | "connected"> {
    return new Promise((resolve) => {
      client.once("connect", () => resolve("connected"));
      client.once("connect_error", (err: Error) => resolve(err));
    });
  }

  it("serves @roomcast/client over wss:// to a client that trusts the certificate through `ca`", async () => {
    const client = roomcast({ ca: certificate.cert });
    expect(await outcome(client)).toBe("connected");
    expect(await client.timeout(2000).emitWithAck("secure")).toEqual({ secure: true, transport: "websocket" });
  });

  it("serves a socket.io-client over https:// long-polling, then wss://, with the same `ca` option", async () => {
    const client = socketIo({ ca: certificate.cert });
    expect(await outcome(client)).toBe("connected");
    await waitFor(() => client.io.engine.transport.name === "websocket", "the upgrade to wss://", 5000);
    expect(await client.timeout(2000).emitWithAck("secure")).toEqual({ secure: true, transport: "websocket" });
  });

  it("refuses the certificate without `ca`: connect_error with Node's reason", async () => {
    const err = (await outcome(roomcast())) as Error & { cause?: { code?: string } };
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toContain("self-signed certificate");
    expect(err.cause?.code).toBe("DEPTH_ZERO_SELF_SIGNED_CERT");

    // socket.io-client names the transport that failed; over long-polling, Node's reason is lost.
    const polling = await outcome(socketIo());
    expect(polling).toBeInstanceOf(Error);
    expect((polling as Error).message).toBe("xhr poll error");
    const websocket = (await outcome(socketIo({ transports: ["websocket"] }))) as Error & { description?: { message?: string } };
    expect(websocket).toBeInstanceOf(Error);
    expect(websocket.message).toBe("websocket error");
    // over WebSocket, the ErrorEvent in err.description carries it
    expect(websocket.description?.message).toContain("self-signed certificate");
  });

  it("accepts any certificate with rejectUnauthorized: false, on both clients", async () => {
    expect(await outcome(roomcast({ rejectUnauthorized: false }))).toBe("connected");
    expect(await outcome(socketIo({ rejectUnauthorized: false }))).toBe("connected");
  });

  it("still checks the host name with `ca`: a certificate that does not name 127.0.0.1 is refused", async () => {
    const localhostOnly = await selfSignedCertificate({ ip: [], dns: ["localhost"] });
    const other = createServer({ cert: localhostOnly.cert, key: localhostOnly.key });
    const otherIo = new Server(other);
    try {
      await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
      const client = roomcastClient(`https://127.0.0.1:${(other.address() as AddressInfo).port}`, { forceNew: true, reconnection: false, ca: localhostOnly.cert });
      opened.push(client);
      const err = (await outcome(client)) as Error & { cause?: { code?: string } };
      expect(err.cause?.code).toBe("ERR_TLS_CERT_ALTNAME_INVALID");
    } finally {
      await otherIo.close();
    }
  });
});
