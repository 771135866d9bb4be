import { statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster } from "../src/cluster/cluster-plan.js";
import { ProcessGroup } from "../src/cluster/process-group.js";
import { launchBrowser, screenshotDir } from "./support/browser.js";
import { ChatPage, WAIT_MS } from "./support/chat-page.js";
import { demoBuild } from "./support/demo-build.js";
import { freePorts } from "./support/free-port.js";
import { listeningAddresses } from "./support/listening-sockets.js";
import { setupOnce } from "./support/setup-once.js";
import { requireTools } from "./support/system-tools.js";
import { TcpProxy } from "./support/tcp-proxy.js";

/**
 * The screenshot in the repository's README, taken by this suite. It goes to the README only with
 * UPDATE_README_SCREENSHOT=1 (times and colours differ on each run, so an ordinary run leaves the
 * repository as it was and keeps the picture with the other screenshots).
 */
const README_SCREENSHOT = fileURLToPath(new URL("../../../docs/images/demo.png", import.meta.url));

/**
 * `pnpm demo:cluster` on free ports: three nodes sharing Redis behind HAProxy (round robin, no
 * stickiness), with real Chromium pages, desktop and phone, talking through the balancer. The
 * steps build on each other, in order.
 */
describe("demo on a three-node cluster behind HAProxy", { timeout: 60_000 }, () => {
  const log: string[] = [];
  const processes = new ProcessGroup((line) => log.push(line));
  const shots = screenshotDir("cluster");
  let browser: Browser | undefined;
  let url = "";
  let balancerPort = 0;
  let proxy: TcpProxy | undefined;
  let alice: ChatPage;
  let bob: ChatPage;
  let carol: ChatPage;
  let dave: ChatPage;

  const ready = setupOnce(async () => {
    requireTools(["chromium", "haproxy", "redis-server"]);
    const { serverEntry } = demoBuild();
    const [balancer, node1, node2, node3, redis] = await freePorts(5);
    try {
      const cluster = await startCluster(processes, {
        serverEntry,
        balancerHost: "127.0.0.1",
        balancerPort: balancer,
        nodePorts: [node1, node2, node3],
        redisPort: redis,
        // Presence heals within a couple of seconds of a node dying rather than the default 10.
        nodeEnv: { DEMO_PRESENCE_REFRESH_MS: "1000" },
      });
      url = cluster.url;
      balancerPort = balancer;
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- process output ---\n${log.join("\n")}`);
    }
    browser = await launchBrowser();
    // Dave reaches the balancer through a relay standing in for his network.
    proxy = await TcpProxy.start(balancerPort);
  });
  // Started here so the time is spent under the hook's timeout; each test awaits ready() for the outcome.
  beforeAll(() => ready().catch(() => {}));

  afterAll(async () => {
    await Promise.all([alice, bob, carol, dave].map((page) => page?.close()));
    await browser?.close();
    await proxy?.close();
    await processes.stopAll();
  });

  it("listens on 127.0.0.1 only", async () => {
    await ready();
    // three nodes, Redis, HAProxy and the relay: every listening socket of every process the suite started, and of this one.
    const pids = [process.pid, ...processes.names().map((name) => processes.get(name)!.pid!)];
    const listening = listeningAddresses(pids);
    expect(listening).toHaveLength(6);
    expect(listening.filter((address) => !address.startsWith("127.0.0.1:"))).toEqual([]);
  });

  it("lets a desktop and a phone page on different nodes chat, and shows a third page the history from Redis", async () => {
    await ready();
    alice = await ChatPage.open(browser!, url, "Alice", shots);
    bob = await ChatPage.open(browser!, url, "Bob", shots, { phone: true });
    await bob.moveOffNodes([await alice.nodeId()]);
    expect(await bob.nodeId()).not.toBe(await alice.nodeId());

    // Presence comes from the shared state: each sees the other online, though on another node.
    await alice.waitForUsers(["Alice", "Bob"], "online");
    await bob.waitForUsers(["Alice", "Bob"], "online");

    await alice.send("hello from Alice");
    await bob.waitForMessage("hello from Alice", "Alice");
    await bob.send("hi Alice, Bob here");
    await alice.waitForMessage("hi Alice, Bob here", "Bob");
    expect(await alice.message("hello from Alice").count()).toBe(1);

    // A new tab on the third node opens #general with what was said before.
    carol = await ChatPage.open(browser!, url, "Carol", shots);
    await carol.moveOffNodes([await alice.nodeId(), await bob.nodeId()]);
    await carol.waitForMessage("hello from Alice", "Alice");
    await carol.waitForMessage("hi Alice, Bob here", "Bob");
    expect(await carol.messageTexts()).toEqual(["hello from Alice", "hi Alice, Bob here"]);
    await alice.screenshot("01-different-nodes");
    await bob.screenshot("01-different-nodes-phone");
  });

  it("refuses a nickname taken on another node, whatever its case", async () => {
    await ready();
    const context = await browser!.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    try {
      const page = await context.newPage();
      await page.goto(url);
      await page.getByTestId("nickname-input").fill("ALICE");
      await page.getByTestId("profile-submit").click();
      const error = page.getByTestId("profile-error").filter({ hasText: "already taken" });
      await error.waitFor({ timeout: WAIT_MS });
      expect(await error.textContent()).toBe('"ALICE" is already taken: choose another nickname');
      await page.screenshot({ path: `${shots}/02-nickname-taken-phone.png` });
    } finally {
      await context.close();
    }
  });

  it("queues what a reconnecting page writes and sends it once; a direct message to it waits and arrives", async () => {
    await ready();
    dave = await ChatPage.open(browser!, proxy!.url, "Dave", shots, { phone: true });
    await dave.moveOffNodes([await bob.nodeId()]);
    // The phone, too, opens #general with its history.
    await dave.waitForMessage("hi Alice, Bob here", "Bob");
    await bob.openRoom("general");
    await bob.waitForUserListed("Dave", "online");
    await bob.openDirectFromUserList("Dave");

    proxy!.down({ cut: true });
    await dave.page.waitForSelector('body[data-connection="reconnecting"]', { timeout: WAIT_MS });
    // Bob, on another node, sees Dave away (inside the recovery window) and writes to him anyway.
    await bob.page.waitForFunction(() => document.querySelector('[data-testid="dm-Dave"] [data-presence="away"]') !== null, null, { timeout: WAIT_MS });
    await bob.write("Dave, call me");
    await bob.waitForStatus("Dave, call me", "sent");
    expect(await bob.statusText("Dave, call me")).toBe("sent: Dave is away, it reaches them when they are back");

    await dave.write("from the train 1");
    await dave.write("from the train 2");
    await dave.waitForStatus("from the train 2", "queued");
    await dave.screenshot("03-offline-queued-phone");

    proxy!.restore();
    await dave.waitOnline();
    await dave.waitForStatus("from the train 2", "delivered");
    await alice.waitForMessage("from the train 2", "Dave");
    expect((await alice.messageTexts()).filter((t) => t.startsWith("from the train"))).toEqual(["from the train 1", "from the train 2"]);
    await dave.openDirect("Bob");
    await dave.waitForMessage("Dave, call me", "Bob");
    await bob.waitForStatus("Dave, call me", "delivered");
    await bob.openRoom("general");
    await bob.waitForUserListed("Dave", "online");
  });

  it("after a kill -9 of a node, the page says plainly what happened, comes back on another node and sends what was queued", async () => {
    await ready();
    const deadNode = await alice.nodeId();
    const oldSocket = await alice.socketId();
    await alice.recordConnectionStates();

    await processes.stop(deadNode, "SIGKILL");
    await alice.page.waitForSelector('body[data-connection="reconnecting"]', { timeout: WAIT_MS });
    await alice.write("still here after my node died");

    await alice.page.waitForFunction(
      (node) => document.body.dataset.connection === "online" && document.querySelector('[data-testid="node-id"]')?.textContent !== node,
      deadNode,
      { timeout: WAIT_MS },
    );
    const newNode = await alice.nodeId();
    // The banner says it in words.
    await alice.waitForBannerSaid(`Back online on ${newNode} (${deadNode} stopped)`);
    expect((await alice.connectionStates()).texts.some((text) => text.startsWith("Connection lost, reconnecting"))).toBe(true);
    // The Redis streams store kept the session while it was live: the crash cost it nothing, and
    // as nothing was sent to Alice meanwhile there is no missed-messages panel.
    expect(await alice.socketId()).toBe(oldSocket);
    expect(await alice.missedPanelVisible()).toBe(false);
    await alice.waitForStatus("still here after my node died", "delivered");
    await alice.screenshot("04-after-kill-9");

    await bob.waitForMessage("still here after my node died", "Alice");
    expect(await bob.message("still here after my node died").count()).toBe(1);
    expect((await alice.messageTexts()).filter((t) => t === "hello from Alice")).toHaveLength(1);
    // Same person, new session: listed once, online again, everywhere.
    await bob.waitForUsers(["Alice", "Bob", "Carol", "Dave"], "online");
    await bob.send("welcome back");
    await alice.waitForMessage("welcome back", "Bob");
  });

  it("lists what a page missed while its node restarted, after it resumed on another node", async () => {
    await ready();
    const senderNode = await bob.nodeId();
    await dave.moveOffNodes([senderNode]);
    await dave.openRoom("general");
    await bob.waitForUserListed("Dave", "online");
    const stoppedNode = await dave.nodeId();
    const socketBefore = await dave.socketId();

    // New connections fail from now on; the open one lives until its node closes it.
    proxy!.down({ cut: false });
    // SIGTERM: io.close() saves the sessions in Redis, then closes with 1012 (service restart).
    await processes.stop(stoppedNode, "SIGTERM");
    await dave.page.waitForSelector('body[data-connection="reconnecting"]', { timeout: WAIT_MS });
    const missed = ["while you were away 1", "while you were away 2", "while you were away 3"];
    for (const text of missed) await bob.send(text);
    // A direct message too: kept for Dave until his page confirms it, whichever node he comes back on.
    await bob.openDirect("Dave");
    await bob.write("Dave, your node restarted");
    await bob.waitForStatus("Dave, your node restarted", "sent");

    proxy!.restore();
    await dave.page.waitForFunction(
      (node) => document.body.dataset.connection === "online" && document.querySelector('[data-testid="node-id"]')?.textContent !== node,
      stoppedNode,
      { timeout: WAIT_MS },
    );
    const panel = await dave.missedMessages();
    await dave.screenshot("05-missed-messages-on-another-node-phone");
    expect(panel.recovered).toBe(true);
    expect(panel.listed).toEqual([...missed.map((text) => `#general Bob: ${text}`), "@Bob Bob: Dave, your node restarted"]);
    // The session came back from Redis on another node: same socket id, each message once, in order.
    expect(await dave.socketId()).toBe(socketBefore);
    expect((await dave.messageTexts()).filter((text) => text.startsWith("while you were away"))).toEqual(missed);
    // The direct message is shown once, and Bob hears "delivered" from Dave's page.
    await bob.waitForStatus("Dave, your node restarted", "delivered");
    await dave.openDirect("Bob");
    expect(await dave.message("Dave, your node restarted").count()).toBe(1);
  });

  it("has no serious accessibility problems, and takes the README's screenshot", async () => {
    await ready();
    expect(await alice.accessibilityProblems()).toEqual([]);
    await dave.openDrawer("people");
    expect(await dave.accessibilityProblems()).toEqual([]);

    await alice.openRoom("general");
    // A notice left from the failovers above (if any) is dismissed: the picture shows the chat.
    const dismiss = alice.page.getByTestId("missed-messages").getByRole("button", { name: "Dismiss this notice" });
    if (await dismiss.isVisible()) await dismiss.click();
    await alice.page.setViewportSize({ width: 960, height: 540 });
    await alice.page.mouse.move(0, 0);
    const picture = process.env.UPDATE_README_SCREENSHOT === "1" ? README_SCREENSHOT : `${shots}/readme.png`;
    await alice.page.screenshot({ path: picture });
    await alice.page.setViewportSize({ width: 1100, height: 700 });
    expect(statSync(picture).size).toBeLessThan(100 * 1024);
  });
});
