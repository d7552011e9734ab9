import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InboundMessage } from '@switchboard/shared';
import type { WAMessage } from '@whiskeysockets/baileys' with { 'resolution-mode': 'import' };
import { mapWhatsAppMessage } from './whatsapp-mapper';

const FIXTURES = join(__dirname, 'fixtures');
const ME = { id: '15550001111:7@s.whatsapp.net', lid: '204050607080901:7@lid' };
const ANA = '5511987654321@s.whatsapp.net';
const BEN = '447700900123@s.whatsapp.net';
const GROUP = '120363041234567890@g.us';

function loadMessage(name: string): WAMessage {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as WAMessage;
}

function mapFixture(name: string): InboundMessage | null {
  return mapWhatsAppMessage(loadMessage(name), ME);
}

describe('mapWhatsAppMessage', () => {
  it('maps a direct message to a direct chat whose id is the sender phone-number JID', () => {
    expect(mapFixture('dm-text')).toEqual({
      channel: 'whatsapp',
      accountId: '15550001111@s.whatsapp.net',
      chat: { id: ANA, type: 'direct' },
      sender: { id: ANA, displayName: 'Ana Silva' },
      messageId: '3EB0C4A1F2D5E6B7A8C9',
      text: 'Oi! Can you summarise my notes?',
      mentioned: false,
    });
  });

  it('maps a LID-addressed direct message to the same phone-number id', () => {
    expect(mapFixture('dm-lid')).toMatchObject({ chat: { id: ANA, type: 'direct' }, sender: { id: ANA } });
  });

  it('keeps the LID when no phone-number JID comes with it', () => {
    const message = loadMessage('dm-lid');
    delete message.key.remoteJidAlt;
    expect(mapWhatsAppMessage(message, ME)?.sender?.id).toBe('167234098712345@lid');
  });

  it('maps a group message to the group chat with the participant as sender', () => {
    expect(mapFixture('group-text')).toEqual({
      channel: 'whatsapp',
      accountId: '15550001111@s.whatsapp.net',
      chat: { id: GROUP, type: 'group' },
      sender: { id: BEN, displayName: 'Ben' },
      messageId: '3A7F2C9E1B4D6A8C0E2F',
      text: 'morning all',
      mentioned: false,
    });
  });

  it('marks a mention of our LID as mentioned', () => {
    expect(mapFixture('group-mention')).toMatchObject({
      text: '@204050607080901 what is on the agenda today?',
      mentioned: true,
    });
  });

  it('marks a mention of our phone number as mentioned and drops the sender device part', () => {
    expect(mapFixture('group-mention-phone')).toMatchObject({ sender: { id: BEN }, mentioned: true });
  });

  it('marks a reply quoting one of our messages as mentioned', () => {
    expect(mapFixture('group-reply-to-bot')).toMatchObject({ text: 'and where?', mentioned: true });
  });

  it('does not mark a reply to someone else', () => {
    expect(mapFixture('group-reply-to-member')?.mentioned).toBe(false);
  });

  it('uses an image caption as the text', () => {
    expect(mapFixture('image-caption')?.text).toBe('what does this error mean?');
  });

  it('opens wrappers: a document with caption and a disappearing message', () => {
    expect(mapFixture('document-with-caption')?.text).toBe('please check the total');
    expect(mapFixture('ephemeral-text')?.text).toBe('this chat has disappearing messages on');
  });

  it.each([
    ['image', '[photo]'],
    ['voice-note', '[voice message]'],
    ['sticker', '[sticker]'],
    ['document', '[document: invoice.pdf]'],
  ])('describes %s without text as %s', (fixture, text) => {
    expect(mapFixture(fixture)?.text).toBe(text);
  });

  it('ignores our own messages', () => {
    expect(mapFixture('from-me')).toBeNull();
  });

  it('ignores status broadcasts and newsletters', () => {
    expect(mapFixture('status-broadcast')).toBeNull();
    expect(mapFixture('newsletter')).toBeNull();
  });

  it('ignores edits, in either form baileys delivers them', () => {
    expect(mapFixture('edit-protocol')).toBeNull();
    expect(mapFixture('edit-wrapped')).toBeNull();
  });

  it.each(['reaction', 'revoke', 'group-participant-added'])('ignores the unsupported message %s', (fixture) => {
    expect(mapFixture(fixture)).toBeNull();
  });

  it('produces messages that pass the inbound schema for every recorded message', () => {
    const mapped = readdirSync(FIXTURES)
      .map((file) => mapFixture(file.replace(/\.json$/, '')))
      .filter((message) => message !== null);
    expect(mapped.length).toBeGreaterThanOrEqual(14);
    for (const message of mapped) expect(InboundMessage.parse(message)).toEqual(message);
  });
});
