import { afterAll, afterEach, describe, expect, it } from "vitest";
import { closeSharedBrowser, sharedBrowser } from "./support/browser.js";
import { type RunningApp, ALICE, SERVERS, startApp } from "./support/servers.js";
import { SessionPage, WAIT_MS } from "./support/session-page.js";

const BROWSER_TEST_MS = 60_000;

/**
 * The page in headless Chromium with socket.io-client's default options (long-polling, then the
 * upgrade to WebSocket), the session cookie travelling as a browser sends it.
 */
describe.each(SERVERS)("session app in Chromium, on %s", (server) => {
  let app: RunningApp | undefined;
  const pages: SessionPage[] = [];

  afterEach(async () => {
    await Promise.all(pages.splice(0).map((page) => page.close()));
    await app?.close();
    app = undefined;
  });
  afterAll(() => closeSharedBrowser());

  async function visit(url: string): Promise<SessionPage> {
    const page = await SessionPage.open(await sharedBrowser(), url);
    pages.push(page);
    return page;
  }

  const refusal = "The server refused the connection: unauthorized (sign in first)";

  it(
    "shows the refusal, then after signing in greets the user by name and counts the page views",
    async () => {
      app = await startApp(server);
      const page = await visit(app.url);
      expect(await page.visibleText("refusal")).toBe(refusal);
      expect(await page.byTestId("status").textContent()).toBe("refused");

      await page.signIn(ALICE.username, ALICE.password);
      expect(await page.visibleText("greeting")).toBe(`Hello, ${ALICE.displayName}!`);
      expect(await page.visibleText("views")).toBe("1");
      await page.waitUpgraded();
      expect(await page.transportsSeen()).toEqual(["polling", "websocket"]);

      // After the upgrade the server sees the socket on WebSocket too.
      await page.byTestId("refresh").click();
      await page.byTestId("server-transport").filter({ hasText: /^websocket$/ }).waitFor();

      await page.page.reload();
      expect(await page.visibleText("views")).toBe("2");
      expect(await page.visibleText("greeting")).toBe(`Hello, ${ALICE.displayName}!`);
    },
    BROWSER_TEST_MS,
  );

  it(
    "says so when the password is wrong, and refuses the socket again after signing out",
    async () => {
      app = await startApp(server);
      const page = await visit(app.url);

      await page.signIn(ALICE.username, "rabbit hole");
      await page.byTestId("login-failed").waitFor({ state: "visible" });
      expect(await page.visibleText("refusal")).toBe(refusal);

      await page.signIn(ALICE.username, ALICE.password);
      await page.waitUpgraded();
      expect(await page.visibleText("greeting")).toBe(`Hello, ${ALICE.displayName}!`);

      await page.signOut();
      expect(await page.visibleText("refusal")).toBe(refusal);
      await expect.poll(() => page.byTestId("greeting").isHidden(), { timeout: WAIT_MS }).toBe(true);
    },
    BROWSER_TEST_MS,
  );
});
