/**
 * The `claims` schema, checked on the way in (verification) and on the way out (creation): one
 * description of what failed, naming each claim and what the schema expected, never the value.
 */
import type { StandardSchemaV1 } from '../internal/standard-schema.js';

function pathOf(issue: StandardSchemaV1.Issue): readonly PropertyKey[] {
  return (issue.path ?? []).map((p) => (typeof p === 'object' ? p.key : p));
}

/** The value at `path` in `payload`, when it is a scalar that a message could quote. */
function scalarAt(payload: unknown, path: readonly PropertyKey[]): string | undefined {
  let value: unknown = payload;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : undefined;
}

/**
 * `role (Invalid option: expected one of "admin"|"member"), org.id (…)`: each failing claim's path
 * (`(root)` without one) and the schema's message, with the claim's own value cut out of the
 * message should a custom message quote it.
 */
export function describeClaimIssues(issues: readonly StandardSchemaV1.Issue[], payload: unknown): string {
  const seen = new Map<string, string>();
  for (const issue of issues) {
    const path = pathOf(issue);
    const name = path.length > 0 ? path.map(String).join('.') : '(root)';
    if (seen.has(name)) continue;
    const value = scalarAt(payload, path);
    let message = issue.message.replace(/[\r\n]+/g, ' ').slice(0, 120);
    if (value !== undefined && value.length > 0) {
      // Cut the value where it stands alone (not inside a word: `x` must not cut "expected").
      const escaped = value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      message = message.replace(new RegExp(`(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])`, 'gu'), '…');
    }
    seen.set(name, message);
  }
  return [...seen].map(([name, message]) => (message ? `${name} (${message})` : name)).join(', ');
}
