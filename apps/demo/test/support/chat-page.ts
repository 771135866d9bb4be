import { join } from "node:path";
import AxeBuilder from "@axe-core/playwright";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";

/** Generous: the machine is shared, and a reconnect includes a randomized backoff. */
export const WAIT_MS = 20_000;

/** The two screens every feature must work on. */
export const DESKTOP = { width: 1100, height: 700 } as const;
export const PHONE = { width: 390, height: 844 } as const;

export interface OpenOptions {
  /** 390×844 with touch, as a phone; default a desktop window. */
  phone?: boolean;
}

/**
 * One person in the chat, driven through the UI only: what a user sees is what the tests check.
 * Each person gets a browser context of their own (separate storage, separate connection). On a
 * phone the helpers open the rooms or people drawer first, as a person has to.
 */
export class ChatPage {
  private constructor(
    readonly nickname: string,
    readonly context: BrowserContext,
    readonly page: Page,
    private readonly screenshots: string,
    readonly phone: boolean,
  ) {}

  static async open(browser: Browser, url: string, nickname: string, screenshots: string, options: OpenOptions = {}): Promise<ChatPage> {
    const phone = options.phone === true;
    const context = await browser.newContext(phone ? { viewport: PHONE, hasTouch: true, isMobile: true, deviceScaleFactor: 1 } : { viewport: DESKTOP });
    const page = await context.newPage();
    const chat = new ChatPage(nickname, context, page, screenshots, phone);
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

  /** The banner's words. */
  async bannerText(): Promise<string> {
    return (await this.page.getByTestId("connection-text").textContent()) ?? "";
  }

  /** Reloads until the page lands on a node not in `avoid` (round robin gets there in a few tries). */
  async moveOffNodes(avoid: string[], tries = 8): Promise<void> {
    for (let i = 0; i < tries && avoid.includes(await this.nodeId()); i++) {
      await this.page.reload();
      await this.waitOnline();
    }
    if (avoid.includes(await this.nodeId())) throw new Error(`${this.nickname} stayed on ${await this.nodeId()}`);
  }

  /** On a phone, opens the rooms (or people) drawer; on a desktop both are always there. */
  async openDrawer(which: "rooms" | "people"): Promise<void> {
    if (!this.phone) return;
    const panel = this.page.getByTestId(which === "rooms" ? "sidebar" : "people");
    if ((await panel.getAttribute("data-open")) !== "true") await this.page.getByTestId(`${which}-toggle`).click();
    await this.page.locator(`[data-testid="${which === "rooms" ? "sidebar" : "people"}"][data-open="true"]`).waitFor({ timeout: WAIT_MS });
  }

  async openRoom(room: string): Promise<void> {
    await this.openDrawer("rooms");
    await this.page.getByTestId(`room-${room}`).click();
    await this.page.getByTestId("conversation-title").filter({ hasText: `# ${room}` }).waitFor({ timeout: WAIT_MS });
  }

  async createRoom(room: string): Promise<void> {
    await this.openDrawer("rooms");
    await this.page.getByTestId("create-room-input").fill(room);
    await this.page.getByTestId("create-room").getByRole("button", { name: "Create" }).click();
    await this.page.getByTestId("conversation-title").filter({ hasText: `# ${room}` }).waitFor({ timeout: WAIT_MS });
  }

  /** Writes and sends in the open conversation, without waiting for the outcome. */
  async write(text: string): Promise<void> {
    await this.page.getByTestId("message-input").fill(text);
    await this.page.getByTestId("message-input").press("Enter");
  }

  /** Sends in the open conversation and waits for it to be marked delivered. */
  async send(text: string): Promise<void> {
    await this.write(text);
    await this.waitForStatus(text, "delivered");
  }

  async waitForStatus(text: string, status: string): Promise<void> {
    await this.message(text).and(this.page.locator(`[data-status="${status}"]`)).waitFor({ timeout: WAIT_MS });
  }

  async statusText(text: string): Promise<string> {
    return (await this.message(text).getByTestId("message-status").textContent()) ?? "";
  }

  message(text: string): Locator {
    return this.page.getByTestId("message").filter({ has: this.page.getByTestId("message-text").getByText(text, { exact: true }) });
  }

  async waitForMessage(text: string, from: string): Promise<void> {
    await this.message(text).and(this.page.locator(`[data-from="${from}"]`)).waitFor({ timeout: WAIT_MS });
  }

  /** Waits until the open room's people list is exactly `nicknames` (any order), each in `state` when given. */
  async waitForUsers(nicknames: string[], state?: "online" | "away"): Promise<void> {
    const expected = [...nicknames].sort().join(",");
    await this.page.waitForFunction(
      ([want, state]) =>
        [...document.querySelectorAll<HTMLElement>('[data-testid="user"]')]
          .filter((li) => !state || li.dataset.presence === state)
          .map((li) => li.dataset.nickname)
          .sort()
          .join(",") === want,
      [expected, state ?? ""] as const,
      { timeout: WAIT_MS },
    );
  }

  /** Waits until the open room's people list shows `nickname` (in `state`, when given). */
  async waitForUserListed(nickname: string, state?: "online" | "away"): Promise<void> {
    const presence = state ? `[data-presence="${state}"]` : "";
    await this.page.locator(`[data-testid="user"][data-nickname="${nickname}"]${presence}`).first().waitFor({ state: "attached", timeout: WAIT_MS });
  }

  async openDirectFromUserList(nickname: string): Promise<void> {
    await this.openDrawer("people");
    await this.page.locator(`[data-testid="user"][data-nickname="${nickname}"] button`).click();
    await this.page.getByTestId("conversation-title").filter({ hasText: `@ ${nickname}` }).waitFor({ timeout: WAIT_MS });
  }

  async openDirect(nickname: string): Promise<void> {
    await this.openDrawer("rooms");
    await this.page.getByTestId(`dm-${nickname}`).click();
    await this.page.getByTestId("conversation-title").filter({ hasText: `@ ${nickname}` }).waitFor({ timeout: WAIT_MS });
  }

  /** Texts of the open conversation's messages, top to bottom. */
  async messageTexts(): Promise<string[]> {
    return this.page.getByTestId("message-text").allTextContents();
  }

  /**
   * Waits for the missed-messages panel and reads it: whether the session was recovered, each
   * listed message as "<where> <nickname>: <text>", and its words.
   */
  async missedMessages(): Promise<{ recovered: boolean; listed: string[]; text: string }> {
    const panel = this.page.locator('[data-testid="missed-messages"][data-recovered]:not([hidden])');
    await panel.waitFor({ timeout: WAIT_MS });
    return panel.evaluate((root) => ({
      recovered: root.dataset.recovered === "true",
      listed: [...root.querySelectorAll('[data-testid="missed-list"] > li')].map((li) => {
        const where = li.querySelector(".hint")?.textContent?.split(" · ")[0] ?? "?";
        return `${where} ${li.lastChild?.textContent ?? ""}`;
      }),
      text: root.textContent ?? "",
    }));
  }

  async missedPanelVisible(): Promise<boolean> {
    return this.page.getByTestId("missed-messages").isVisible();
  }

  /** Everything the page renders as text: for "this never appeared anywhere" checks. */
  async visibleText(): Promise<string> {
    return this.page.evaluate(() => document.body.innerText);
  }

  /** Starts recording every connection state and banner text, to check transitions too brief to catch live. */
  async recordConnectionStates(): Promise<void> {
    await this.page.evaluate(() => {
      const seen: string[] = [];
      const texts: string[] = [];
      Object.assign(window, { connectionStates: seen, bannerTexts: texts });
      new MutationObserver(() => {
        const state = document.body.dataset.connection ?? "";
        if (seen[seen.length - 1] !== state) seen.push(state);
        const text = document.querySelector('[data-testid="connection-text"]')?.textContent ?? "";
        if (texts[texts.length - 1] !== text) texts.push(text);
      }).observe(document.body, { attributes: true, childList: true, subtree: true, characterData: true });
    });
  }

  async connectionStates(): Promise<{ states: string[]; texts: string[] }> {
    return this.page.evaluate(() => {
      const w = window as unknown as { connectionStates?: string[]; bannerTexts?: string[] };
      return { states: w.connectionStates ?? [], texts: w.bannerTexts ?? [] };
    });
  }

  /** Waits until the banner has said `text` since recordConnectionStates() (it may have moved on since). */
  async waitForBannerSaid(text: string): Promise<void> {
    await this.page.waitForFunction((want) => ((window as unknown as { bannerTexts?: string[] }).bannerTexts ?? []).includes(want), text, { timeout: WAIT_MS });
  }

  /** axe-core on the page as it is now: the serious and critical violations, as "rule: target" lines. */
  async accessibilityProblems(): Promise<string[]> {
    const results = await new AxeBuilder({ page: this.page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]).analyze();
    return results.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .flatMap((v) => v.nodes.map((node) => `${v.id} (${v.impact}): ${node.target.join(" ")} — ${v.help}`));
  }

  async screenshot(step: string): Promise<void> {
    const name = `${step}-${this.nickname.toLowerCase()}.png`;
    await this.page.screenshot({ path: join(this.screenshots, name) });
  }

  async close(): Promise<void> {
    await this.context.close().catch(() => {});
  }
}
