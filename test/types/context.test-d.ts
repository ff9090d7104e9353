/**
 * Type tests for the context (checked by `tsc --noEmit`): API.md §3's example compiles with the name it
 * uses, `CreateContextOptions`, the same type as `CreateJwtContextOptions`.
 */
import { expectTypeOf } from 'vitest';
import {
  type CreateContextOptions,
  type CreateJwtContextOptions,
  createJwtManager,
  type JwtContextPart,
} from '../../src/index.js';

const jwt = createJwtManager({ secretKey: 'type-tests-secret-0123456789abcdef-0123' });

// API.md §3, as written there.
export const createContext = (opts: CreateContextOptions) => jwt.createJwtContext(opts);

expectTypeOf<CreateContextOptions>().toEqualTypeOf<CreateJwtContextOptions>();
expectTypeOf(createContext).returns.toMatchTypeOf<JwtContextPart>();
// Every adapter's options fit: fetch, node, and plain headers.
createContext({ req: new Request('http://localhost/'), resHeaders: new Headers() });
createContext({ headers: { authorization: 'Bearer x' } });
