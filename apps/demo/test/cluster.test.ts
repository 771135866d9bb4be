import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCluster } from "../src/cluster/cluster-plan.js";
import { ProcessGroup } from "../src/cluster/process-group.js";
import { launchBrowser, screenshotDir } from "./support/browser.js";
import { ChatPage } from "./support/chat-page.js";
import { demoBuild } from "./support/demo-build.js";
import { freePorts } from "./support/free-port.js";
import { setupOnce } from "./support/setup-once.js";
import { requireTools } from "./support/system-tools.js";
import { TcpProxy } from "./support/tcp-proxy.js";

/**
 * `pnpm demo:cluster` on free ports: three nodes sharing Redis behind HAProxy (round robin, no
 * stickiness), with real Chromium pages talking through the balancer. The steps build on each
 * other, in order: pages on different nodes, a direct message, a node killed mid-chat, then a
 * node stopped gracefully while a page is offline, whose missed messages come back on another node.
 */
describe("demo on a three-node cluster behind HAProxy", () => {
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
  let dave: ChatPage | undefined;

  const ready = setupOnce(async () => {
    requireTools(["chromium", "haproxy", "redis-server"]);
    const { serverEntry } = demoBuild();
    const [balancer, node1, node2, node3, redis] = await freePorts(5);
    try {
      const cluster = await startCluster(processes, {
        serverEntry,
        balancerBind: `127.0.0.1:${balancer}`,
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
  });
  // Started here so the time is spent under the hook's timeout; each test awaits ready() for the outcome.
  beforeAll(() => ready().catch(() => {}));

  afterAll(async () => {
    await Promise.all([alice, bob, carol, dave].map((page) => page?.close()));
    await browser?.close();
    await proxy?.close();
    await processes.stopAll();
  });

  it("lets two pages on different nodes chat with each other", async () => {
    await ready();
    alice = await ChatPage.open(browser!, url, "Alice", shots);
    bob = await ChatPage.open(browser!, url, "Bob", shots);
    await bob.moveOffNodes([await alice.nodeId()]);
    expect(await bob.nodeId()).not.toBe(await alice.nodeId());

    // Presence comes from fetchSockets across the cluster: each sees the other, though on another node.
    await alice.waitForUsers(["Alice", "Bob"]);
    await bob.waitForUsers(["Alice", "Bob"]);

    await alice.send("hello from Alice");
    await bob.waitForMessage("hello from Alice", "Alice");
    await bob.send("hi Alice, Bob here");
    await alice.waitForMessage("hi Alice, Bob here", "Bob");
    expect(await alice.message("hello from Alice").count()).toBe(1);
    await alice.screenshot("01-different-nodes");
    await bob.screenshot("01-different-nodes");
  });

  it("delivers a direct message to its recipient only", async () => {
    await ready();
    carol = await ChatPage.open(browser!, url, "Carol", shots);
    await carol.waitForUsers(["Alice", "Bob", "Carol"]);

    await alice.openDirectFromUserList("Bob");
    await alice.send("psst, only for Bob");
    await bob.openDirect("Alice");
    await bob.waitForMessage("psst, only for Bob", "Alice");

    // A later room message that Carol does receive proves her page was listening all along.
    await alice.openRoom("general");
    await alice.send("back in general");
    await carol.waitForMessage("back in general", "Alice");
    expect(await carol.visibleText()).not.toContain("psst");
    expect(await carol.page.getByTestId("dm-list").textContent()).not.toContain("Alice");
    await bob.screenshot("02-direct-message-received");
    await carol.screenshot("02-direct-message-not-seen");
  });

  it("reconnects a page whose node is killed, and the chat goes on", async () => {
    await ready();
    const deadNode = await alice.nodeId();
    const oldSocket = await alice.socketId();
    await alice.recordConnectionStates();

    await processes.stop(deadNode, "SIGKILL");

    // The page notices, reconnects through the balancer to a live node, and rejoins its rooms.
    await alice.page.waitForFunction(
      ([node, socket]) =>
        document.body.dataset.connection === "online" &&
        document.querySelector('[data-testid="node-id"]')?.textContent !== node &&
        document.querySelector('[data-testid="socket-id"]')?.textContent !== socket,
      [deadNode, oldSocket],
      { timeout: 20_000 },
    );
    expect(await alice.connectionStates()).toContain("reconnecting");
    expect(await alice.nodeId()).not.toBe(deadNode);
    // The missed-messages panel lights up after a reconnect; without recovery it says nothing could be restored.
    await alice.page.locator('[data-testid="missed-messages"][data-recovered="false"]').waitFor({ timeout: 5000 });
    await alice.screenshot("03-reconnected-to-another-node");

    await bob.openRoom("general");
    await alice.send("still here after my node died");
    await bob.waitForMessage("still here after my node died", "Alice");
    await bob.send("welcome back");
    await alice.waitForMessage("welcome back", "Bob");

    // The dead node's session drops out of every list; the new one takes its place, once.
    await bob.waitForUserSwap(await alice.socketId(), oldSocket);
    await bob.waitForUsers(["Alice", "Bob", "Carol"]);
    await alice.waitForUsers(["Alice", "Bob", "Carol"]);
    await alice.screenshot("04-chatting-after-failover");
    await bob.screenshot("04-chatting-after-failover");
  });

  it("lists what a page missed while its node restarted, after it resumed on another node", { timeout: 60_000 }, async () => {
    await ready();
    // Dave reaches the balancer through a relay standing in for his network, so the test decides
    // when he may come back: only after the messages he must miss have been sent.
    proxy = await TcpProxy.start(balancerPort);
    dave = await ChatPage.open(browser!, proxy.url, "Dave", shots);
    const senderNode = await bob.nodeId();
    await dave.moveOffNodes([senderNode]);
    await dave.openRoom("general");
    await bob.openRoom("general");
    await bob.waitForUserListed("Dave");
    const stoppedNode = await dave.nodeId();
    const socketBefore = await dave.socketId();

    // New connections fail from now on; the open one lives until its node closes it.
    proxy.down({ cut: false });
    // SIGTERM: io.close() saves the sessions in Redis, then closes with 1012 (service restart).
    await processes.stop(stoppedNode, "SIGTERM");
    await dave.page.waitForSelector('body[data-connection="reconnecting"]', { timeout: 15_000 });
    const missed = ["while you were away 1", "while you were away 2", "while you were away 3", "while you were away 4"];
    for (const text of missed) await bob.send(text);
    await dave.screenshot("05-node-stopped-offline");

    proxy.restore();
    await dave.page.waitForFunction(
      (node) => document.body.dataset.connection === "online" && document.querySelector('[data-testid="node-id"]')?.textContent !== node,
      stoppedNode,
      { timeout: 20_000 },
    );
    const panel = await dave.missedMessages();
    await dave.screenshot("06-missed-messages-on-another-node");
    expect(panel.recovered).toBe(true);
    expect(panel.listed).toEqual(missed.map((text) => `#general Bob: ${text}`));
    // The session came back from Redis on another node: same socket id, each message once, in order.
    expect(await dave.nodeId()).not.toBe(stoppedNode);
    expect(await dave.socketId()).toBe(socketBefore);
    expect((await dave.messageTexts()).filter((text) => text.startsWith("while you were away"))).toEqual(missed);

    await bob.send("good to have you back");
    await dave.waitForMessage("good to have you back", "Bob");
    await bob.waitForUserListed("Dave");
    await bob.screenshot("06-missed-messages-on-another-node");
  });
});
