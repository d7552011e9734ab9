/**
 * The accept's decision and policy in SQL, on both engines: `app.inbound_decision` branch by branch,
 * and `app.agent_policy`, which fills an agent's config with the defaults TS passes (AgentPolicy's)
 * exactly as AgentPolicy.parse does; the keys the accept reads from it must exist there.
 */
import { AgentPolicy, type ContactAccess } from '@switchboard/shared';
import { describeEachEngine } from '../../../../test/engines';
import { POLICY_DEFAULTS } from './inbound-accept-call';

type Speaker =
  | { kind: 'owner' }
  | { kind: 'direct'; access: ContactAccess }
  | { kind: 'group'; groupAccess: ContactAccess; senderAccess: ContactAccess; addressed: boolean };

const open = AgentPolicy.parse({});
const allowlist = AgentPolicy.parse({ dmPolicy: 'allowlist' });
const pairing = AgentPolicy.parse({ dmPolicy: 'pairing' });
const allGroupMessages = AgentPolicy.parse({ groupReplies: 'all' });

const direct = (access: ContactAccess): Speaker => ({ kind: 'direct', access });
const group = (groupAccess: ContactAccess, senderAccess: ContactAccess, addressed: boolean): Speaker =>
  ({ kind: 'group', groupAccess, senderAccess, addressed });

describeEachEngine('the accept’s decision in SQL', (env) => {
  async function decide(speaker: Speaker, policy: AgentPolicy): Promise<{ status: string; reason?: string }> {
    const args = speaker.kind === 'owner' ? ['owner', null, null, false]
      : speaker.kind === 'direct' ? ['direct', speaker.access, speaker.access, false]
        : ['group', speaker.groupAccess, speaker.senderAccess, speaker.addressed];
    const { rows } = await env.db.transaction(env.owner, (tx) => tx.query<{ status: string; reason: string | null }>(
      'select status, reason from app.inbound_decision($1::text, $2::text, $3::text, $4::boolean, $5::text, $6::text)',
      [...args, policy.dmPolicy, policy.groupReplies],
    ));
    const { status, reason } = rows[0]!;
    return reason === null ? { status } : { status, reason };
  }

  it('queues the owner’s own chat under every policy', async () => {
    for (const policy of [open, allowlist, pairing]) expect(await decide({ kind: 'owner' }, policy)).toEqual({ status: 'queued' });
  });

  it('blocks a blocked direct sender under every policy', async () => {
    for (const policy of [open, allowlist, pairing]) {
      expect(await decide(direct('blocked'), policy)).toEqual({ status: 'blocked', reason: 'blocked' });
    }
  });

  it('queues an allowed direct sender under every policy', async () => {
    for (const policy of [open, allowlist, pairing]) expect(await decide(direct('allowed'), policy)).toEqual({ status: 'queued' });
  });

  it('queues a default direct sender only under the open policy', async () => {
    expect(await decide(direct('default'), open)).toEqual({ status: 'queued' });
    expect(await decide(direct('default'), allowlist)).toEqual({ status: 'blocked', reason: 'not_allowed' });
    expect(await decide(direct('default'), pairing)).toEqual({ status: 'blocked', reason: 'pairing_pending' });
  });

  it('blocks a group message when the group or its speaker is blocked, addressed or not', async () => {
    for (const addressed of [true, false]) {
      for (const policy of [open, allGroupMessages]) {
        expect(await decide(group('blocked', 'default', addressed), policy)).toEqual({ status: 'blocked', reason: 'blocked' });
        expect(await decide(group('allowed', 'blocked', addressed), policy)).toEqual({ status: 'blocked', reason: 'blocked' });
      }
    }
  });

  it('ignores an unaddressed group message unless the agent answers every group message', async () => {
    expect(await decide(group('default', 'default', false), open)).toEqual({ status: 'ignored', reason: 'not_mentioned' });
    expect(await decide(group('default', 'default', false), allGroupMessages)).toEqual({ status: 'queued' });
  });

  it('queues an addressed group message under the open policy, and under allowlist or pairing only when the group is allowed', async () => {
    for (const policy of [open, allGroupMessages]) expect(await decide(group('default', 'default', true), policy)).toEqual({ status: 'queued' });
    for (const policy of [allowlist, pairing]) {
      expect(await decide(group('allowed', 'default', true), policy)).toEqual({ status: 'queued' });
      expect(await decide(group('default', 'allowed', true), policy)).toMatchObject({ status: 'blocked' });
    }
    expect(await decide(group('default', 'default', true), allowlist)).toEqual({ status: 'blocked', reason: 'not_allowed' });
    expect(await decide(group('default', 'default', true), pairing)).toEqual({ status: 'blocked', reason: 'pairing_pending' });
  });

  it('ignores unaddressed chatter in a group that is not allowed, so no pairing code answers it', async () => {
    expect(await decide(group('default', 'default', false), pairing)).toEqual({ status: 'ignored', reason: 'not_mentioned' });
    expect(await decide(group('default', 'default', false), AgentPolicy.parse({ dmPolicy: 'pairing', groupReplies: 'all' })))
      .toEqual({ status: 'blocked', reason: 'pairing_pending' });
  });
});

describeEachEngine('an agent’s policy in SQL', (env) => {
  const fill = async (config: Record<string, unknown>): Promise<unknown> => {
    const { rows } = await env.db.transaction(env.owner, (tx) => tx.query<{ policy: unknown }>(
      'select app.agent_policy($1::jsonb, $2::jsonb) as policy', [JSON.stringify(config), POLICY_DEFAULTS],
    ));
    return rows[0]!.policy;
  };

  it('fills a stored config with the defaults exactly as AgentPolicy.parse does, ignoring other settings', async () => {
    const configs = [
      {},
      { dmPolicy: 'pairing' },
      { groupReplies: 'all', rateLimit: { burst: 3, perMinute: 0.5 } },
      { newContactRate: { burst: 1, perMinute: 2 }, memory: 'off', bin: '/usr/bin/claude', sandbox: 'off' },
      { dmPolicy: 'allowlist', groupReplies: 'mention', rateLimit: { burst: 1, perMinute: 0 }, newContactRate: { burst: 9, perMinute: 9 } },
    ];
    for (const config of configs) expect({ config, policy: await fill(config) }).toEqual({ config, policy: AgentPolicy.parse(config) });
  });

  it('has a default for every policy key, and the keys the accept reads are AgentPolicy’s', () => {
    // app.agent_policy takes from a config only the keys the defaults have; app.accept_message reads these.
    const defaults = JSON.parse(POLICY_DEFAULTS) as Record<string, unknown>;
    expect(Object.keys(defaults).sort()).toEqual(Object.keys(AgentPolicy.shape).sort());
    const limit = { burst: expect.any(Number), perMinute: expect.any(Number) };
    expect(defaults).toEqual({ dmPolicy: expect.any(String), groupReplies: expect.any(String), rateLimit: limit, newContactRate: limit });
  });
});
