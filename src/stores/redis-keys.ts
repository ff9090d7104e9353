/**
 * Key names of the Redis blocklist. On a single Redis they are the store kit's, unchanged since
 * 0.1.0: `<prefix><kind>:<name>`. On a Redis Cluster every key carries a hash tag, so that the keys
 * one script or one `MGET` touches share a slot: `<prefix>{<name>}:<kind>`, where a family's
 * revocation and its rotation record share the family's tag, and every other key is tagged by its
 * own name (a jti, an identity). Braces and `%` in a name are escaped (`%7B`, `%7D`, `%25`), so the
 * tag always ends where the name does and two different names never make the same key.
 */
import { JwtConfigError } from '../errors.js';
import { keyNames } from './kit.js';

export interface RedisKeys {
  jti(jti: string): string;
  fam(family: string): string;
  id(identity: string): string;
  rot(family: string): string;
  used(jti: string): string;
  /** Groups key indexes by slot tag: each group can go in one command (one group on a single Redis). */
  groups(keys: readonly string[]): number[][];
}

const escapeTag = (name: string) =>
  name.replace(/[%{}]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The key names for `prefix`; `cluster` adds hash tags (a prefix with braces is then refused). */
export function redisKeys(prefix: string, cluster: boolean): RedisKeys {
  if (!cluster) {
    const names = keyNames(prefix);
    return { ...names, groups: (keys) => [keys.map((_, i) => i)] };
  }
  if (/[{}]/.test(prefix)) {
    throw new JwtConfigError(
      'prefix',
      'must not contain { or } on a Redis Cluster: the store adds hash tags',
    );
  }
  const tagged = (kind: string) => (name: string) => `${prefix}{${escapeTag(name)}}:${kind}`;
  return {
    jti: tagged('jti'),
    fam: tagged('fam'),
    id: tagged('id'),
    rot: tagged('rot'),
    used: tagged('used'),
    groups(keys) {
      const bySlot = new Map<string, number[]>();
      keys.forEach((key, i) => {
        const tag = key.slice(prefix.length, key.indexOf('}') + 1);
        const group = bySlot.get(tag);
        if (group === undefined) bySlot.set(tag, [i]);
        else group.push(i);
      });
      return [...bySlot.values()];
    },
  };
}
