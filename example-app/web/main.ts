/**
 * The notes page. Cookie mode: the browser keeps the tokens in HttpOnly cookies; `jwtHeaders({ csrf: true })`
 * copies the readable CSRF cookie into `X-CSRF-TOKEN` on mutations, and `refreshLink` calls `auth.refresh`
 * once when the access token has expired, then retries what failed. The live feed (`notes.onAdded`) is
 * an EventSource: same origin, so it sends the cookies, and a GET needs no CSRF header.
 */
import { createTRPCClient, httpBatchLink, httpLink, httpSubscriptionLink, splitLink } from '@trpc/client';
import superjson from 'superjson';
import {
  defaultIsRefreshOperation,
  getJwtErrorCode,
  jwtHeaders,
  refreshLink,
} from 'trpc-jwt-extended/client';
import type { AppRouter } from '../router.js';

const headers = jwtHeaders({ csrf: true });

const client = createTRPCClient<AppRouter>({
  links: [
    splitLink({
      // The live feed handles its own expiry (see `startLive`); the rest goes through refreshLink.
      condition: (op) => op.type === 'subscription',
      true: httpSubscriptionLink({ url: '/trpc', transformer: superjson }),
      false: [
        refreshLink({
          // The return type breaks the `client` self-reference for TypeScript.
          refresh: async (): Promise<void> => {
            await client.auth.refresh.mutate();
          },
        }),
        // A batch shares one set of headers: the refresh call (refresh CSRF cookie) goes on its own.
        splitLink({
          condition: defaultIsRefreshOperation,
          true: httpLink({ url: '/trpc', transformer: superjson, headers }),
          false: httpBatchLink({ url: '/trpc', transformer: superjson, headers }),
        }),
      ],
    }),
  ],
});

type User = Awaited<ReturnType<typeof client.me.query>>;
type Note = Awaited<ReturnType<typeof client.notes.list.query>>[number];

function element<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from the page`);
  return found as T;
}

const ui = {
  account: element('account'),
  whoami: element('whoami'),
  logout: element<HTMLButtonElement>('logout'),
  alert: element('alert'),
  status: element('status'),
  loginView: element('login-view'),
  loginForm: element<HTMLFormElement>('login-form'),
  notesView: element('notes-view'),
  noteForm: element<HTMLFormElement>('note-form'),
  notes: element<HTMLUListElement>('notes'),
  live: element('live'),
  noNotes: element('no-notes'),
  passwordForm: element<HTMLFormElement>('password-form'),
  passwordUsername: element<HTMLInputElement>('password-username'),
  adminPanel: element('admin-panel'),
  adminStats: element('admin-stats'),
};

/** Errors after which the session is gone: the page goes back to the login form. */
const SESSION_ENDED = new Set([
  'NO_AUTHORIZATION',
  'TOKEN_EXPIRED',
  'TOKEN_REVOKED',
  'INVALID_TOKEN',
  'WRONG_TOKEN_TYPE',
  'CSRF_ERROR',
  'USER_LOOKUP_FAILED',
]);

function say(kind: 'alert' | 'status', message: string | null): void {
  const target = ui[kind];
  target.textContent = message ?? '';
  target.hidden = !message;
}

function showLogin(): void {
  stopLive();
  ui.account.hidden = true;
  ui.notesView.hidden = true;
  ui.adminPanel.hidden = true;
  ui.notes.replaceChildren();
  ui.loginView.hidden = false;
  ui.loginForm.querySelector('input')?.focus();
}

/** Shows the server's message; on a session error, the login form too. */
function fail(error: unknown): void {
  const code = getJwtErrorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  say('status', null);
  if (code && SESSION_ENDED.has(code)) {
    showLogin();
    say('alert', `${message}. Please log in again.`);
  } else if (code === 'FRESH_TOKEN_REQUIRED') {
    say('alert', `${message}: log out and in again to do this.`);
  } else {
    say('alert', message);
  }
}

/** The notes on the page, newest first. */
let shown: Note[] = [];

function renderNotes(notes: Note[]): void {
  shown = notes;
  ui.notes.replaceChildren(
    ...notes.map((note) => {
      const item = document.createElement('li');
      const time = document.createElement('time');
      time.dateTime = note.createdAt.toISOString();
      time.textContent = note.createdAt.toLocaleString();
      item.append(note.text, time);
      return item;
    }),
  );
  ui.noNotes.hidden = notes.length > 0;
}

async function showNotes(user: User): Promise<void> {
  ui.whoami.textContent = user.email;
  ui.passwordUsername.value = user.email; // for password managers
  ui.account.hidden = false;
  ui.loginView.hidden = true;
  ui.notesView.hidden = false;
  const [notes, stats] = await Promise.all([
    client.notes.list.query(),
    user.role === 'admin' ? client.admin.stats.query() : null,
  ]);
  renderNotes(notes);
  startLive();
  ui.adminPanel.hidden = !stats;
  if (stats) ui.adminStats.textContent = `${stats.users} users, ${stats.notes} notes in total.`;
}

let live: { unsubscribe(): void } | null = null;

function showLive(state: 'live' | 'connecting' | 'offline'): void {
  ui.live.hidden = false;
  ui.live.dataset.state = state;
  ui.live.textContent = { live: '● Live', connecting: 'Connecting…', offline: 'Offline' }[state];
}

/**
 * Subscribes to the live feed: notes added from another tab or client appear at the top. The stream
 * ends with TOKEN_EXPIRED when the access token expires: then the page refreshes (the refresh cookie)
 * and resubscribes once, from the newest note it has, so nothing added meanwhile is missed.
 */
function startLive(retried = false): void {
  stopLive();
  showLive('connecting');
  const lastEventId = shown.length > 0 ? Math.max(...shown.map((note) => note.id)) : null;
  const subscription = client.notes.onAdded.subscribe(lastEventId === null ? undefined : { lastEventId }, {
    onStarted: () => {
      retried = false;
      showLive('live');
    },
    onConnectionStateChange: (state) => showLive(state.state === 'pending' ? 'live' : 'connecting'),
    onData: ({ data: note }) => {
      if (!shown.some((known) => known.id === note.id)) renderNotes([note, ...shown]);
    },
    onError: (error) => {
      if (live !== subscription) return;
      live = null;
      showLive('offline');
      if (getJwtErrorCode(error) !== 'TOKEN_EXPIRED' || retried) return;
      client.auth.refresh.mutate().then(() => {
        if (!ui.notesView.hidden) startLive(true);
      }, fail);
    },
    onComplete: () => {
      if (live === subscription) showLive('offline');
    },
  });
  live = subscription;
}

function stopLive(): void {
  live?.unsubscribe();
  live = null;
  ui.live.hidden = true;
}

/** Runs a form's action with its button disabled; errors go to the alert. */
function onSubmit(form: HTMLFormElement, action: (data: FormData) => Promise<void>): void {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const button = form.querySelector('button');
    if (button) button.disabled = true;
    say('alert', null);
    action(new FormData(form))
      .catch(fail)
      .finally(() => {
        if (button) button.disabled = false;
      });
  });
}

const field = (data: FormData, name: string) => String(data.get(name) ?? '');

onSubmit(ui.loginForm, async (data) => {
  // The tokens also come back in the body, for API clients; the page relies on the cookies only.
  const { user } = await client.auth.login.mutate({
    email: field(data, 'email'),
    password: field(data, 'password'),
  });
  ui.loginForm.reset();
  say('status', null);
  await showNotes(user);
});

onSubmit(ui.noteForm, async (data) => {
  await client.notes.add.mutate({ text: field(data, 'text') });
  ui.noteForm.reset();
  renderNotes(await client.notes.list.query());
  say('status', 'Note saved.');
});

onSubmit(ui.passwordForm, async (data) => {
  await client.account.changePassword.mutate({
    currentPassword: field(data, 'currentPassword'),
    newPassword: field(data, 'newPassword'),
  });
  ui.passwordForm.reset();
  showLogin();
  say('status', 'Password changed and every session signed out. Log in with the new password.');
});

ui.logout.addEventListener('click', () => {
  ui.logout.disabled = true;
  say('alert', null);
  client.auth.logout
    .mutate()
    .then(() => {
      showLogin();
      say('status', 'You are logged out.');
    }, fail)
    .finally(() => {
      ui.logout.disabled = false;
    });
});

// On load: an existing session (cookies) shows the notes; otherwise the login form, quietly.
client.me
  .query()
  .then(showNotes)
  .catch((error: unknown) => {
    if (getJwtErrorCode(error) === 'NO_AUTHORIZATION') showLogin();
    else fail(error);
  });
