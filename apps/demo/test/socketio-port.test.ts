import { afterEach, describe, expect, it } from "vitest";
import * as socketIoServer from "socket.io";
import * as socketIoClient from "socket.io-client";
import * as roomcastServer from "@roomcast/core";
import * as roomcastDropIn from "@roomcast/core/socket.io";
import * as roomcastClient from "@roomcast/client";
import { type ClientModule, connectUser, type ServerModule, startChatServer } from "./support/socketio-chat-app.js";

/**
 * Porting check: one chat app written against Socket.IO's API runs unchanged on roomcast. The
 * same script drives both and must produce the same transcript.
 */
const implementations: [string, ServerModule, ClientModule][] = [
  ["socket.io", socketIoServer as unknown as ServerModule, socketIoClient as unknown as ClientModule],
  ["roomcast", roomcastServer as unknown as ServerModule, roomcastClient as unknown as ClientModule],
  // Only the server's import changes: unmodified socket.io-clients (polling, then the upgrade).
  ["socket.io-client on roomcast", roomcastDropIn as unknown as ServerModule, socketIoClient as unknown as ClientModule],
  ["websocket-only socket.io-client on roomcast", roomcastDropIn as unknown as ServerModule, websocketOnly(socketIoClient as unknown as ClientModule)],
];

/** socket.io-client as apps configure it to skip long-polling. */
function websocketOnly(client: ClientModule): ClientModule {
  return { io: (url, options) => client.io(url, { ...options, transports: ["websocket"] }) };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function next(socket: any, event: string): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${event}" within 3 s`)), 3000);
    socket.once(event, (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

async function runScript(serverModule: ServerModule, clientModule: ClientModule): Promise<unknown[]> {
  const transcript: unknown[] = [];
  const server = await startChatServer(serverModule);
  cleanups.push(server.close);
  const connect = (nickname: string | undefined) => {
    const socket = connectUser(clientModule, server.url, nickname);
    cleanups.push(() => void socket.disconnect());
    return socket;
  };

  const anonymous = connect(undefined);
  const [err] = (await next(anonymous, "connect_error")) as [Error & { data?: unknown }];
  transcript.push(["refused", err.message, err.data]);

  const alice = connect("alice");
  const bob = connect("bob");
  const carol = connect("carol");
  await Promise.all([alice, bob, carol].map((s) => next(s, "connect")));
  transcript.push(["ids differ", new Set([alice.id, bob.id, carol.id]).size]);

  transcript.push(["alice joins", await alice.emitWithAck("join", "lobby")]);
  const aliceSeesBob = next(alice, "joined");
  transcript.push(["bob joins", await bob.emitWithAck("join", "lobby")]);
  transcript.push(["alice sees", await aliceSeesBob]);
  const bobSeesCarol = next(bob, "joined");
  transcript.push(["carol joins", await carol.emitWithAck("join", "lobby")]);
  transcript.push(["bob sees", await bobSeesCarol]);

  const echoes: unknown[] = [];
  alice.on("said", (m: unknown) => echoes.push(m));
  const bobHears = next(bob, "said");
  const carolHears = next(carol, "said");
  transcript.push(["ack", await alice.timeout(2000).emitWithAck("say", "lobby", "hello")]);
  transcript.push(["bob hears", await bobHears, "carol hears", await carolHears]);

  const dms: string[] = [];
  bob.on("dm", () => dms.push("bob"));
  carol.on("dm", () => dms.push("carol"));
  const aliceGetsDm = next(alice, "dm");
  bob.emit("dm", alice.id, "psst");
  transcript.push(["alice dm", await aliceGetsDm]);

  alice.on("vote", (ack: (v: string) => void) => ack("alice:yes"));
  bob.on("vote", (ack: (v: string) => void) => ack("bob:no"));
  carol.on("vote", (ack: (v: string) => void) => ack("carol:should not be asked"));
  transcript.push(["poll", await carol.emitWithAck("poll", "lobby")]);

  const aliceSeesLeave = next(alice, "left");
  bob.disconnect();
  transcript.push(["bob leaves", await aliceSeesLeave]);

  // Give stray deliveries a moment to show up before reading the negative assertions.
  await new Promise((resolve) => setTimeout(resolve, 100));
  transcript.push(["echoes to sender", echoes, "other dm recipients", dms]);
  return transcript;
}

describe("porting a Socket.IO app", () => {
  it("behaves the same on socket.io and roomcast, changing only the imports (both, or the server's alone)", async () => {
    const transcripts: Record<string, unknown[]> = {};
    for (const [name, server, client] of implementations) {
      transcripts[name] = await runScript(server, client);
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    }
    expect(transcripts.roomcast).toEqual(transcripts["socket.io"]);
    expect(transcripts["socket.io-client on roomcast"]).toEqual(transcripts["socket.io"]);
    expect(transcripts["websocket-only socket.io-client on roomcast"]).toEqual(transcripts["socket.io"]);
    expect(transcripts.roomcast).toContainEqual(["refused", "nickname required", { field: "nickname" }]);
    expect(transcripts.roomcast).toContainEqual(["echoes to sender", [], "other dm recipients", []]);
  });
});
