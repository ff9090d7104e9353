/**
 * Many tabs, one session (issue 15 item 1), in headless Chromium: two pages of one browser context share
 * `localStorage`, Web Locks and BroadcastChannel, and one session whose refresh token rotates with reuse
 * detection (a refresh token presented twice revokes the whole family). Both pages' access token expires;
 * both call at the same moment; `refreshLink` must send exactly one refresh request in total, both calls
 * succeed, and the family stays alive.
 */
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_LAUNCH, chromiumSkipReason, unverifiedPayload } from '../helpers/example.js';
import { startTabsApp } from '../helpers/tabs-app.js';

const skipReason = chromiumSkipReason();

interface Outcome {
  ok: boolean;
  result?: unknown;
  error?: string;
}
/** What the page exposes as `window.app` (test/e2e/fixtures/tabs-page.ts). */
interface PageApp {
  login(): Promise<void>;
  me(): Promise<Outcome>;
  refreshNow(): Promise<Outcome>;
  accessToken(): string | null;
  refreshedHere(): number;
}
const appOf = (page: Page) => ({
  login: () => page.evaluate(() => (window as unknown as { app: PageApp }).app.login()),
  me: () => page.evaluate(() => (window as unknown as { app: PageApp }).app.me()),
  refreshNow: () => page.evaluate(() => (window as unknown as { app: PageApp }).app.refreshNow()),
  accessToken: () => page.evaluate(() => (window as unknown as { app: PageApp }).app.accessToken()),
  refreshedHere: () => page.evaluate(() => (window as unknown as { app: PageApp }).app.refreshedHere()),
});

describe.skipIf(skipReason !== null)('many tabs, one session (Chromium)', () => {
  let server: Awaited<ReturnType<typeof startTabsApp>> | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let pages: Page[];

  beforeAll(async () => {
    server = await startTabsApp({ accessSeconds: 2, refreshHoldMs: 300 });
    browser = await chromium.launch(CHROMIUM_LAUNCH);
    context = await browser.newContext();
    pages = [await context.newPage(), await context.newPage()];
    for (const page of pages) {
      await page.goto(`${server.url}/`);
      await page.waitForFunction(() => 'app' in window);
    }
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('both tabs expire at once: one refresh request in total, both calls succeed, the session lives on', async () => {
    const [first, second] = pages.map(appOf) as [ReturnType<typeof appOf>, ReturnType<typeof appOf>];
    await first.login();
    // localStorage reaches the other page shortly after (Chromium syncs it between renderers).
    await expect.poll(() => second.accessToken()).toBeTruthy();
    const token = await second.accessToken();
    expect(await second.me()).toEqual({ ok: true, result: { identity: 'alice' } });

    // Wait until the server refuses the shared access token (one whole second past `exp`).
    const exp = unverifiedPayload(token!).exp as number;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, (exp + 1) * 1000 - Date.now())));
    server!.holdMe(2);
    const results = await Promise.all([first.me(), second.me()]);

    expect(results).toEqual([
      { ok: true, result: { identity: 'alice' } },
      { ok: true, result: { identity: 'alice' } },
    ]);
    expect(server!.state.refreshes).toEqual(['ok']);
    expect((await first.refreshedHere()) + (await second.refreshedHere())).toBe(1);
    for (const tab of [first, second]) await expect.poll(() => tab.accessToken()).not.toBe(token);

    // The family was not revoked: later calls and a later refresh work, in either tab.
    expect(await first.me()).toEqual({ ok: true, result: { identity: 'alice' } });
    expect(await second.refreshNow()).toEqual({ ok: true, result: 'refreshed' });
    expect(await first.me()).toEqual({ ok: true, result: { identity: 'alice' } });
    expect(server!.state.refreshes).toEqual(['ok', 'ok']);
  });
});
