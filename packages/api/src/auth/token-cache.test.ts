import { randomBytes } from 'node:crypto';
import { describeEachEngine } from '../../../../test/engines';
import type { Db } from '../db/db';
import { createCachedAuthenticate, registerToken } from './token-repo';

/** The real database, counting the lookups a token check makes (each is one unscoped transaction). */
function counting(db: Db): { db: Db; lookups: () => number } {
  let lookups = 0;
  const counted = new Proxy(db, {
    get(target, property, receiver) {
      if (property === 'unscopedTransaction') {
        return (...args: Parameters<Db['unscopedTransaction']>) => {
          lookups += 1;
          return target.unscopedTransaction(...args);
        };
      }
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
  return { db: counted, lookups: () => lookups };
}

describeEachEngine('cached token lookups', (env) => {
  it('looks a token up once for requests that miss together, and again once it runs out', async () => {
    const token = randomBytes(24).toString('hex');
    await registerToken(env.db, env.tenantId, 'owner', token);
    const { db, lookups } = counting(env.db);
    const authenticate = createCachedAuthenticate(db, 200);
    const callers = await Promise.all(Array.from({ length: 20 }, () => authenticate(token)));
    expect(callers).toEqual(Array.from({ length: 20 }, () => ({ kind: 'owner', tenantId: env.tenantId })));
    expect(lookups()).toBe(1);
    await authenticate(token);
    expect(lookups()).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 250));
    await Promise.all([authenticate(token), authenticate(token)]);
    expect(lookups()).toBe(2);
  });

  it('does not remember a lookup that failed', async () => {
    const token = randomBytes(24).toString('hex');
    let failNext = true;
    const flaky = new Proxy(env.db, {
      get(target, property, receiver) {
        if (property === 'unscopedTransaction' && failNext) {
          failNext = false;
          return async () => { throw new Error('connection reset'); };
        }
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
    const authenticate = createCachedAuthenticate(flaky, 60_000);
    await expect(authenticate(token)).rejects.toThrow('connection reset');
    await expect(authenticate(token)).resolves.toBeUndefined();
  });
});
