import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProcessGroup } from "../src/cluster/process-group.js";
import { waitForHttp } from "../src/cluster/wait-for.js";
import { launchBrowser, screenshotDir } from "./support/browser.js";
import { ChatPage } from "./support/chat-page.js";
import { demoBuild } from "./support/demo-build.js";
import { freePorts } from "./support/free-port.js";
import { setupOnce } from "./support/setup-once.js";
import { requireTools } from "./support/system-tools.js";
import { TcpProxy } from "./support/tcp-proxy.js";

/** `pnpm demo` as a user runs it: one node, in-memory adapter, real Chromium. */
describe("demo on a single node", () => {
  const processes = new ProcessGroup(() => {});
  const pages: ChatPage[] = [];
  const shots = screenshotDir("single-node");
  let browser: Browser | undefined;
  let url = "";
  let port = 0;
  let proxy: TcpProxy | undefined;

  // Presence is re-announced only on change here (the periodic refresh is far off), so a list
  // that is right shows the change was announced.
  const ready = setupOnce(async () => {
    requireTools(["chromium"]);
    const { serverEntry } = demoBuild();
    [port] = await freePorts(1);
    const output: string[] = [];
    processes.start("demo", process.execPath, [serverEntry], {
      env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", NODE_ID: "solo", REDIS_URL: "", DEMO_PRESENCE_REFRESH_MS: "60000" },
      onLine: (line) => output.push(line),
    });
    url = `http://127.0.0.1:${port}`;
    await waitForHttp(`${url}/healthz`, 15_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${output.join("\n")}`);
    });
    browser = await launchBrowser();
  });
  // Started here so the time is spent under the hook's timeout; each test awaits ready() for the outcome.
  beforeAll(() => ready().catch(() => {}));

  afterAll(async () => {
    await Promise.all(pages.map((page) => page.close()));
    await browser?.close();
    await proxy?.close();
    await processes.stopAll();
  });

  const open = async (nickname: string, via = url) => {
    const page = await ChatPage.open(browser!, via, nickname, shots);
    pages.push(page);
    return page;
  };

  it("asks for the nickname again when the server refuses it", async () => {
    await ready();
    const context = await browser!.newContext();
    try {
      const page = await context.newPage();
      await page.goto(url);
      await page.getByTestId("nickname-input").fill("admin");
      await page.getByTestId("profile-submit").click();
      await page.getByTestId("profile-error").filter({ hasText: "reserved" }).waitFor({ timeout: 15_000 });
      expect(await page.getByTestId("profile-dialog").isVisible()).toBe(true);
      await page.screenshot({ path: `${shots}/01-reserved-nickname-refused.png` });
      await page.getByTestId("nickname-input").fill("Zoe");
      await page.getByTestId("profile-submit").click();
      await page.waitForSelector('body[data-connection="online"]', { timeout: 15_000 });
      expect(await page.getByTestId("nickname").textContent()).toBe("Zoe");
    } finally {
      await context.close();
    }
  });

  it("delivers a room message to the others, and the sender sees it delivered", async () => {
    await ready();
    const alice = await open("Alice");
    const bob = await open("Bob");
    await alice.waitForUsers(["Alice", "Bob"]);
    await bob.waitForUsers(["Alice", "Bob"]);
    expect(await alice.nodeId()).toBe("solo");

    await alice.page.getByTestId("message-input").pressSequentially("hel");
    await bob.page.getByTestId("typing").filter({ hasText: "Alice is typing" }).waitFor({ timeout: 15_000 });
    await bob.screenshot("02-typing");

    await alice.send("hello from Alice");
    await bob.waitForMessage("hello from Alice", "Alice");
    await bob.send("hi Alice");
    await alice.waitForMessage("hi Alice", "Bob");
    // Broadcast-except-sender: the sender's own copy is the optimistic one, never a second one.
    expect(await alice.message("hello from Alice").count()).toBe(1);
    await alice.screenshot("03-chat");
    await bob.screenshot("03-chat");
  });

  it("creates a room others can see and join, with its own member list", async () => {
    await ready();
    const [alice, bob] = pages;
    await alice.createRoom("project-x");
    await alice.waitForUsers(["Alice"]);
    await bob.page.getByTestId("room-project-x").waitFor({ timeout: 15_000 });
    await bob.openRoom("project-x");
    await alice.waitForUsers(["Alice", "Bob"]);
    await bob.send("in project-x now");
    await alice.waitForMessage("in project-x now", "Bob");

    await bob.page.getByTestId("leave-project-x").click();
    await alice.waitForUsers(["Alice"]);
    await alice.screenshot("04-room-created-and-left");
  });

  it("lists the messages a page missed while its connection was cut, once and in order", { timeout: 60_000 }, async () => {
    await ready();
    // Ben's page reaches the server through a relay standing in for his network.
    proxy = await TcpProxy.start(port);
    const ann = await open("Ann");
    const ben = await open("Ben", proxy.url);
    await ann.openRoom("general");
    await ben.openRoom("general");
    const socketBefore = await ben.socketId();

    // The link dies: no close handshake, and reconnect attempts fail until it is back.
    proxy.down({ cut: true });
    await ben.page.waitForSelector('body[data-connection="reconnecting"]', { timeout: 15_000 });
    const missed = ["missed 1", "missed 2", "missed 3", "missed 4", "missed 5"];
    for (const text of missed) await ann.send(text);
    await ben.screenshot("05-connection-cut");

    proxy.restore();
    await ben.waitOnline();
    const panel = await ben.missedMessages();
    await ben.screenshot("06-missed-messages-listed");
    expect(panel.recovered).toBe(true);
    expect(panel.listed).toEqual(missed.map((text) => `#general Ann: ${text}`));
    // Recovery kept the session; the replayed messages are in the chat log once, in order.
    expect(await ben.socketId()).toBe(socketBefore);
    expect((await ben.messageTexts()).filter((text) => text.startsWith("missed "))).toEqual(missed);

    // Both pages list Ben as online again (his drop had removed him).
    await ben.waitForUserListed("Ben");
    await ann.waitForUserListed("Ben");

    // And the chat goes on live.
    await ann.send("live again");
    await ben.waitForMessage("live again", "Ann");
  });
});
