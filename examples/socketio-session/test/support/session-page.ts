import type { Browser, BrowserContext, Locator, Page } from "playwright-core";

/** Every wait in the browser tests ends: generous for a loaded machine, still bounded. */
export const WAIT_MS = 10_000;

/** A visitor with a browser context (and so a cookie jar) of their own, using the page only. */
export class SessionPage {
  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
  ) {}

  static async open(browser: Browser, url: string): Promise<SessionPage> {
    const context = await browser.newContext();
    context.setDefaultTimeout(WAIT_MS);
    context.setDefaultNavigationTimeout(WAIT_MS);
    const page = await context.newPage();
    await page.goto(url);
    return new SessionPage(context, page);
  }

  close(): Promise<void> {
    return this.context.close();
  }

  byTestId(id: string): Locator {
    return this.page.getByTestId(id);
  }

  /** Fills the login form and submits it: a real form POST, then the redirect back to the page. */
  async signIn(username: string, password: string): Promise<void> {
    await this.byTestId("username").fill(username);
    await this.byTestId("password").fill(password);
    await Promise.all([this.page.waitForEvent("load"), this.byTestId("login").click()]);
  }

  async signOut(): Promise<void> {
    await Promise.all([this.page.waitForEvent("load"), this.byTestId("logout").click()]);
  }

  /** Online, and upgraded from long-polling to WebSocket. */
  async waitUpgraded(): Promise<void> {
    await this.page.locator('body[data-connection="online"]').waitFor();
    await this.byTestId("transport").filter({ hasText: /^websocket$/ }).waitFor();
  }

  async transportsSeen(): Promise<string[]> {
    return ((await this.page.locator("body").getAttribute("data-transports")) ?? "").split(" ");
  }

  /** The text of a visible element, once it is visible. */
  async visibleText(id: string): Promise<string> {
    const element = this.byTestId(id);
    await element.waitFor({ state: "visible" });
    return (await element.textContent()) ?? "";
  }
}
