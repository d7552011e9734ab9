import { isGroupJid, isPersonJid, normalizeJid, toPersonId } from './whatsapp-jid';

describe('normalizeJid', () => {
  it.each([
    ['1234:5@s.whatsapp.net', '1234@s.whatsapp.net'],
    ['1234@s.whatsapp.net', '1234@s.whatsapp.net'],
    ['204050607080901:7@lid', '204050607080901@lid'],
    ['1234_1:3@s.whatsapp.net', '1234@s.whatsapp.net'],
    ['1234@c.us', '1234@s.whatsapp.net'],
    ['120363041234567890@g.us', '120363041234567890@g.us'],
  ])('normalizes %s to %s', (jid, expected) => {
    expect(normalizeJid(jid)).toBe(expected);
  });

  it.each([undefined, null, '', 'no-server', '@s.whatsapp.net', 'two words@s.whatsapp.net', `${'9'.repeat(130)}@lid`])(
    'rejects %p',
    (jid) => {
      expect(normalizeJid(jid)).toBeUndefined();
    },
  );
});

describe('toPersonId', () => {
  it('prefers the phone-number JID, whichever side it is on', () => {
    expect(toPersonId('167234098712345@lid', '5511987654321@s.whatsapp.net')).toBe('5511987654321@s.whatsapp.net');
    expect(toPersonId('5511987654321:2@s.whatsapp.net', '167234098712345@lid')).toBe('5511987654321@s.whatsapp.net');
  });

  it('falls back to whichever JID is usable', () => {
    expect(toPersonId('167234098712345:4@lid', undefined)).toBe('167234098712345@lid');
    expect(toPersonId(undefined, '167234098712345@lid')).toBe('167234098712345@lid');
    expect(toPersonId(undefined, null)).toBeUndefined();
  });
});

describe('isPersonJid and isGroupJid', () => {
  it('tells people from groups, broadcasts and newsletters', () => {
    expect(['1@s.whatsapp.net', '1@lid'].every(isPersonJid)).toBe(true);
    expect(['1@g.us', 'status@broadcast', '1@newsletter'].some(isPersonJid)).toBe(false);
    expect(isGroupJid('120363041234567890@g.us')).toBe(true);
    expect(isGroupJid('1@s.whatsapp.net')).toBe(false);
  });
});
