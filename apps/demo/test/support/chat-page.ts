import { join } from "node:path";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";

/** Generous: the machine is shared, and a reconnect includes a randomized backoff. */
const WAIT_MS = 15_000;

/**
 * One person in the chat, driven through the UI only: what a user sees is what the tests check.
 * Each person gets a browser context of their own (separate storage, separate connection).
 */
export class ChatPage {
  private constructor(
    readonly nickname: string,
    readonly context: BrowserContext,
    readonly page: Page,
    private readonly screenshots: string,
  ) {}

  static async open(browser: Browser, url: string, nickname: string, screenshots: string): Promise<ChatPage> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 700 } });
    const page = await context.newPage();
    const chat = new ChatPage(nickname, context, page, screenshots);
    await page.goto(url);
    await chat.submitProfile(nickname);
    await chat.waitOnline();
    return chat;
  }

  async submitProfile(nickname: string): Promise<void> {
    const dialog = this.page.getByTestId("profile-dialog");
    await dialog.waitFor({ state: "visible", timeout: WAIT_MS });
    await this.page.getByTestId("nickname-input").fill(nickname);
    await this.page.getByTestId("profile-submit").click();
  }

  async waitOnline(): Promise<void> {
    await this.page.waitForSelector('body[data-connection="online"]', { timeout: WAIT_MS });
    await this.page.getByTestId("node-id").filter({ hasNotText: "…" }).waitFor({ timeout: WAIT_MS });
  }

  /** The node serving this page, as the page shows it. */
  async nodeId(): Promise<string> {
    return (await this.page.getByTestId("node-id").textContent()) ?? "";
  }

  async socketId(): Promise<string> {
    return (await this.page.getByTestId("socket-id").textContent()) ?? "";
  }

  /** Reloads until the page lands on a node not in `avoid` (round robin gets there in a few tries). */
  async moveOffNodes(avoid: string[], tries = 8): Promise<void> {
    for (let i = 0; i < tries && avoid.includes(await this.nodeId()); i++) {
      await this.page.reload();
      await this.waitOnline();
    }
    if (avoid.includes(await this.nodeId())) throw new Error(`${this.nickname} stayed on ${await this.nodeId()}`);
  }

  async openRoom(room: string): Promise<void> {
    await this.page.getByTestId(`room-${room}`).click();
    await this.page.getByTestId("conversation-title").filter({ hasText: `# ${room}` }).waitFor({ timeout: WAIT_MS });
  }

  async createRoom(room: string): Promise<void> {
    await this.page.getByTestId("create-room-input").fill(room);
    await this.page.getByTestId("create-room").getByRole("button").click();
    await this.page.getByTestId("conversation-title").filter({ hasText: `# ${room}` }).waitFor({ timeout: WAIT_MS });
  }

  /** Sends in the open conversation and waits for the server's ack to mark it delivered. */
  async send(text: string): Promise<void> {
    await this.page.getByTestId("message-input").fill(text);
    await this.page.getByTestId("send").click();
    await this.message(text).and(this.page.locator('[data-status="delivered"]')).waitFor({ timeout: WAIT_MS });
  }

  message(text: string): Locator {
    return this.page.getByTestId("message").filter({ has: this.page.getByTestId("message-text").getByText(text, { exact: true }) });
  }

  async waitForMessage(text: string, from: string): Promise<void> {
    await this.message(text).and(this.page.locator(`[data-from="${from}"]`)).waitFor({ timeout: WAIT_MS });
  }

  /** Waits until the open room's user list is exactly `nicknames` (any order). */
  async waitForUsers(nicknames: string[]): Promise<void> {
    const expected = [...nicknames].sort().join(",");
    await this.page.waitForFunction(
      (want) =>
        [...document.querySelectorAll<HTMLElement>('[data-testid="user"]')]
          .map((li) => li.dataset.nickname)
          .sort()
          .join(",") === want,
      expected,
      { timeout: WAIT_MS },
    );
  }

  /** Waits until the open room's user list shows `nickname` (others may be there too). */
  async waitForUserListed(nickname: string): Promise<void> {
    await this.page.locator(`[data-testid="user"][data-nickname="${nickname}"]`).first().waitFor({ timeout: WAIT_MS });
  }

  /** Waits until the open room's user list holds socket `present` and not socket `gone`. */
  async waitForUserSwap(present: string, gone: string): Promise<void> {
    await this.page.waitForFunction(
      ([present, gone]) => {
        const ids = [...document.querySelectorAll<HTMLElement>('[data-testid="user"]')].map((li) => li.dataset.userId);
        return ids.includes(present) && !ids.includes(gone);
      },
      [present, gone],
      { timeout: WAIT_MS },
    );
  }

  async openDirectFromUserList(nickname: string): Promise<void> {
    await this.page.locator(`[data-testid="user"][data-nickname="${nickname}"] button`).click();
    await this.page.getByTestId("conversation-title").filter({ hasText: `@ ${nickname}` }).waitFor({ timeout: WAIT_MS });
  }

  async openDirect(nickname: string): Promise<void> {
    await this.page.getByTestId(`dm-${nickname}`).click();
    await this.page.getByTestId("conversation-title").filter({ hasText: `@ ${nickname}` }).waitFor({ timeout: WAIT_MS });
  }

  /** Texts of the open conversation's messages, top to bottom. */
  async messageTexts(): Promise<string[]> {
    return this.page.getByTestId("message-text").allTextContents();
  }

  /**
   * Waits for the missed-messages panel a reconnect opens and reads it: whether the session was
   * recovered, and each listed message as "<where> <nickname>: <text>", in the panel's order.
   */
  async missedMessages(): Promise<{ recovered: boolean; listed: string[] }> {
    const panel = this.page.locator('[data-testid="missed-messages"][data-recovered]:not([hidden])');
    await panel.waitFor({ timeout: WAIT_MS });
    return panel.evaluate((root) => ({
      recovered: root.dataset.recovered === "true",
      listed: [...root.querySelectorAll('[data-testid="missed-list"] > li')].map((li) => {
        const where = li.querySelector(".hint")?.textContent?.split(" · ")[0] ?? "?";
        return `${where} ${li.lastChild?.textContent ?? ""}`;
      }),
    }));
  }

  /** Everything the page renders as text: for "this never appeared anywhere" checks. */
  async visibleText(): Promise<string> {
    return this.page.evaluate(() => document.body.innerText);
  }

  /** Starts recording every connection state the banner shows, to check transitions too brief to catch live. */
  async recordConnectionStates(): Promise<void> {
    await this.page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { connectionStates: string[] }).connectionStates = seen;
      new MutationObserver(() => {
        const state = document.body.dataset.connection ?? "";
        if (seen[seen.length - 1] !== state) seen.push(state);
      }).observe(document.body, { attributes: true, attributeFilter: ["data-connection"] });
    });
  }

  async connectionStates(): Promise<string[]> {
    return this.page.evaluate(() => (window as unknown as { connectionStates?: string[] }).connectionStates ?? []);
  }

  async screenshot(step: string): Promise<void> {
    const name = `${step}-${this.nickname.toLowerCase()}.png`;
    await this.page.screenshot({ path: join(this.screenshots, name) });
  }

  async close(): Promise<void> {
    await this.context.close().catch(() => {});
  }
}
