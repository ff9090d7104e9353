/**
 * The example app in headless Chromium: log in through the page, add notes (CSRF double submit), a
 * forged POST without the CSRF header, the live feed (a note added by another client appears; the feed
 * refreshes and resubscribes at expiry), silent refresh after the access token expires, logout, and a
 * password change that signs every session out. The steps share one page and run in order.
 */
import { mkdirSync } from 'node:fs';
import { createTRPCClient, httpLink } from '@trpc/client';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_LAUNCH, chromiumSkipReason, loadServer, unverifiedPayload } from '../helpers/example.js';

const skipReason = chromiumSkipReason();
const JWT_COOKIES = [
  'access_token_cookie',
  'refresh_token_cookie',
  'csrf_access_token',
  'csrf_refresh_token',
];

describe.skipIf(skipReason !== null)('example app in Chromium (cookie sessions)', () => {
  let server: { url: string; close(): Promise<void> } | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;
  let demo: { email: string; password: string };
  /** Paths of the tRPC requests the page made, e.g. `POST auth.refresh`, in order. */
  const calls: string[] = [];

  const cookie = async (name: string) => (await context.cookies()).find((c) => c.name === name);
  const alert = () => page.getByRole('alert');
  const noteItems = () => page.locator('#notes li');
  const liveIndicator = () => page.locator('#live');
  /** The calls after `from`, without the live feed's (re)subscriptions. */
  const callsSince = (from: number) => calls.slice(from).filter((call) => call !== 'GET notes.onAdded');

  beforeAll(async () => {
    const { DEMO_USER, startServer } = await loadServer();
    demo = { ...DEMO_USER };
    server = await startServer({
      port: 0,
      host: '127.0.0.1',
      accessExpires: 2,
      secretKey: 'x'.repeat(64),
      log: () => {},
    });
    browser = await chromium.launch(CHROMIUM_LAUNCH);
    context = await browser.newContext();
    page = await context.newPage();
    page.on('request', (request) => {
      const { pathname } = new URL(request.url());
      if (pathname.startsWith('/trpc/')) calls.push(`${request.method()} ${pathname.slice('/trpc/'.length)}`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function logIn(email: string, password: string): Promise<void> {
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Log in' }).click();
  }

  async function openPasswordPanel(): Promise<void> {
    await page.locator('details.panel').evaluate((details) => {
      (details as HTMLDetailsElement).open = true;
    });
  }

  async function addNote(text: string): Promise<void> {
    await page.getByLabel('New note').fill(text);
    await page.getByRole('button', { name: 'Add' }).click();
  }

  it('shows the login form, the server message for a wrong password, then the notes', async () => {
    await page.goto(`${server!.url}/`);
    await expect.poll(() => page.getByRole('heading', { name: 'Log in' }).isVisible()).toBe(true);
    expect(await alert().isVisible()).toBe(false);

    await logIn(demo.email, 'not-the-password');
    await expect.poll(() => alert().textContent()).toBe('Wrong email or password');

    await logIn(demo.email, demo.password);
    await page.locator('#whoami', { hasText: demo.email }).waitFor();
    await page.getByText('No notes yet.').waitFor();
    expect(await alert().isVisible()).toBe(false);
    await expect.poll(() => liveIndicator().textContent()).toBe('● Live');

    const access = await cookie('access_token_cookie');
    expect(access).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(await cookie('refresh_token_cookie')).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    expect(await cookie('csrf_access_token')).toMatchObject({ httpOnly: false, sameSite: 'Lax' });
    expect(unverifiedPayload(access!.value)).toMatchObject({ type: 'access', fresh: true, role: 'user' });
  });

  it('adds a note, sending the CSRF cookie in X-CSRF-TOKEN', async () => {
    const request = page.waitForRequest((r) => r.url().includes('/trpc/notes.add'));
    await addNote('Buy milk');
    const sent = await request;
    const csrf = await cookie('csrf_access_token');
    expect(csrf?.value).toMatch(/\S{16,}/);
    expect(sent.headers()['x-csrf-token']).toBe(csrf?.value);
    expect((await sent.response())?.status()).toBe(200);
    await expect.poll(() => noteItems().allTextContents()).toEqual([expect.stringMatching(/^Buy milk/)]);
    expect(await page.getByRole('status').textContent()).toBe('Note saved.');
  });

  it('refuses a cookie-authenticated POST without the CSRF header: 401 Missing CSRF token', async () => {
    const forged = await page.evaluate(async () => {
      const res = await fetch('/trpc/notes.add', {
        method: 'POST',
        credentials: 'include',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ json: { text: 'forged note' } }),
      });
      return { status: res.status, body: await res.json() };
    });
    expect(forged.status).toBe(401);
    expect(forged.body.error.json).toMatchObject({
      message: 'Missing CSRF token',
      data: { code: 'UNAUTHORIZED', httpStatus: 401, jwt: { code: 'CSRF_ERROR' } },
    });

    // Nothing was added (a GET is not CSRF-checked, so the page may read the list this way).
    const listed = await page.evaluate(async () => {
      const res = await fetch('/trpc/notes.list', { credentials: 'include' });
      return { status: res.status, body: await res.json() };
    });
    expect(listed.status).toBe(200);
    expect(listed.body.result.data.json.map((note: { text: string }) => note.text)).toEqual(['Buy milk']);
  });

  it('shows a note added by another client of the same user at once, without a reload', async () => {
    type AppRouter = import('../../example-app/router.js').AppRouter;
    let token = '';
    const other = createTRPCClient<AppRouter>({
      links: [
        httpLink({
          url: `${server!.url}/trpc`,
          transformer: superjson,
          headers: () => (token ? { authorization: `Bearer ${token}` } : {}),
        }),
      ],
    });
    token = (await other.auth.login.mutate(demo)).accessToken;
    await page.evaluate(() => {
      (window as unknown as { marker: string }).marker = 'same page';
    });
    const callsBefore = calls.length;

    await other.notes.add.mutate({ text: 'From another client' });
    await expect
      .poll(() => noteItems().allTextContents())
      .toEqual([expect.stringMatching(/^From another client/), expect.stringMatching(/^Buy milk/)]);
    // Not reloaded, nor listed again: the note came through the feed.
    expect(await page.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe('same page');
    expect(callsSince(callsBefore).filter((call) => call !== 'POST auth.refresh')).toEqual([]);
  });

  it('at expiry the feed ends with TOKEN_EXPIRED: the page refreshes and resubscribes', async () => {
    const before = await cookie('access_token_cookie');
    const callsBefore = calls.length;
    // The feed's refresh, then its resubscription, with no user action.
    await expect
      .poll(
        () => {
          const after = calls.slice(callsBefore);
          const at = after.indexOf('POST auth.refresh');
          return at === -1 ? null : after.slice(at, at + 2);
        },
        { timeout: 10_000 },
      )
      .toEqual(['POST auth.refresh', 'GET notes.onAdded']);
    await expect.poll(() => liveIndicator().textContent()).toBe('● Live');
    const after = await cookie('access_token_cookie');
    expect(after?.value).not.toBe(before?.value);
    expect(unverifiedPayload(after!.value)).toMatchObject({ type: 'access', fresh: false });
    expect(await alert().isVisible()).toBe(false);
  });

  it('refreshes silently once the access token has expired, then retries the call', async () => {
    // Block the feed, so that it refreshes no more: the next call meets the expired token.
    let blocked = 0;
    await page.route('**/trpc/notes.onAdded**', (route) => {
      blocked++;
      return route.abort();
    });
    await expect.poll(() => blocked, { timeout: 10_000 }).toBeGreaterThan(0);
    await expect.poll(() => liveIndicator().textContent()).not.toBe('● Live');

    const before = await cookie('access_token_cookie');
    const exp = unverifiedPayload(before!.value).exp as number;
    // Wait until the server must refuse the token (one whole second past `exp`).
    await page.waitForTimeout(Math.max(0, (exp + 1) * 1000 - Date.now()));

    const statuses: string[] = [];
    const onResponse = (res: { url(): string; status(): number }) => {
      const { pathname } = new URL(res.url());
      if (pathname.startsWith('/trpc/')) statuses.push(`${pathname.slice(6)} ${res.status()}`);
    };
    page.on('response', onResponse);
    const callsBefore = calls.length;
    await addNote('Call the plumber');
    await expect
      .poll(() => noteItems().allTextContents())
      .toEqual([
        expect.stringMatching(/^Call the plumber/),
        expect.stringMatching(/^From another client/),
        expect.stringMatching(/^Buy milk/),
      ]);
    page.off('response', onResponse);

    expect(callsSince(callsBefore)).toEqual([
      'POST notes.add',
      'POST auth.refresh',
      'POST notes.add',
      'GET notes.list',
    ]);
    expect(statuses.slice(0, 3)).toEqual(['notes.add 401', 'auth.refresh 200', 'notes.add 200']);
    expect(await alert().isVisible()).toBe(false);
    const after = await cookie('access_token_cookie');
    expect(after?.value).not.toBe(before?.value);
    expect(unverifiedPayload(after!.value)).toMatchObject({ type: 'access', fresh: false });

    // Unblocked, the feed comes back by itself.
    await page.unroute('**/trpc/notes.onAdded**');
    await expect.poll(() => liveIndicator().textContent(), { timeout: 15_000 }).toBe('● Live');
  });

  it("shows the server's message in the alert: a refreshed token is not fresh", async () => {
    await openPasswordPanel();
    await page.getByLabel('Current password').fill(demo.password);
    await page.getByLabel('New password').fill('a-new-password');
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect
      .poll(() => alert().textContent())
      .toBe('Fresh token required: log out and in again to do this.');

    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/example-app.png', fullPage: true });
  });

  it('logs out: the token cookies are cleared and the old access token is revoked', async () => {
    const access = (await cookie('access_token_cookie'))!.value;
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    expect(await page.getByRole('status').textContent()).toBe('You are logged out.');
    expect(await noteItems().count()).toBe(0);
    expect(await liveIndicator().isVisible()).toBe(false);

    const names = (await context.cookies()).map((c) => c.name);
    expect(names.filter((name) => JWT_COOKIES.includes(name))).toEqual([]);

    const replay = await page.request.get(`${server!.url}/trpc/me`, {
      headers: { Authorization: `Bearer ${access}` },
    });
    expect(replay.status()).toBe(401);
    expect((await replay.json()).error.json).toMatchObject({
      message: 'Token has been revoked',
      data: { jwt: { code: 'TOKEN_REVOKED' } },
    });
  });

  it('changes the password with a fresh login, which signs every session out', async () => {
    await logIn(demo.email, demo.password);
    await page.locator('#whoami', { hasText: demo.email }).waitFor();
    const oldRefresh = (await cookie('refresh_token_cookie'))!.value;

    await openPasswordPanel();
    await page.getByLabel('Current password').fill(demo.password);
    await page.getByLabel('New password').fill('a-new-password');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    expect(await page.getByRole('status').textContent()).toBe(
      'Password changed and every session signed out. Log in with the new password.',
    );
    const names = (await context.cookies()).map((c) => c.name);
    expect(names.filter((name) => JWT_COOKIES.includes(name))).toEqual([]);

    // The refresh token of that session is dead too (revokeAllForIdentity).
    const refreshed = await page.request.post(`${server!.url}/trpc/auth.refresh`, {
      headers: { Authorization: `Bearer ${oldRefresh}`, 'content-type': 'application/json' },
    });
    expect(refreshed.status()).toBe(401);
    expect((await refreshed.json()).error.json.data.jwt).toEqual({ code: 'TOKEN_REVOKED' });

    await logIn(demo.email, demo.password);
    await expect.poll(() => alert().textContent()).toBe('Wrong email or password');
    await logIn(demo.email, 'a-new-password');
    await page.locator('#whoami', { hasText: demo.email }).waitFor();
    await expect.poll(() => noteItems().count()).toBe(3);
    expect(await alert().isVisible()).toBe(false);
  });
});
