import { createTypingIndicator } from './typing-indicator';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('typing indicator', () => {
  it('shows typing at once, refreshes it, and stops when told', async () => {
    const shown: string[] = [];
    const typing = createTypingIndicator({ send: async (chat, thread) => void shown.push(`${chat}/${thread ?? '-'}`), refreshMs: 40 });
    typing.start('501', null);
    expect(shown).toEqual(['501/-']);
    for (let waited = 0; shown.length < 3 && waited < 3000; waited += 20) await sleep(20);
    expect(shown.length).toBeGreaterThanOrEqual(3);
    typing.stop('501', null);
    const stoppedAt = shown.length;
    await sleep(100);
    expect(shown.length).toBe(stoppedAt);
  });

  it('keeps one refresh per chat and thread, and gives up after its limit', async () => {
    const shown: string[] = [];
    const typing = createTypingIndicator({ send: async (chat, thread) => void shown.push(`${chat}/${thread ?? '-'}`), refreshMs: 20, limitMs: 70 });
    typing.start('-100', '7');
    typing.start('-100', '7');
    typing.start('-100', null);
    expect(shown).toEqual(['-100/7', '-100/-']);
    await sleep(200);
    const settled = shown.length;
    expect(settled).toBeLessThan(12);
    await sleep(80);
    expect(shown.length).toBe(settled);
    typing.stopAll();
  });

  it('logs a failed indicator instead of throwing', async () => {
    const logs: string[] = [];
    const typing = createTypingIndicator({ send: () => Promise.reject(new Error('429 Too Many Requests')), log: (line) => logs.push(line) });
    typing.start('501', null);
    await sleep(10);
    typing.stopAll();
    expect(logs).toEqual([expect.stringContaining('429 Too Many Requests')]);
  });
});
