import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProcessGroup } from "../src/cluster/process-group.js";
import { waitForHttp } from "../src/cluster/wait-for.js";
import { launchBrowser, screenshotDir } from "./support/browser.js";
import { ChatPage, WAIT_MS } from "./support/chat-page.js";
import { demoBuild } from "./support/demo-build.js";
import { freePorts } from "./support/free-port.js";
import { listeningAddresses } from "./support/listening-sockets.js";
import { setupOnce } from "./support/setup-once.js";
import { requireTools } from "./support/system-tools.js";
import { TcpProxy } from "./support/tcp-proxy.js";

/**
 * `pnpm demo` as people use it: one node, in-memory adapter and state, real Chromium, on a
 * desktop window and on a 390×844 phone. The steps build on each other, in order.
 */
describe("demo on a single node", { timeout: 60_000 }, () => {
  const processes = new ProcessGroup(() => {});
  const shots = screenshotDir("single-node");
  const output: string[] = [];
  let browser: Browser | undefined;
  let url = "";
  let port = 0;
  let serverEntry = "";
  let proxy: TcpProxy | undefined;
  const pages: ChatPage[] = [];
  let alice: ChatPage;
  let bob: ChatPage;
  let ann: ChatPage;
  let ben: ChatPage;

  async function startNode(): Promise<void> {
    processes.start("demo", process.execPath, [serverEntry], {
      // Presence is refreshed every second, so a page's state settles quickly after a drop.
      env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", NODE_ID: "solo", REDIS_URL: "", DEMO_PRESENCE_REFRESH_MS: "1000" },
      onLine: (line) => output.push(line),
    });
    await waitForHttp(`${url}/readyz`, 15_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${output.join("\n")}`);
    });
  }

  const ready = setupOnce(async () => {
    requireTools(["chromium"]);
    serverEntry = demoBuild().serverEntry;
    [port] = await freePorts(1);
    url = `http://127.0.0.1:${port}`;
    await startNode();
    browser = await launchBrowser();
    // Ben's page reaches the server through a relay standing in for his network.
    proxy = await TcpProxy.start(port);
  });
  // Started here so the time is spent under the hook's timeout; each test awaits ready() for the outcome.
  beforeAll(() => ready().catch(() => {}));

  afterAll(async () => {
    await Promise.all(pages.map((page) => page.close()));
    await browser?.close();
    await proxy?.close();
    await processes.stopAll();
  });

  const open = async (nickname: string, options: { phone?: boolean; via?: string } = {}) => {
    const page = await ChatPage.open(browser!, options.via ?? url, nickname, shots, options);
    pages.push(page);
    return page;
  };

  it("listens on 127.0.0.1 only", async () => {
    await ready();
    // the node and the relay: every listening socket of every process the suite started, and of this one.
    const pids = [process.pid, ...processes.names().map((name) => processes.get(name)!.pid!)];
    const listening = listeningAddresses(pids);
    expect(listening).toHaveLength(2);
    expect(listening.filter((address) => !address.startsWith("127.0.0.1:"))).toEqual([]);
  });

  it("refuses a reserved nickname, and one already taken whatever its case, saying why", async () => {
    await ready();
    const context = await browser!.newContext();
    const phone = await browser!.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    try {
      const page = await context.newPage();
      await page.goto(url);
      await page.getByTestId("nickname-input").fill("admin");
      await page.getByTestId("profile-submit").click();
      await page.getByTestId("profile-error").filter({ hasText: "reserved" }).waitFor({ timeout: WAIT_MS });
      await page.getByTestId("nickname-input").fill("MobileUser");
      await page.getByTestId("profile-submit").click();
      await page.waitForSelector('body[data-connection="online"]', { timeout: WAIT_MS });
      expect(await page.getByTestId("nickname").textContent()).toBe("MobileUser");

      // Someone else, on a phone, wants the same name in other letters' case.
      const other = await phone.newPage();
      await other.goto(url);
      await other.getByTestId("nickname-input").fill("mobileuser");
      await other.getByTestId("profile-submit").click();
      const error = other.getByTestId("profile-error").filter({ hasText: "already taken" });
      await error.waitFor({ timeout: WAIT_MS });
      expect(await error.textContent()).toBe('"mobileuser" is already taken: choose another nickname');
      expect(await other.getByTestId("profile-dialog").isVisible()).toBe(true);
      await other.screenshot({ path: `${shots}/01-nickname-taken-phone.png` });
      await other.getByTestId("nickname-input").fill("mobileuser2");
      await other.getByTestId("profile-submit").click();
      await other.waitForSelector('body[data-connection="online"]', { timeout: WAIT_MS });

      // Closing the first tab frees the name at once (the page says goodbye on pagehide): once
      // the others see MobileUser gone, someone else may take the name.
      await other.locator('[data-testid="user"][data-nickname="MobileUser"]').waitFor({ state: "attached", timeout: WAIT_MS });
      await page.goto("about:blank");
      await other.locator('[data-testid="user"][data-nickname="MobileUser"]').waitFor({ state: "detached", timeout: WAIT_MS });
      const third = await phone.newPage();
      await third.goto(url);
      await third.getByTestId("nickname-input").fill("MOBILEUSER");
      await third.getByTestId("profile-submit").click();
      await third.waitForSelector('body[data-connection="online"]', { timeout: WAIT_MS });
    } finally {
      await Promise.all([context.close(), phone.close()]);
    }
  });

  it("lets a desktop and a phone user chat: typing shown by the message box, delivered marks, no echo", async () => {
    await ready();
    alice = await open("Alice");
    bob = await open("Bob", { phone: true });
    await alice.waitForUsers(["Alice", "Bob"], "online");
    await bob.waitForUsers(["Alice", "Bob"], "online");
    expect(await alice.nodeId()).toBe("solo");

    await alice.page.getByTestId("message-input").pressSequentially("hel");
    const typing = bob.page.getByTestId("typing").filter({ hasText: "Alice is typing" });
    await typing.waitFor({ timeout: WAIT_MS });
    // The hint sits right above the message box, not under the last message.
    const [hint, box] = [await typing.boundingBox(), await bob.page.getByTestId("message-input").boundingBox()];
    expect(box!.y - (hint!.y + hint!.height)).toBeGreaterThanOrEqual(0);
    expect(box!.y - (hint!.y + hint!.height)).toBeLessThan(12);
    await bob.screenshot("02-typing-phone");

    await alice.send("hello from Alice");
    await bob.waitForMessage("hello from Alice", "Alice");
    await bob.send("hi Alice");
    await alice.waitForMessage("hi Alice", "Bob");
    // Broadcast-except-sender: the sender's own copy is the one it wrote, never a second one.
    expect(await alice.message("hello from Alice").count()).toBe(1);
    await alice.screenshot("03-chat-desktop");
    await bob.screenshot("03-chat-phone");
  });

  it("reaches every feature at 390×844: rooms, people, direct messages, profile and the banner", async () => {
    await ready();
    // Closed drawers are out of the way (and out of the tab order) until their button opens them.
    expect(await bob.page.getByTestId("sidebar").isVisible()).toBe(false);
    expect(await bob.page.getByTestId("people").isVisible()).toBe(false);
    const banner = await bob.page.getByTestId("connection-banner").boundingBox();
    expect(banner!.x).toBeGreaterThanOrEqual(0);
    expect(banner!.x + banner!.width).toBeLessThanOrEqual(390);
    expect(await bob.bannerText()).toBe("Online");

    await bob.createRoom("phone-room");
    await bob.screenshot("04-room-created-phone");
    await alice.page.getByTestId("room-phone-room").waitFor({ timeout: WAIT_MS });
    await alice.openRoom("phone-room");
    await bob.waitForUsers(["Alice", "Bob"]);

    await bob.openDirectFromUserList("Alice");
    await bob.send("a direct one, from my phone");
    await alice.openDirect("Bob");
    await alice.waitForMessage("a direct one, from my phone", "Bob");
    // "delivered" came from Alice's page, not from the server taking it.
    expect(await bob.statusText("a direct one, from my phone")).toBe("✓ delivered");
    // Typing shows in a direct conversation too.
    await alice.page.getByTestId("message-input").pressSequentially("ok");
    await bob.page.getByTestId("typing").filter({ hasText: "Alice is typing" }).waitFor({ timeout: WAIT_MS });
    await alice.page.getByTestId("message-input").fill("");

    await bob.page.getByTestId("whoami").click();
    await bob.page.getByTestId("nickname-input").fill("Robert");
    await bob.page.getByTestId("profile-submit").click();
    await bob.page.getByTestId("nickname").filter({ hasText: "Robert" }).waitFor({ timeout: WAIT_MS });
    await alice.openRoom("phone-room");
    await alice.waitForUsers(["Alice", "Robert"]);
    await bob.openRoom("phone-room");
    await bob.screenshot("05-renamed-phone");
    // The badge with the unread count does not push the profile button onto a row of its own.
    await alice.openRoom("general");
    await alice.send("while Bob looks elsewhere");
    await bob.page.getByTestId("rooms-unread").waitFor({ timeout: WAIT_MS });
    const row = await bob.page.evaluate(() =>
      ["rooms-toggle", "people-toggle", "whoami"].map((id) => {
        const box = document.querySelector(`[data-testid="${id}"]`)!.getBoundingClientRect();
        return box.top + box.height / 2;
      }),
    );
    expect(Math.max(...row) - Math.min(...row)).toBeLessThan(2);
    await alice.openRoom("phone-room");
    // A reload opens the room that was open, not the first one.
    await bob.page.reload();
    await bob.waitOnline();
    await bob.page.getByTestId("conversation-title").filter({ hasText: "# phone-room" }).waitFor({ timeout: WAIT_MS });
  });

  it("shows a room's last messages to whoever joins it, and in a new tab", async () => {
    await ready();
    const carol = await open("Carol");
    // The new tab opens #general with what was said before it came.
    await carol.waitForMessage("hello from Alice", "Alice");
    await carol.waitForMessage("hi Alice", "Bob");
    expect(await carol.message("hello from Alice").count()).toBe(1);
    await carol.openRoom("phone-room");
    await carol.waitForUsers(["Alice", "Carol", "Robert"]);
    expect(await carol.messageTexts()).toEqual([]);
    await alice.send("for phone-room");
    await carol.waitForMessage("for phone-room", "Alice");
    const late = await open("Dora", { phone: true });
    await late.openRoom("phone-room");
    await late.waitForMessage("for phone-room", "Alice");
    expect(await late.messageTexts()).toEqual(["for phone-room"]);
    await late.screenshot("06-history-on-join-phone");
    await Promise.all([carol.close(), late.close()]);
  });

  it("keeps the message box working while reconnecting: queued, then delivered once and in order", async () => {
    await ready();
    ann = await open("Ann");
    ben = await open("Ben", { phone: true, via: proxy!.url });
    await ann.waitForUserListed("Ben", "online");
    const socketBefore = await ben.socketId();

    // The link dies: no close handshake, and reconnect attempts fail until it is back.
    proxy!.down({ cut: true });
    await ben.page.waitForSelector('body[data-connection="reconnecting"]', { timeout: WAIT_MS });
    // Presence says Ben is away (inside the recovery window), not gone.
    await ann.waitForUserListed("Ben", "away");

    expect(await ben.page.getByTestId("message-input").isEnabled()).toBe(true);
    await ben.write("written offline 1");
    await ben.write("written offline 2");
    await ben.waitForStatus("written offline 2", "queued");
    expect(await ben.statusText("written offline 1")).toBe("queued: goes out when the connection is back");
    await ben.page.getByTestId("connection-text").filter({ hasText: "2 messages queued" }).waitFor({ timeout: WAIT_MS });
    const missed = ["missed 1", "missed 2", "missed 3"];
    for (const text of missed) await ann.send(text);
    await ben.screenshot("07-offline-queued-phone");

    await ben.recordConnectionStates();
    proxy!.restore();
    await ben.waitOnline();
    await ben.waitForStatus("written offline 2", "delivered");
    await ben.waitForStatus("written offline 1", "delivered");
    await ann.waitForMessage("written offline 2", "Ben");
    const annSees = (await ann.messageTexts()).filter((text) => text.startsWith("written offline"));
    expect(annSees).toEqual(["written offline 1", "written offline 2"]);

    // The session was recovered: same socket, and the panel lists exactly what Ben missed.
    const panel = await ben.missedMessages();
    expect(panel.recovered).toBe(true);
    expect(panel.listed).toEqual(missed.map((text) => `#general Ann: ${text}`));
    expect(await ben.socketId()).toBe(socketBefore);
    expect((await ben.messageTexts()).filter((text) => text.startsWith("missed "))).toEqual(missed);
    await ben.waitForBannerSaid("Back online");
    await ann.waitForUserListed("Ben", "online");
    await ben.screenshot("08-back-online-phone");
  });

  it("delivers a direct message to someone away once they are back, resumed or reloaded, and only then says delivered", async () => {
    await ready();
    await ann.openDirectFromUserList("Ben");
    await ben.page.getByTestId("missed-messages").getByRole("button", { name: "Dismiss this notice" }).click();

    proxy!.down({ cut: true });
    await ben.page.waitForSelector('body[data-connection="reconnecting"]', { timeout: WAIT_MS });
    await ann.page.waitForFunction(() => document.querySelector('[data-testid="dm-Ben"] [data-presence="away"]') !== null, null, { timeout: WAIT_MS });
    await ann.write("are you there, Ben?");
    await ann.waitForStatus("are you there, Ben?", "sent");
    expect(await ann.statusText("are you there, Ben?")).toBe("sent: Ben is away, it reaches them when they are back");
    await ann.screenshot("09-direct-to-away");

    proxy!.restore();
    await ben.waitOnline();
    await ben.openDirect("Ann");
    await ben.waitForMessage("are you there, Ben?", "Ann");
    await ann.waitForStatus("are you there, Ben?", "delivered");
    expect(await ben.message("are you there, Ben?").count()).toBe(1);

    // Away again, and this time the page is reloaded before it could reconnect: a fresh session,
    // to which nothing can be replayed. The server kept the message until Ben's page confirmed it.
    proxy!.down({ cut: true });
    await ann.page.waitForFunction(() => document.querySelector('[data-testid="dm-Ben"] [data-presence="away"]') !== null, null, { timeout: WAIT_MS });
    await ann.write("did the reload lose this?");
    await ann.waitForStatus("did the reload lose this?", "sent");
    await ben.page.goto("about:blank");
    proxy!.restore();
    await ben.page.goto(proxy!.url);
    await ben.waitOnline();
    await ann.waitForStatus("did the reload lose this?", "delivered");
    await ben.openDirect("Ann");
    await ben.waitForMessage("did the reload lose this?", "Ann");
    expect(await ben.message("did the reload lose this?").count()).toBe(1);
  });

  it("shows no missed-messages panel after a resume that missed nothing", async () => {
    await ready();
    await ben.recordConnectionStates();
    proxy!.down({ cut: true });
    await ben.page.waitForSelector('body[data-connection="reconnecting"]', { timeout: WAIT_MS });
    proxy!.restore();
    await ben.waitOnline();
    await ben.waitForBannerSaid("Back online");
    expect(await ben.missedPanelVisible()).toBe(false);
    expect((await ben.connectionStates()).texts.some((text) => text.startsWith("Connection lost, reconnecting"))).toBe(true);
  });

  it("drops the connection as soon as the browser goes offline: what is written waits, then goes out once", async () => {
    await ready();
    await ann.openRoom("general");
    await ben.openRoom("general");
    await ben.context.setOffline(true);
    // At once: the open WebSocket looks alive until the heartbeat gives up, 45 s later.
    await ben.page.waitForSelector('body[data-connection="reconnecting"]', { timeout: WAIT_MS });
    expect(await ben.bannerText()).toBe("Offline: no network · you can keep writing");
    await ben.write("written with no network");
    await ben.waitForStatus("written with no network", "queued");
    await ben.page.getByTestId("connection-text").filter({ hasText: "1 message queued" }).waitFor({ timeout: WAIT_MS });
    await ben.page.getByTestId("sidebar").waitFor({ state: "hidden", timeout: WAIT_MS });
    await ben.screenshot("10-no-network-phone");

    await ben.context.setOffline(false);
    await ben.waitOnline();
    await ben.waitForStatus("written with no network", "delivered");
    await ann.waitForMessage("written with no network", "Ben");
    expect(await ann.message("written with no network").count()).toBe(1);
    expect(await ben.message("written with no network").count()).toBe(1);
  });

  it("says why a direct message failed, and Retry sends it once the recipient is back", async () => {
    await ready();
    // Ben leaves the page: a goodbye, so the server forgets him at once, and Ann's page stops
    // showing him as online or away.
    await ben.page.goto("about:blank");
    await ann.page.locator('[data-testid="dm-Ben"] [data-presence]').waitFor({ state: "detached", timeout: WAIT_MS });
    await ann.openDirect("Ben");
    await ann.write("still there?");
    await ann.waitForStatus("still there?", "failed");
    expect(await ann.statusText("still there?")).toContain("not sent: they have left the chat");
    await ann.screenshot("11-failed-with-reason");

    // He comes back in the same tab: same person (the tab keeps its key), same name.
    await ben.page.goBack();
    await ben.waitOnline();
    await ann.page.getByTestId("retry").click();
    await ann.waitForStatus("still there?", "delivered");
    await ben.openDirect("Ann");
    await ben.waitForMessage("still there?", "Ann");
    expect(await ann.message("still there?").count()).toBe(1);
  });

  it("after a kill -9 of the node, says plainly what happened, reloads history and sends what was queued", async () => {
    await ready();
    await alice.openRoom("general");
    await ann.openRoom("general");
    await processes.stop("demo", "SIGKILL");
    await alice.page.waitForSelector('body[data-connection="reconnecting"]', { timeout: WAIT_MS });
    await alice.write("sent while the server was down");
    await alice.waitForStatus("sent while the server was down", "queued");
    await startNode();

    await alice.waitOnline();
    await alice.waitForStatus("sent while the server was down", "delivered");
    await ann.waitForMessage("sent while the server was down", "Alice");
    const panel = await alice.missedMessages();
    expect(panel.recovered).toBe(false);
    expect(panel.text).toContain("no longer had this page's session");
    expect(panel.text).toContain("Recent room messages were reloaded");
    // Old messages are still shown, once; the queued one went out once.
    expect((await alice.messageTexts()).filter((t) => t === "hello from Alice")).toHaveLength(1);
    expect((await ann.messageTexts()).filter((t) => t === "sent while the server was down")).toHaveLength(1);
    await alice.screenshot("12-after-kill-9");
  });

  it("has no serious accessibility problems on desktop or phone; a favicon; one button style", async () => {
    await ready();
    const favicon = await fetch(`${url}/favicon.ico`);
    expect(favicon.status).toBe(200);
    expect(favicon.headers.get("content-type")).toBe("image/x-icon");

    expect(await alice.accessibilityProblems()).toEqual([]);
    await bob.openDrawer("rooms");
    expect(await bob.accessibilityProblems()).toEqual([]);
    await bob.page.keyboard.press("Escape");
    await bob.openDrawer("people");
    expect(await bob.accessibilityProblems()).toEqual([]);
    await bob.page.getByTestId("whoami").click();
    expect(await bob.accessibilityProblems()).toEqual([]);
    await bob.page.keyboard.press("Escape");

    // Keyboard: the first stop in the tab order is "Skip to the message box"; it shows when
    // focused and leads there.
    expect(await alice.page.evaluate(() => document.querySelector("a[href], button, input, [tabindex]")?.textContent)).toBe("Skip to the message box");
    const skip = alice.page.getByRole("link", { name: "Skip to the message box" });
    await skip.focus();
    expect((await skip.boundingBox())!.y).toBeGreaterThanOrEqual(0);
    await alice.page.keyboard.press("Enter");
    await alice.page.waitForFunction(() => document.activeElement?.id === "message-input", null, { timeout: WAIT_MS });
    // On the phone a drawer opens from its button, takes focus, and Escape gives it back.
    await bob.page.getByTestId("rooms-toggle").focus();
    await bob.page.keyboard.press("Enter");
    await bob.page.locator('[data-testid="sidebar"][data-open="true"]').waitFor({ timeout: WAIT_MS });
    expect(await bob.page.evaluate(() => document.getElementById("sidebar")!.contains(document.activeElement))).toBe(true);
    await bob.page.keyboard.press("Escape");
    expect(await bob.page.evaluate(() => document.activeElement?.id)).toBe("rooms-toggle");
    await bob.page.getByTestId("sidebar").waitFor({ state: "hidden", timeout: WAIT_MS });

    // Every button is one of the page's buttons (`.btn`) or a list entry styled as a row.
    const stray = await alice.page.evaluate(() =>
      [...document.querySelectorAll("button")].filter((b) => !b.matches(".btn, .conversation-link, .user-link, .swatch")).map((b) => b.outerHTML),
    );
    expect(stray).toEqual([]);
    const looks = await alice.page.evaluate(() =>
      ["send", "create-room"].map((id) => {
        const button = document.querySelector(`[data-testid="${id}"]`)!.closest("form")!.querySelector("button")!;
        const style = getComputedStyle(button);
        return [style.borderRadius, style.fontWeight, style.minHeight];
      }),
    );
    expect(looks[0]).toEqual(looks[1]);
  });
});
