import { afterAll, afterEach, describe, expect, it } from "vitest";
import { closeSharedBrowser, sharedBrowser } from "./support/browser.js";
import { ChatPage, WAIT_MS } from "./support/chat-page.js";
import { type RunningChat, SERVERS, startChat } from "./support/servers.js";

const BROWSER_TEST_MS = 60_000;

/**
 * The chat page in headless Chromium, with socket.io-client's default options: each page starts
 * on long-polling and upgrades to WebSocket. Two people, two browser contexts.
 */
describe.each(SERVERS)("chat in Chromium, on %s", (server) => {
  let chat: RunningChat | undefined;
  const pages: ChatPage[] = [];

  afterEach(async () => {
    await Promise.all(pages.splice(0).map((page) => page.close()));
    await chat?.close();
    chat = undefined;
  });
  afterAll(() => closeSharedBrowser());

  async function person(url: string, nickname: string): Promise<ChatPage> {
    const page = await ChatPage.open(await sharedBrowser(), url);
    pages.push(page);
    await page.connectAs(nickname);
    return page;
  }

  it(
    "shows the server's refusal of an empty nickname, then connects with a nickname",
    async () => {
      chat = await startChat(server);
      const page = await ChatPage.open(await sharedBrowser(), chat.url);
      pages.push(page);

      await page.submitNickname("");
      await expect.poll(() => page.refusal().textContent(), { timeout: WAIT_MS }).toMatch(/^nickname required: 1 to 24 letters/);
      await expect.poll(() => page.status().textContent(), { timeout: WAIT_MS }).toBe("refused");

      await page.connectAs("alice");
      expect(await page.refusal().isHidden()).toBe(true);
      // socket.io-client's defaults: long-polling first, then the upgrade. The refused attempt
      // before it may or may not have upgraded before the client closed it (a race on either
      // server), so only the connection that was accepted is checked.
      expect((await page.transportsSeen()).slice(-2)).toEqual(["polling", "websocket"]);
    },
    BROWSER_TEST_MS,
  );

  it(
    "delivers a message to the other person in the room, not back to its sender, until they leave",
    async () => {
      chat = await startChat(server);
      const alice = await person(chat.url, "alice");
      const bob = await person(chat.url, "bob");

      await alice.join("lobby");
      await bob.join("lobby");
      await alice.notice("lobby", "bob joined").waitFor();

      await alice.send("lobby", "hello bob");
      await bob.message("hello bob", { mine: false }).waitFor();

      // Bob types: the hint is volatile (may be dropped on a busy connection), so type until it shows.
      await expect
        .poll(
          async () => {
            await bob.typeWithoutSending("lobby", `typing at ${Date.now()}`);
            return alice.typingHint().textContent();
          },
          { timeout: WAIT_MS, interval: 1200 },
        )
        .toBe("bob is typing in #lobby…");

      await bob.send("lobby", "hi alice");
      await alice.message("hi alice", { mine: false }).waitFor();
      // By now any echo of alice's message would have reached her before bob's reply.
      expect(await alice.message("hello bob", { mine: false }).count()).toBe(0);
      expect(await alice.message("hello bob", { mine: true }).count()).toBe(1);
      expect(await bob.message("hi alice", { mine: false }).count()).toBe(0);

      await bob.leave("lobby");
      await alice.notice("lobby", "bob left").waitFor();
      expect(await bob.page.getByTestId("room").count()).toBe(0);
      await alice.send("lobby", "still there?");
      // Bob's own round trip after alice's ack: a stray delivery would have arrived first.
      await bob.join("garden");
      expect(await bob.message("still there?", { mine: false }).count()).toBe(0);
    },
    BROWSER_TEST_MS,
  );

  it(
    "runs a poll in the room and shows everyone the result",
    async () => {
      chat = await startChat(server);
      const alice = await person(chat.url, "alice");
      const bob = await person(chat.url, "bob");
      await alice.join("lobby");
      await bob.join("lobby");

      await alice.ask("lobby", "pizza tonight?");
      await bob.vote("pizza tonight?", "yes");
      await alice.vote("pizza tonight?", "no");

      for (const page of [alice, bob]) {
        await page.poll("pizza tonight?").and(page.page.locator('[data-state="closed"]')).waitFor();
        expect(await page.poll("pizza tonight?").getByTestId("poll-result").textContent()).toBe("yes 1 · no 1");
      }
    },
    BROWSER_TEST_MS,
  );

  it(
    "tells the room when someone closes the page",
    async () => {
      chat = await startChat(server);
      const alice = await person(chat.url, "alice");
      const bob = await person(chat.url, "bob");
      await alice.join("lobby");
      await bob.join("lobby");

      await bob.close();
      await alice.notice("lobby", "bob left (disconnected)").waitFor();
    },
    BROWSER_TEST_MS,
  );
});
