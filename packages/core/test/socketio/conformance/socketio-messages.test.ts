import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startConformanceServer, type ConformanceServer } from "../../support/conformance-server.js";
import { EngineIoSocket, PollingSession } from "../../support/engine-io-peer.js";

/*
 * Socket.IO protocol v5, "Sending and receiving data" and "Acknowledgement": the exact frames of
 * EVENT, BINARY_EVENT, ACK and BINARY_ACK in both directions, and the malformed packets after
 * which the receiver closes the connection.
 */

let server: ConformanceServer;
beforeAll(async () => {
  server = await startConformanceServer();
  // The server asks the client for acks here: the client answers with ACK or BINARY_ACK.
  server.io.of("/asking").on("connection", (socket) => {
    socket.on("ask", (label: string) => {
      socket.emit("question", label, (...reply: unknown[]) => socket.emit("answered", ...reply));
    });
    socket.on("ask-binary", () => {
      socket.emit("file", Buffer.from([9, 8, 7]), { name: "f" });
    });
  });
});
afterAll(() => server.close());

const PLACEHOLDERS = '{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}';

describe("Socket.IO EVENT and BINARY_EVENT", () => {
  it("takes a plain event and sends one back, arguments unchanged", async () => {
    const socket = await EngineIoSocket.joined(server.wsBase);
    socket.send('42["message",1,"2",{"3":[true]}]');
    expect(await socket.nextMessage()).toBe('42["message-back",1,"2",{"3":[true]}]');
    socket.close();
  });

  it("takes a binary event with two attachments and sends back the same three frames", async () => {
    const socket = await EngineIoSocket.joined(server.wsBase);
    socket.send(`452-["message",${PLACEHOLDERS}]`);
    socket.send(Uint8Array.from([1, 2, 3]));
    socket.send(Uint8Array.from([4, 5, 6]));
    expect(await socket.nextMessage()).toBe(`452-["message-back",${PLACEHOLDERS}]`);
    expect(await socket.nextMessage()).toEqual(Buffer.from([1, 2, 3]));
    expect(await socket.nextMessage()).toEqual(Buffer.from([4, 5, 6]));
    socket.close();
  });

  it("takes an attachment nested in an object and an empty attachment", async () => {
    const socket = await EngineIoSocket.joined(server.wsBase);
    socket.send('452-["message",{"file":{"_placeholder":true,"num":1},"list":[{"_placeholder":true,"num":0}]}]');
    socket.send(Uint8Array.from([]));
    socket.send(Uint8Array.from([7]));
    expect(await socket.nextMessage()).toBe('452-["message-back",{"file":{"_placeholder":true,"num":0},"list":[{"_placeholder":true,"num":1}]}]');
    expect(await socket.nextMessage()).toEqual(Buffer.from([7]));
    expect(await socket.nextMessage()).toEqual(Buffer.alloc(0));
    socket.close();
  });

  it("sends a server-side binary emit as BINARY_EVENT, text frame then attachment", async () => {
    const socket = await EngineIoSocket.session(server.wsBase).then(({ socket }) => socket);
    socket.autoPong = true;
    socket.send("40/asking,");
    await socket.nextMessage();
    socket.send('42/asking,["ask-binary"]');
    expect(await socket.nextMessage()).toBe('451-/asking,["file",{"_placeholder":true,"num":0},{"name":"f"}]');
    expect(await socket.nextMessage()).toEqual(Buffer.from([9, 8, 7]));
    socket.close();
  });

  it("sends binary over long-polling as base64 'b' packets", async () => {
    const session = await PollingSession.start(server.httpBase);
    await session.post("40/asking,");
    await session.nextPackets();
    await session.post('42/asking,["ask-binary"]');
    expect(await session.nextPackets()).toEqual(['451-/asking,["file",{"_placeholder":true,"num":0},{"name":"f"}]', "bCQgH"]);
  });
});

describe("Socket.IO ACK and BINARY_ACK", () => {
  it("acknowledges an event with the same id: 43<id>[…]", async () => {
    const socket = await EngineIoSocket.joined(server.wsBase);
    socket.send('42456["message-with-ack",1,"2",{"3":[false]}]');
    expect(await socket.nextMessage()).toBe('43456[1,"2",{"3":[false]}]');
    socket.close();
  });

  it("acknowledges a binary event with a binary ack: 46<n>-<id>[…] and the attachments", async () => {
    const socket = await EngineIoSocket.joined(server.wsBase);
    socket.send(`452-789["message-with-ack",${PLACEHOLDERS}]`);
    socket.send(Uint8Array.from([1, 2, 3]));
    socket.send(Uint8Array.from([4, 5, 6]));
    expect(await socket.nextMessage()).toBe(`462-789[${PLACEHOLDERS}]`);
    expect(await socket.nextMessage()).toEqual(Buffer.from([1, 2, 3]));
    expect(await socket.nextMessage()).toEqual(Buffer.from([4, 5, 6]));
    socket.close();
  });

  it("acknowledges with an empty array when the handler acks with nothing", async () => {
    const socket = await EngineIoSocket.joined(server.wsBase);
    socket.send('420["message-with-ack"]');
    expect(await socket.nextMessage()).toBe("430[]");
    socket.close();
  });

  it("takes the client's ACK and BINARY_ACK for the server's own emits", async () => {
    const { socket } = await EngineIoSocket.session(server.wsBase);
    socket.autoPong = true;
    socket.send("40/asking,");
    await socket.nextMessage();

    socket.send('42/asking,["ask","plain"]');
    const question = (await socket.nextMessage()) as string;
    const id = /^42\/asking,(\d+)\["question","plain"\]$/.exec(question)?.[1];
    expect(id).toBeDefined();
    socket.send(`43/asking,${id}["yes",2]`);
    expect(await socket.nextMessage()).toBe('42/asking,["answered","yes",2]');

    socket.send('42/asking,["ask","binary"]');
    const second = (await socket.nextMessage()) as string;
    const id2 = /^42\/asking,(\d+)\["question","binary"\]$/.exec(second)?.[1];
    socket.send(`461-/asking,${id2}[{"_placeholder":true,"num":0}]`);
    socket.send(Uint8Array.from([5, 5]));
    expect(await socket.nextMessage()).toBe('451-/asking,["answered",{"_placeholder":true,"num":0}]');
    expect(await socket.nextMessage()).toEqual(Buffer.from([5, 5]));
    socket.close();
  });

  it("ignores an ACK for an id it never sent", async () => {
    const socket = await EngineIoSocket.joined(server.wsBase);
    socket.send('43999["nobody asked"]');
    socket.send('42["message","still open"]');
    expect(await socket.nextMessage()).toBe('42["message-back","still open"]');
    socket.close();
  });
});

describe("Socket.IO packets that close the connection", () => {
  it.each([
    ["an unknown packet type", "4abc"],
    ["packet type 7", '47["x"]'],
    ["an EVENT whose payload is an object", "42{}"],
    ["an EVENT with no payload", "42"],
    ["an EVENT whose payload is an empty array", "42[]"],
    ["an EVENT whose name is not a string", "42[1]"],
    ["an EVENT whose payload is not JSON", '42["message"'],
    ["an EVENT with an invalid ack id", '42abc["message-with-ack",1,"2",{"3":[false]}]'],
    ["an EVENT with an ack id beyond the range", '4299999999999["message"]'],
    ["an ACK without an id", "43[1]"],
    ["an ACK whose payload is an object", "431{}"],
    ["a BINARY_EVENT without an attachment count", '45["message"]'],
    ["a CONNECT_ERROR from the client", '44{"message":"x"}'],
    ["a DISCONNECT with a payload", "41[]"],
  ])("%s", async (_label, frame) => {
    const socket = await EngineIoSocket.joined(server.wsBase);
    socket.send(frame);
    await socket.waitClosed(1000);
  });

  it("a binary message when no attachment is awaited", async () => {
    const socket = await EngineIoSocket.joined(server.wsBase);
    socket.send(Uint8Array.from([1, 2, 3]));
    await socket.waitClosed(1000);
  });

  it("a BINARY_EVENT whose placeholder points past its attachments", async () => {
    const socket = await EngineIoSocket.joined(server.wsBase);
    socket.send('451-["message",{"_placeholder":true,"num":3}]');
    socket.send(Uint8Array.from([1]));
    await socket.waitClosed(1000);
  });

  it("a text message while attachments are awaited", async () => {
    const socket = await EngineIoSocket.joined(server.wsBase);
    socket.send(`452-["message",${PLACEHOLDERS}]`);
    socket.send(Uint8Array.from([1]));
    socket.send('42["message","too soon"]');
    await socket.waitClosed(1000);
  });

  it("a WebSocket frame over maxPayload: closed with 1009", async () => {
    const small = await startConformanceServer({ maxPayload: 1000 });
    try {
      const socket = await EngineIoSocket.joined(small.wsBase);
      socket.send(`42["message","${"z".repeat(1000)}"]`);
      expect((await socket.waitClosed(1000)).code).toBe(1009);
    } finally {
      await small.close();
    }
  });

  it("over long-polling: the POST is refused and the sid forgotten", async () => {
    const session = await PollingSession.start(server.httpBase);
    await session.post("40");
    await session.nextPackets();
    const pushed = await session.post("42{}");
    expect(pushed.status).toBe(400);
    expect((await session.get()).status).toBe(400);
  });

  it("leaves other sessions alone", async () => {
    const healthy = await EngineIoSocket.joined(server.wsBase);
    const broken = await EngineIoSocket.joined(server.wsBase);
    broken.send("42{}");
    await broken.waitClosed(1000);
    healthy.send('42["message","fine"]');
    expect(await healthy.nextMessage()).toBe('42["message-back","fine"]');
    healthy.close();
  });
});
