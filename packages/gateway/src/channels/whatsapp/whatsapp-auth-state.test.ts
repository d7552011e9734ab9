import type { AuthenticationCreds } from '@whiskeysockets/baileys' with { 'resolution-mode': 'import' };
import { loadWhatsAppAuth } from './whatsapp-auth-state';
import { createFakeStateClient, FAKE_CODEC, FakeAppStateSyncKeyData, type FakeStateClient } from './testing/fake-whatsapp-state';

const keyPair = (seed: number) => ({ public: Buffer.alloc(32, seed), private: Buffer.alloc(32, seed + 1) });
const load = (state: FakeStateClient) => loadWhatsAppAuth(state.client, 'default', FAKE_CODEC);

describe('loadWhatsAppAuth', () => {
  it('writes the keys of one set in one writeState call, Buffers in the BufferJSON form', async () => {
    const state = createFakeStateClient();
    const auth = await load(state);
    await auth.keys.set({ 'pre-key': { 1: keyPair(1), 2: keyPair(3) }, session: { '5511987654321.0': new Uint8Array([1, 2, 3]) } });
    expect(state.writes).toHaveLength(1);
    expect(Object.keys(state.writes[0]?.set ?? {}).sort()).toEqual(['pre-key-1', 'pre-key-2', 'session-5511987654321.0']);
    expect(state.entries.get('session-5511987654321.0')).toEqual({ type: 'Buffer', data: Buffer.from([1, 2, 3]).toString('base64') });
  });

  it('round-trips Buffers through the API, so another machine reads the same keys', async () => {
    const state = createFakeStateClient();
    await (await load(state)).keys.set({ 'pre-key': { 1: keyPair(1) }, session: { '5511987654321.0': new Uint8Array([1, 2, 3]) } });
    const elsewhere = await load(state);
    const preKeys = await elsewhere.keys.get('pre-key', ['1', '2']);
    expect(preKeys).toEqual({ 1: keyPair(1) });
    expect(Buffer.isBuffer(preKeys[1]?.public)).toBe(true);
    expect(await elsewhere.keys.get('session', ['5511987654321.0'])).toEqual({ '5511987654321.0': Buffer.from([1, 2, 3]) });
  });

  it('deletes a key given null in the same single write as the other changes', async () => {
    const state = createFakeStateClient();
    const auth = await load(state);
    await auth.keys.set({ 'pre-key': { 1: keyPair(1) } });
    await auth.keys.set({ 'pre-key': { 1: null, 2: keyPair(3) } });
    expect(state.writes[1]?.set).toMatchObject({ 'pre-key-1': null, 'pre-key-2': { public: { type: 'Buffer' } } });
    expect(state.entries.has('pre-key-1')).toBe(false);
    expect(await auth.keys.get('pre-key', ['1', '2'])).toEqual({ 2: keyPair(3) });
  });

  it('reads the API once and answers gets from memory', async () => {
    const state = createFakeStateClient();
    const auth = await load(state);
    await auth.keys.set({ 'sender-key-memory': { '120363041234567890@g.us': { '447700900123@s.whatsapp.net': true } } });
    expect(await auth.keys.get('sender-key-memory', ['120363041234567890@g.us'])).toEqual({
      '120363041234567890@g.us': { '447700900123@s.whatsapp.net': true },
    });
    expect(state.reads()).toBe(1);
  });

  it('rebuilds app-state sync keys with the protobuf class', async () => {
    const state = createFakeStateClient();
    await (await load(state)).keys.set({ 'app-state-sync-key': { AAAAAQ: { keyData: Buffer.from('secret') } } });
    const { AAAAAQ: key } = await (await load(state)).keys.get('app-state-sync-key', ['AAAAAQ']);
    expect(key).toBeInstanceOf(FakeAppStateSyncKeyData);
    expect(key).toEqual(new FakeAppStateSyncKeyData({ keyData: Buffer.from('secret') }));
  });

  it('stores the credentials under creds and revives them with their Buffers', async () => {
    const state = createFakeStateClient();
    const first = await load(state);
    expect(first.storedCreds).toBeUndefined();
    const creds = { noiseKey: keyPair(5), registrationId: 4242, me: { id: '15550001111:7@s.whatsapp.net' } } as unknown as AuthenticationCreds;
    await first.saveCreds(creds);
    expect(state.writes).toEqual([{ set: { creds: expect.objectContaining({ registrationId: 4242 }) } }]);
    expect((await load(state)).storedCreds).toEqual(creds);
  });

  it('sends writes one after another, in the order they were made', async () => {
    const state = createFakeStateClient();
    const auth = await load(state);
    const resume = state.pause();
    const first = auth.keys.set({ 'pre-key': { 1: keyPair(1) } });
    const second = auth.keys.set({ 'pre-key': { 1: null } });
    await new Promise((resolve) => setImmediate(resolve));
    expect(state.writes).toHaveLength(1);
    resume();
    await Promise.all([first, second]);
    expect(state.writes.map((write) => write.set['pre-key-1'])).toEqual([expect.anything(), null]);
    expect(state.entries.has('pre-key-1')).toBe(false);
  });

  it('clears the credentials and every key in one write', async () => {
    const state = createFakeStateClient();
    const auth = await load(state);
    await auth.keys.set({ 'pre-key': { 1: keyPair(1) }, session: { '5511987654321.0': new Uint8Array([1]) } });
    await auth.saveCreds({ registrationId: 1 } as unknown as AuthenticationCreds);
    await auth.clear();
    await auth.flush();
    expect(state.writes.at(-1)).toEqual({ set: { 'pre-key-1': null, 'session-5511987654321.0': null, creds: null } });
    expect(state.entries.size).toBe(0);
  });
});
