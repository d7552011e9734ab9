/**
 * One gateway for every tenant: two bots of two tenants, each on its own local fake Bot API server,
 * served by one gateway with the installation's gateway token. The tenant of a message is its
 * receiving bot's; the same Telegram user is two contacts, one per tenant, who share nothing, and
 * each tenant's console (Debian's Chromium) shows its own people only.
 */
import { randomUUID } from 'node:crypto';
import type { Update } from 'grammy/types';
import type { ApiClient, TenantCreated } from '@switchboard/shared';
import { describeEachServer } from '../../../../../test/server-harness';
import { until } from '../../../../../test/until';
import { startGateway, type RunningGateway } from '../../gateway';
import { startFakeBotApi, type FakeBotApi } from './testing/fake-bot-api';
import { launchChromium, openPage, screenshot, signInWithToken } from '../../../../api/src/console/testing/console-chromium';

const HOME_BOT = { id: 111111111, username: 'home_bot' };
const ACME_BOT = { id: 222222222, username: 'acme_bot' };
const tokenOf = (bot: { id: number }) => `${bot.id}:AAFakeTokenForTheFakeBotApi_${bot.id}`;
let nextMessageId = 1;

function dm(userId: number, text: string): Omit<Update, 'update_id'> {
  return {
    message: {
      message_id: nextMessageId++, date: Math.floor(Date.now() / 1000), text,
      chat: { id: userId, type: 'private', first_name: `User ${userId}` },
      from: { id: userId, is_bot: false, first_name: `User ${userId}` },
    },
  } as Omit<Update, 'update_id'>;
}

describeEachServer('one gateway serving two tenants\' Telegram bots (local fake Bot API servers)', (server) => {
  let homeApi: FakeBotApi;
  let acmeApi: FakeBotApi;
  let gateway: RunningGateway;
  let acme: TenantCreated;
  let acmeOwner: ApiClient;
  const replies = (api: FakeBotApi, chatId: number) => api.sent.filter((m) => String(m.chat_id) === String(chatId)).map((m) => m.text);
  const nthReply = (api: FakeBotApi, chatId: number, n: number) => until(`reply ${n} in chat ${chatId}`, () => replies(api, chatId)[n - 1]);

  beforeAll(async () => {
    [homeApi, acmeApi] = await Promise.all([startFakeBotApi(HOME_BOT), startFakeBotApi(ACME_BOT)]);
    acme = await server.client(server.adminToken).tenants.create({ slug: 'acme' });
    acmeOwner = server.client(acme.ownerToken);
    await server.client().channels.add({ channel: 'telegram', token: tokenOf(HOME_BOT), apiRoot: homeApi.apiRoot });
    await acmeOwner.channels.add({ channel: 'telegram', token: tokenOf(ACME_BOT), apiRoot: acmeApi.apiRoot });
    gateway = await startGateway({ client: server.client(server.gatewayToken), log: () => undefined, claimWaitMs: 1000, refreshMs: 500 });
  });
  afterAll(async () => {
    await gateway.stop();
    await Promise.all([homeApi.close(), acmeApi.close()]);
  });

  it('connects the accounts of both tenants with the one gateway token', () => {
    expect([...gateway.accounts].sort()).toEqual([`telegram:${HOME_BOT.id}`, `telegram:${ACME_BOT.id}`]);
  });

  it('answers each bot\'s people in its own tenant: one Telegram user is two contacts that share no memory', async () => {
    homeApi.push(dm(501, 'remember at home I drink tea'));
    acmeApi.push(dm(501, 'remember at acme I drink coffee'));
    expect(await nthReply(homeApi, 501, 1)).toBe('remembered: at home I drink tea');
    expect(await nthReply(acmeApi, 501, 1)).toBe('remembered: at acme I drink coffee');
    homeApi.push(dm(501, 'recall'));
    acmeApi.push(dm(501, 'recall'));
    expect(await nthReply(homeApi, 501, 2)).toBe('at home I drink tea');
    expect(await nthReply(acmeApi, 501, 2)).toBe('at acme I drink coffee');

    const homeContacts = await server.client().contacts.list();
    const acmeContacts = await acmeOwner.contacts.list();
    const of = (list: typeof homeContacts) => list.filter((c) => c.identities.some((i) => i.channel === 'telegram' && i.externalId === '501'));
    expect(of(homeContacts)).toHaveLength(1);
    expect(of(acmeContacts)).toHaveLength(1);
    expect(of(homeContacts)[0]?.id).not.toBe(of(acmeContacts)[0]?.id);
    expect((await acmeOwner.memories.list({})).map((m) => m.content)).toEqual(['at acme I drink coffee']);
    expect((await server.client().memories.list({})).map((m) => m.content)).toEqual(['at home I drink tea']);
  });

  it('keeps a bot to one tenant: another tenant adding it is refused, and the gateway posts only for accounts that exist', async () => {
    await expect(acmeOwner.channels.add({ channel: 'telegram', token: tokenOf(HOME_BOT), apiRoot: homeApi.apiRoot }))
      .rejects.toMatchObject({ code: 'conflict' });
    const stray = { channel: 'telegram' as const, accountId: '333333333', sender: { id: '9' }, messageId: randomUUID(), text: 'hi' };
    await expect(server.client(server.gatewayToken).inbound(stray)).rejects.toMatchObject({ code: 'not_found' });
    expect([...gateway.accounts].sort()).toEqual([`telegram:${HOME_BOT.id}`, `telegram:${ACME_BOT.id}`]);
  });

  it('shows acme\'s Telegram people in acme\'s console in Chromium, and none of them in the default tenant\'s console', async () => {
    acmeApi.push(dm(601, 'hello from acme only'));
    expect(await nthReply(acmeApi, 601, 1)).toBe('echo: hello from acme only');
    const browser = await launchChromium();
    try {
      const acmePage = await openPage(browser);
      await signInWithToken(acmePage, server.url, acme.ownerToken);
      await acmePage.getByRole('link', { name: 'User 601' }).waitFor();
      await screenshot(acmePage, `telegram-tenant-acme-${server.engine}`);
      const homePage = await openPage(browser);
      await signInWithToken(homePage, server.url, server.ownerToken);
      await homePage.getByRole('link', { name: 'User 501' }).waitFor();
      expect(await homePage.getByRole('link', { name: 'User 601' }).count()).toBe(0);
      await screenshot(homePage, `telegram-tenant-default-${server.engine}`);
    } finally {
      await browser.close();
    }
  }, 60_000);

  it('drops an erased tenant\'s bot and keeps answering the other', async () => {
    await server.client(server.adminToken).tenants.remove('acme');
    await until('the acme bot disconnected', () => (gateway.accounts.includes(`telegram:${ACME_BOT.id}`) ? undefined : true));
    homeApi.push(dm(502, 'still here?'));
    expect(await nthReply(homeApi, 502, 1)).toBe('echo: still here?');
  });
});
