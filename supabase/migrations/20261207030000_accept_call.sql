-- Accepting an inbound message is one call, app.accept_message, in the tenant's owner scope: the
-- agent (the receiving account's, for the gateway) and its policy, the sender (and group) resolved
-- to contacts, the tenant's new-contact limit, the policy decision, the rate limits, the event and
-- its queue row (the event's insert is the dedupe), and a pairing code with its outbox row. A copy
-- of a stored message undoes everything the call did and answers `duplicate`; a new contact over
-- the limit undoes it too and stores only the refusal. SECURITY INVOKER: row-level security and
-- the backstops apply to every row, and a contact's scope can store nothing here.

-- An agent's policy: the policy keys of its config over `defaults`, which the caller passes from
-- AgentPolicy (packages/shared/src/agent.ts), the one place the defaults are written. Every policy
-- key has a default there, so a key the defaults lack is not a policy key.
create function app.agent_policy(config jsonb, defaults jsonb) returns jsonb
  language sql immutable
  as $$
    select defaults || coalesce(jsonb_object_agg(c.key, c.value), '{}'::jsonb)
    from jsonb_each(config) c
    where defaults ? c.key and jsonb_typeof(c.value) <> 'null'
  $$;

-- Who gets an answer, before the rate limits: the owner's own chat always; a blocked chat or speaker
-- never; a group only when addressed (mentioned or a chat command) unless the agent answers every
-- group message; then the chat's contact (a person, or the group, never its speaker) by the DM policy.
create function app.inbound_decision(chat_kind text, chat_access text, speaker_access text, addressed boolean,
  dm_policy text, group_replies text, out status text, out reason text)
  language plpgsql immutable
  as $$
  begin
    if chat_kind = 'owner' then
      status := 'queued';
    elsif chat_access = 'blocked' or speaker_access = 'blocked' then
      status := 'blocked'; reason := 'blocked';
    elsif chat_kind = 'group' and not addressed and group_replies = 'mention' then
      -- Chatter that does not address the bot is only stored: no pairing code for every line of it.
      status := 'ignored'; reason := 'not_mentioned';
    elsif chat_access = 'allowed' or dm_policy = 'open' then
      status := 'queued';
    else
      status := 'blocked'; reason := case dm_policy when 'pairing' then 'pairing_pending' else 'not_allowed' end;
    end if;
  end
  $$;

-- The contact an identity speaks as, created with its identity on first sight in one statement (the
-- identity's unique key orders concurrent first messages); follows a merge. `kind` is the stored
-- contact's: the caller refuses an identity of the other kind. Also used by contact-repo.
create function app.resolve_identity(in_channel text, in_external_id text, in_kind text, in_display_name text,
  out contact_id uuid, out own_contact_id uuid, out created boolean, out access text, out kind text)
  language plpgsql set search_path from current
  as $$
  #variable_conflict use_column
  declare
    candidate uuid := gen_random_uuid();
    known_name text;
  begin
    -- A known identity is only read (most messages): the insert below writes a row version each time.
    select coalesce(c.merged_into, c.id), c.id, false, coalesce(target.access, c.access), coalesce(target.kind, c.kind), c.display_name
      into contact_id, own_contact_id, created, access, kind, known_name
      from contact_identities i
      join contacts c on c.tenant_id = i.tenant_id and c.id = i.contact_id
      left join contacts target on target.tenant_id = c.tenant_id and target.id = c.merged_into
      where i.tenant_id = app.tenant() and i.channel = in_channel and i.external_id = in_external_id;
    if found and (in_display_name is null or known_name = in_display_name) then
      return;
    end if;
    with ident as (
      insert into contact_identities as i (tenant_id, channel, external_id, contact_id)
      values (app.tenant(), in_channel, in_external_id, candidate)
      on conflict (tenant_id, channel, external_id) do update set channel = excluded.channel
      returning i.contact_id
    ), made as (
      insert into contacts (id, tenant_id, kind, display_name)
      select ident.contact_id, app.tenant(), in_kind, in_display_name from ident where ident.contact_id = candidate
      returning id
    ), renamed as (
      update contacts c set display_name = in_display_name, updated_at = now()
      where c.tenant_id = app.tenant() and c.id = (select ident.contact_id from ident)
        and in_display_name is not null and c.display_name is distinct from in_display_name
      returning c.id
    )
    select coalesce(c.merged_into, ident.contact_id), ident.contact_id, ident.contact_id = candidate,
      coalesce(target.access, c.access, 'default'), coalesce(target.kind, c.kind, in_kind)
    into contact_id, own_contact_id, created, access, kind
    from ident
    left join contacts c on c.tenant_id = app.tenant() and c.id = ident.contact_id
    left join contacts target on target.tenant_id = app.tenant() and target.id = c.merged_into;
  end
  $$;

-- Takes `wanted` tokens from the tenant's new-contact bucket, refilled by the time since its last
-- take; false when it has fewer, and then it is left untouched. The row stays locked until the
-- transaction ends, so concurrent first messages are counted one after another. clock_timestamp(),
-- not now(): a take that waited for the row counts from when it got it. Also used by contact-repo.
create function app.take_new_contact_tokens(wanted integer, burst double precision, per_minute double precision)
  returns boolean
  language plpgsql set search_path from current
  as $$
  begin
    insert into new_contact_buckets as b (tenant_id, tokens, updated_at)
    select app.tenant(), burst - wanted, clock_timestamp() where burst >= wanted
    on conflict (tenant_id) do update
      set tokens = least(burst, b.tokens + extract(epoch from clock_timestamp() - b.updated_at) * per_minute / 60) - wanted,
          updated_at = clock_timestamp()
      where least(burst, b.tokens + extract(epoch from clock_timestamp() - b.updated_at) * per_minute / 60) >= wanted;
    return found;
  end
  $$;

-- Takes one token from a contact's bucket, refilled by the time since its last token; false when
-- empty, and an empty bucket is left untouched (refilling continues from the last accepted message).
create function app.take_rate_token(contact uuid, burst double precision, per_minute double precision)
  returns boolean
  language plpgsql set search_path from current
  as $$
  begin
    insert into rate_buckets as b (tenant_id, contact_id, tokens, updated_at) values (app.tenant(), contact, burst - 1, now())
    on conflict (tenant_id, contact_id) do update
      set tokens = least(burst, b.tokens + extract(epoch from now() - b.updated_at) * per_minute / 60) - 1,
          updated_at = now()
      where least(burst, b.tokens + extract(epoch from now() - b.updated_at) * per_minute / 60) >= 1;
    return found;
  end
  $$;

-- A contact's pending pairing code, created with its first refused message; `created` tells whether
-- it is new. The code is 8 characters of an alphabet without look-alikes, drawn from the random
-- bytes of a v4 uuid (skipping its version and variant bytes); a code taken already is drawn again.
create function app.pairing_code_of(contact uuid, out code text, out created boolean)
  language plpgsql set search_path from current
  as $$
  #variable_conflict use_column
  declare
    alphabet constant text := 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
    candidate text;
  begin
    loop
      select string_agg(substr(alphabet, get_byte(r.bytes, n.i) % 32 + 1, 1), '' order by n.i) into candidate
      from (select uuid_send(gen_random_uuid()) as bytes) r, unnest(array[0, 1, 2, 3, 4, 5, 7, 9]) as n(i);
      insert into pairing_requests as p (tenant_id, code, contact_id) values (app.tenant(), candidate, contact)
      on conflict do nothing
      returning p.code into code;
      created := code is not null;
      if created then return; end if;
      select p.code into code from pairing_requests p where p.tenant_id = app.tenant() and p.contact_id = contact;
      if code is not null then return; end if;
    end loop;
  end
  $$;

-- The accept. $4 on of a `db.call`: whether the gateway posts it (then the agent is the receiving
-- account's: `no_account`, or `other_agent` when the message names another), the agent's name, the
-- envelope, the sender (null: the owner's own chat), the text, whether the bot is addressed, and
-- AgentPolicy's defaults. Answers {eventId, contactId, status, reason, reply} or {refused, ...}.
-- The lane is tenant/agent/contact-or-owner/thread: FIFO within it, parallel across lanes.
create function app.accept_message(tenant uuid, contact uuid, owner boolean, from_gateway boolean, agent_name text,
  in_channel text, in_account text, in_chat text, in_chat_type text, in_thread text, in_message_id text,
  in_deliver boolean, sender text, sender_name text, body text, in_mentioned boolean, addressed boolean,
  policy_defaults jsonb)
  returns jsonb
  language plpgsql set search_path from current
  as $$
  #variable_conflict use_column
  declare
    agent record;
    policy jsonb;
    person record;
    chat record;
    chat_contact uuid;
    chat_access text;
    speaker uuid;
    speaker_access text;
    origin uuid;
    newcomers integer := 0;
    verdict record;
    outcome text;
    why text;
    burst double precision;
    per_minute double precision;
    queue_lane text;
    new_event uuid;
    pairing record;
    reply text;
    clash jsonb;
    stored record;
  begin
    perform app.enter_scope(tenant, contact, owner);
    if from_gateway then
      select a.id, a.name, a.config into agent
      from channel_accounts c join agents a on a.tenant_id = c.tenant_id and a.id = c.agent_id
      where c.tenant_id = tenant and c.channel = in_channel and c.account_key = in_account;
      if not found then return jsonb_build_object('refused', 'no_account'); end if;
      if agent_name is not null and agent_name <> agent.name then
        return jsonb_build_object('refused', 'other_agent', 'agent', agent.name);
      end if;
    else
      select a.id, a.name, a.config into agent from agents a where a.tenant_id = tenant and a.name = agent_name;
      if not found then return jsonb_build_object('refused', 'no_agent'); end if;
    end if;
    policy := app.agent_policy(agent.config, policy_defaults);

    -- A duplicate, a new contact over the limit or an identity of the other kind rolls this block
    -- back (contacts, member link, tokens, event, pairing); only what a handler writes stays.
    begin
      if sender is not null then
        select * into person from app.resolve_identity(in_channel, sender, 'person', sender_name);
        if person.kind <> 'person' then
          clash := jsonb_build_object('identity', in_channel || ':' || sender, 'kind', person.kind, 'wanted', 'person');
          raise exception 'identity of another kind' using errcode = 'SBKND';
        end if;
        speaker := person.contact_id;
        speaker_access := person.access;
        origin := nullif(person.own_contact_id, person.contact_id);
        newcomers := person.created::integer;
        chat_contact := person.contact_id;
        chat_access := person.access;
        if in_chat_type = 'group' then
          select * into chat from app.resolve_identity(in_channel, in_chat, 'group', null);
          if chat.kind <> 'group' then
            clash := jsonb_build_object('identity', in_channel || ':' || in_chat, 'kind', chat.kind, 'wanted', 'group');
            raise exception 'identity of another kind' using errcode = 'SBKND';
          end if;
          insert into group_members (tenant_id, group_contact_id, member_contact_id)
          values (tenant, chat.contact_id, person.contact_id) on conflict do nothing;
          newcomers := newcomers + chat.created::integer;
          chat_contact := chat.contact_id;
          chat_access := chat.access;
        end if;
      end if;

      if newcomers > 0 and not app.take_new_contact_tokens(newcomers,
          (policy #>> '{newContactRate,burst}')::double precision, (policy #>> '{newContactRate,perMinute}')::double precision) then
        raise exception 'over the new-contact limit' using errcode = 'SBNEW';
      end if;

      select * into verdict from app.inbound_decision(
        case when sender is null then 'owner' when in_chat_type = 'group' then 'group' else 'direct' end,
        chat_access, speaker_access, addressed, policy ->> 'dmPolicy', policy ->> 'groupReplies');
      outcome := verdict.status;
      why := verdict.reason;

      -- The speaker's bucket first (their DMs draw on it too), so a member past their limit no longer
      -- drains the group's; a group that is out gives the speaker's token back.
      if outcome = 'queued' and chat_contact is not null then
        burst := (policy #>> '{rateLimit,burst}')::double precision;
        per_minute := (policy #>> '{rateLimit,perMinute}')::double precision;
        if not app.take_rate_token(speaker, burst, per_minute) then
          outcome := 'blocked'; why := 'rate_limited';
        elsif chat_contact <> speaker and not app.take_rate_token(chat_contact, burst, per_minute) then
          update rate_buckets b set tokens = least(burst, b.tokens + 1)
          where b.tenant_id = tenant and b.contact_id = speaker;
          outcome := 'blocked'; why := 'rate_limited';
        end if;
      end if;

      if outcome = 'queued' then
        queue_lane := tenant::text || '/' || agent.id::text || '/' || coalesce(chat_contact::text, 'owner') || '/' || in_thread;
      end if;
      -- No read first: a copy already stored makes this insert nothing. A refused message keeps a
      -- preview of its text (the check inbound_events_refused_preview holds it to 200 characters).
      insert into inbound_events as e (tenant_id, agent_id, contact_id, sender_contact_id, channel, account_key, chat_id,
        chat_type, thread_key, platform_message_id, text, mentioned, status, reason, deliver, origin_contact_id)
      values (tenant, agent.id, chat_contact, speaker, in_channel, in_account, in_chat, in_chat_type, in_thread,
        in_message_id, case when outcome in ('blocked', 'ignored') then left(body, 200) else body end, in_mentioned,
        outcome, why, in_deliver, origin)
      on conflict (tenant_id, channel, account_key, chat_id, platform_message_id) do nothing
      returning e.id into new_event;
      if new_event is null then
        raise exception 'message stored already' using errcode = 'SBDUP';
      end if;
      if queue_lane is not null then
        insert into turn_queue (tenant_id, event_id, contact_id, lane) values (tenant, new_event, chat_contact, queue_lane);
      end if;

      -- The pairing code goes out through the outbox once, with the first message that gets it.
      if why = 'pairing_pending' and chat_contact is not null then
        select * into pairing from app.pairing_code_of(chat_contact);
        reply := 'This agent needs the owner''s approval first. Your pairing code is ' || pairing.code || '.';
        if pairing.created and in_deliver then
          insert into outbox (tenant_id, event_id, contact_id, channel, account_key, chat_id, thread_key, reply_to, text)
          values (tenant, new_event, chat_contact, in_channel, in_account, in_chat, in_thread, in_message_id, reply)
          on conflict (event_id) do nothing;
        end if;
      end if;
      return jsonb_build_object('eventId', new_event, 'contactId', chat_contact, 'status', outcome, 'reason', why, 'reply', reply);
    exception
      when sqlstate 'SBKND' then
        return clash || jsonb_build_object('refused', 'kind_conflict');
      when sqlstate 'SBDUP' then
        null; -- answered below
      when sqlstate 'SBNEW' then
        insert into inbound_events as e (tenant_id, agent_id, channel, account_key, chat_id, chat_type, thread_key,
          platform_message_id, text, mentioned, status, reason, deliver)
        values (tenant, agent.id, in_channel, in_account, in_chat, in_chat_type, in_thread, in_message_id, left(body, 200),
          in_mentioned, 'blocked', 'new_contact_rate', in_deliver)
        on conflict (tenant_id, channel, account_key, chat_id, platform_message_id) do nothing
        returning e.id into new_event;
        if new_event is not null then
          return jsonb_build_object('eventId', new_event, 'contactId', null, 'status', 'blocked', 'reason', 'new_contact_rate', 'reply', null);
        end if;
    end;

    -- Stored already: the answer is the stored event's, as `duplicate`.
    select e.id, e.contact_id into stored from inbound_events e
    where e.tenant_id = tenant and e.channel = in_channel and e.account_key = in_account and e.chat_id = in_chat
      and e.platform_message_id = in_message_id;
    if not found then
      raise exception 'an inbound event vanished while deduplicating';
    end if;
    return jsonb_build_object('eventId', stored.id, 'contactId', stored.contact_id, 'status', 'duplicate');
  end
  $$;
