import { io, type Socket } from "socket.io-client";
import { afterEach, describe, expect, it } from "vitest";
import { postLogin, postLogout, viewPage } from "./support/http-session.js";
import { nextEvent } from "./support/next-event.js";
import { ALICE, type RunningApp, SERVERS, startApp } from "./support/servers.js";

/**
 * The session flow from Node: log in over HTTP, then connect with socket.io-client over WebSocket
 * only, carrying the session cookie the way a browser would.
 */
describe.each(SERVERS)("session app from Node over WebSocket, on %s", (server) => {
  let app: RunningApp | undefined;
  const sockets: Socket[] = [];

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.disconnect();
    await app?.close();
    app = undefined;
  });

  function connect(url: string, cookie?: string): Socket {
    const socket = io(url, {
      transports: ["websocket"],
      extraHeaders: cookie === undefined ? {} : { cookie },
      forceNew: true,
      reconnection: false,
    });
    sockets.push(socket);
    return socket;
  }

  async function signedIn(url: string): Promise<string> {
    const login = await postLogin(url, ALICE.username, ALICE.password);
    expect(login).toMatchObject({ status: 302, location: "/" });
    expect(login.cookie).toBeDefined();
    return login.cookie!;
  }

  it("refuses a socket without a signed-in session", async () => {
    app = await startApp(server);
    const [err] = await nextEvent<[Error & { data?: unknown }]>(connect(app.url), "connect_error");
    expect(err.message).toBe("unauthorized");
    expect(err.data).toEqual({ reason: "sign in first" });
  });

  it("refuses a wrong password at the login form", async () => {
    app = await startApp(server);
    expect(await postLogin(app.url, ALICE.username, "rabbit hole")).toEqual({ status: 302, location: "/?login=failed", cookie: undefined });
  });

  it("greets the signed-in user by name with the session's page views", async () => {
    app = await startApp(server);
    const cookie = await signedIn(app.url);
    expect(await viewPage(app.url, cookie)).toBe(200);
    expect(await viewPage(app.url, cookie)).toBe(200);

    const socket = connect(app.url, cookie);
    const [hello] = await nextEvent(socket, "hello");
    expect(hello).toEqual({ name: ALICE.displayName, views: 2, transport: "websocket" });
    expect(socket.io.engine.transport.name).toBe("websocket");
  });

  it("reads the session again on request, seeing page views made after the handshake", async () => {
    app = await startApp(server);
    const cookie = await signedIn(app.url);
    await viewPage(app.url, cookie);
    const socket = connect(app.url, cookie);
    expect((await nextEvent(socket, "hello"))[0]).toMatchObject({ views: 1 });

    await viewPage(app.url, cookie);
    await viewPage(app.url, cookie);
    expect(await socket.timeout(5000).emitWithAck("whoami")).toEqual({ ok: true, name: ALICE.displayName, views: 3, transport: "websocket" });
  });

  it("disconnects the session's sockets at logout, and refuses the old cookie afterwards", async () => {
    app = await startApp(server);
    const cookie = await signedIn(app.url);
    const socket = connect(app.url, cookie);
    await nextEvent(socket, "hello");

    const disconnected = nextEvent(socket, "disconnect");
    expect(await postLogout(app.url, cookie)).toMatchObject({ status: 302, location: "/" });
    expect((await disconnected)[0]).toBe("io server disconnect");

    const [err] = await nextEvent<[Error]>(connect(app.url, cookie), "connect_error");
    expect(err.message).toBe("unauthorized");
  });
});
