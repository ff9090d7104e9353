/** An in-memory user store with scrypt-hashed passwords. */
import { randomBytes, randomUUID, scrypt, timingSafeEqual } from 'node:crypto';

export type Role = 'user' | 'admin';

/** A user as the app sees it (never the password hash). */
export interface User {
  id: string;
  email: string;
  role: Role;
}

interface StoredUser extends User {
  passwordHash: string;
  /** When the password last changed (ms since the epoch), 0 if never. */
  passwordChangedAt: number;
}

// scrypt cost parameters (node's defaults, OWASP's minimum): N=2^14, r=8, p=1, a 64-byte key.
const SCRYPT = { N: 16_384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;
const KEY_LENGTH = 64;

function derive(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, SCRYPT, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

/** `scrypt$<salt>$<key>`, base64url. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  return `scrypt$${salt.toString('base64url')}$${(await derive(password, salt)).toString('base64url')}`;
}

/** Compares in constant time; false for a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await derive(password, Buffer.from(salt, 'base64url'));
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

const normalizeEmail = (email: string) => email.trim().toLowerCase();
const publicUser = ({ id, email, role }: StoredUser): User => ({ id, email, role });

export type UserStore = ReturnType<typeof createUserStore>;

export function createUserStore() {
  const byId = new Map<string, StoredUser>();
  const byEmail = new Map<string, StoredUser>();
  // Unknown emails are checked against this hash, so they take as long as a wrong password.
  let dummyHash: Promise<string> | undefined;

  return {
    get size() {
      return byId.size;
    },

    async add(email: string, password: string, role: Role = 'user'): Promise<User> {
      const key = normalizeEmail(email);
      if (byEmail.has(key)) throw new Error(`user ${key} exists already`);
      const user: StoredUser = {
        id: randomUUID(),
        email: key,
        role,
        passwordHash: await hashPassword(password),
        passwordChangedAt: 0,
      };
      byId.set(user.id, user);
      byEmail.set(key, user);
      return publicUser(user);
    },

    get(id: string): User | null {
      const user = byId.get(id);
      return user ? publicUser(user) : null;
    },

    /** The user with these credentials, or null (the same work is done either way). */
    async authenticate(email: string, password: string): Promise<User | null> {
      const user = byEmail.get(normalizeEmail(email));
      dummyHash ??= hashPassword(randomUUID());
      const ok = await verifyPassword(password, user?.passwordHash ?? (await dummyHash));
      return ok && user ? publicUser(user) : null;
    },

    async checkPassword(id: string, password: string): Promise<boolean> {
      const user = byId.get(id);
      return user ? verifyPassword(password, user.passwordHash) : false;
    },

    /** Sets a new password; returns the time of the change (ms). */
    async setPassword(id: string, password: string): Promise<number> {
      const user = byId.get(id);
      if (!user) throw new Error('no such user');
      user.passwordHash = await hashPassword(password);
      user.passwordChangedAt = Date.now();
      return user.passwordChangedAt;
    },

    passwordChangedAt(id: string): number {
      return byId.get(id)?.passwordChangedAt ?? 0;
    },
  };
}
