import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InboundMessage } from '@switchboard/shared';
import type { Update } from 'grammy/types';
import { mapTelegramUpdate } from './telegram-mapper';

const FIXTURES = join(__dirname, 'fixtures');
const ME = { id: 7100000001, username: 'switchboard_test_bot' };

function loadUpdate(name: string): Update {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as Update;
}

function mapFixture(name: string): InboundMessage | null {
  return mapTelegramUpdate(loadUpdate(name), ME);
}

describe('mapTelegramUpdate', () => {
  it('maps a private message to a direct chat whose id is the sender id', () => {
    expect(mapFixture('private-text')).toEqual({
      channel: 'telegram',
      accountId: '7100000001',
      chat: { id: '123456789', type: 'direct' },
      sender: { id: '123456789', displayName: 'Ana Silva' },
      messageId: '101',
      text: 'Hi! Can you summarise my notes?',
      mentioned: false,
    });
  });

  it('maps a supergroup message to the group chat, titled as in Telegram, with the speaker as sender', () => {
    expect(mapFixture('group-text')).toEqual({
      channel: 'telegram',
      accountId: '7100000001',
      chat: { id: '-1001987654321', type: 'group', title: 'Switchboard testers' },
      sender: { id: '234567891', displayName: 'Ben' },
      messageId: '2201',
      text: 'morning all',
      mentioned: false,
    });
  });

  it('marks an @username mention of the bot as mentioned', () => {
    expect(mapFixture('group-mention')).toMatchObject({
      text: '@switchboard_test_bot what is on the agenda today?',
      mentioned: true,
    });
  });

  it('does not mark a mention of someone else', () => {
    expect(mapFixture('group-mention-other')?.mentioned).toBe(false);
  });

  it('marks a text mention of the bot id as mentioned', () => {
    expect(mapFixture('group-text-mention')?.mentioned).toBe(true);
  });

  it('passes /cmd@botname through unchanged and counts it as addressed to the bot', () => {
    expect(mapFixture('group-command')).toMatchObject({ text: '/reset@switchboard_test_bot', mentioned: true });
  });

  it('marks a reply to one of the bot messages as mentioned', () => {
    expect(mapFixture('group-reply-to-bot')).toMatchObject({ text: 'and where?', mentioned: true });
  });

  it('maps a forum topic to the thread, not taking the topic opener for a reply to the bot', () => {
    expect(mapFixture('forum-topic')).toMatchObject({
      chat: { id: '-1001555000111', type: 'group', title: 'Support forum' },
      thread: { id: '42' },
      messageId: '57',
      mentioned: false,
    });
  });

  it('leaves out the thread outside forum topics', () => {
    expect(mapFixture('group-reply-to-bot')).not.toHaveProperty('thread.id');
  });

  it('uses a caption as the text and its entities for the mention', () => {
    expect(mapFixture('photo-caption')).toMatchObject({
      text: '@switchboard_test_bot what does this error mean?',
      mentioned: true,
    });
  });

  it.each([
    ['photo', '[photo]'],
    ['voice', '[voice message]'],
    ['sticker', '[sticker]'],
    ['document', '[document: quarterly-report.pdf]'],
    ['animation', '[animation]'],
  ])('describes %s without text as %s', (fixture, text) => {
    expect(mapFixture(fixture)?.text).toBe(text);
  });

  it('ignores edited messages', () => {
    expect(mapFixture('edited-message')).toBeNull();
  });

  it('ignores messages from bots', () => {
    expect(mapFixture('from-other-bot')).toBeNull();
    const own = loadUpdate('private-text');
    own.message!.from = { id: ME.id, is_bot: true, first_name: 'Switchboard', username: ME.username };
    expect(mapTelegramUpdate(own, ME)).toBeNull();
  });

  it.each(['callback-query', 'my-chat-member', 'new-chat-members', 'automatic-forward'])(
    'ignores the unsupported update %s',
    (fixture) => {
      expect(mapFixture(fixture)).toBeNull();
    },
  );

  it('truncates a text longer than the inbound limit instead of failing', () => {
    const update = loadUpdate('private-text');
    update.message!.text = `${'a'.repeat(31_999)}😀 and more`;
    const mapped = mapTelegramUpdate(update, ME);
    expect(mapped?.text).toBe('a'.repeat(31_999));
    expect(InboundMessage.safeParse(mapped).success).toBe(true);
  });

  it('cuts a group title to the inbound bound, keeps its text otherwise as sent, and leaves out a blank one', () => {
    const update = loadUpdate('group-text');
    const chat = update.message!.chat as { title: string };
    chat.title = `\u001b]0;owned\u0007 ${'t'.repeat(300)}`;
    const mapped = mapTelegramUpdate(update, ME);
    expect(mapped?.chat?.title).toBe(`\u001b]0;owned\u0007 ${'t'.repeat(300)}`.slice(0, 200));
    expect(InboundMessage.safeParse(mapped).success).toBe(true);
    chat.title = '  ';
    expect(mapTelegramUpdate(update, ME)?.chat).toEqual({ id: '-1001987654321', type: 'group' });
  });

  it('produces messages that pass the inbound schema for every recorded update', () => {
    const mapped = readdirSync(FIXTURES)
      .map((file) => mapFixture(file.replace(/\.json$/, '')))
      .filter((message) => message !== null);
    expect(mapped.length).toBeGreaterThanOrEqual(14);
    for (const message of mapped) expect(InboundMessage.parse(message)).toEqual(message);
  });
});
