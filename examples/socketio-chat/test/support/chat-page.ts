import type { Browser, BrowserContext, Locator, Page } from "playwright-core";

/** Every wait in the browser tests ends: generous for a loaded machine, still bounded. */
export const WAIT_MS = 10_000;

/**
 * One person at the chat page, in a browser context of their own (own storage, own connection),
 * driven only through what the page shows.
 */
export class ChatPage {
  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
  ) {}

  static async open(browser: Browser, url: string): Promise<ChatPage> {
    const context = await browser.newContext();
    context.setDefaultTimeout(WAIT_MS);
    const page = await context.newPage();
    await page.goto(url);
    return new ChatPage(context, page);
  }

  close(): Promise<void> {
    return this.context.close();
  }

  status(): Locator {
    return this.page.getByTestId("status");
  }

  transport(): Locator {
    return this.page.getByTestId("transport");
  }

  refusal(): Locator {
    return this.page.getByTestId("refusal");
  }

  async submitNickname(nickname: string): Promise<void> {
    await this.page.getByTestId("nickname").fill(nickname);
    await this.page.getByTestId("connect").click();
  }

  /** Connects and waits until the page is online over WebSocket (after the long-polling start). */
  async connectAs(nickname: string): Promise<void> {
    await this.submitNickname(nickname);
    await this.page.locator('body[data-connection="online"]').waitFor();
    await this.transport().filter({ hasText: /^websocket$/ }).waitFor();
  }

  /** The transports the connection went through, in order. */
  async transportsSeen(): Promise<string[]> {
    return ((await this.page.locator("body").getAttribute("data-transports")) ?? "").split(" ");
  }

  async join(room: string): Promise<void> {
    await this.page.getByTestId("room-name").fill(room);
    await this.page.getByTestId("join").getByRole("button").click();
    await this.notice(room, /^you joined/).waitFor();
  }

  async leave(room: string): Promise<void> {
    await this.page.getByTestId(`leave-${room}`).click();
    await this.notice(room, "you left").waitFor();
  }

  /** Sends to `room` and waits for the server's ack to mark the message delivered. */
  async send(room: string, text: string): Promise<void> {
    await this.page.getByTestId("composer-room").selectOption(room);
    await this.page.getByTestId("message-input").fill(text);
    await this.page.getByTestId("send").click();
    await this.message(text, { mine: true }).and(this.page.locator('[data-status="delivered"]')).waitFor();
  }

  /** Types into the message box without sending: the room sees a typing hint. */
  async typeWithoutSending(room: string, text: string): Promise<void> {
    await this.page.getByTestId("composer-room").selectOption(room);
    await this.page.getByTestId("message-input").fill(text);
  }

  typingHint(): Locator {
    return this.page.getByTestId("typing");
  }

  /** Messages with this text in the log: `mine` tells the sender's own copy from one received. */
  message(text: string, { mine }: { mine: boolean }): Locator {
    return this.page
      .locator(`[data-testid="entry"][data-kind="message"][data-mine="${mine}"]`)
      .filter({ has: this.page.getByTestId("text").getByText(text, { exact: true }) });
  }

  notice(room: string, text: string | RegExp): Locator {
    return this.page
      .locator(`[data-testid="entry"][data-kind="notice"][data-room="${room}"]`)
      .filter({ has: this.page.getByTestId("text").getByText(text) });
  }

  async ask(room: string, question: string): Promise<void> {
    await this.page.getByTestId("composer-room").selectOption(room);
    await this.page.getByTestId("poll-question").fill(question);
    await this.page.getByTestId("ask").click();
  }

  poll(question: string): Locator {
    return this.page.getByTestId("poll").filter({ hasText: question });
  }

  async vote(question: string, choice: "yes" | "no"): Promise<void> {
    await this.poll(question).getByTestId(`vote-${choice}`).click();
  }
}
