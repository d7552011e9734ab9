-- A group chat's title (`chat.title` of the inbound body) names the group contact: app.accept_message
-- takes it as its last argument and passes it to app.resolve_identity, which sets the contact's
-- display name when the group is created and again whenever the title it is given differs (the
-- contact shows the chat's current title; a message without a title leaves the name as it is).
-- The title is stored as sent; what a terminal would act on is removed where it is printed.
-- Still SECURITY INVOKER, entering the caller's scope first: row-level security applies as before.

drop function app.accept_message(uuid, uuid, boolean, boolean, text, text, text, text, text, text, text, boolean,
  text, text, text, boolean, boolean, jsonb);

-- The accept. $4 on of a `db.call`: whether the gateway posts it (then the agent is the receiving
-- account's: `no_account`, or `other_agent` when the message names another), the agent's name, the
-- envelope, the sender (null: the owner's own chat), the text, whether the bot is addressed, and
-- AgentPolicy's defaults, and the group's title (null: none given). Answers {eventId, contactId,
-- status, reason, reply} or {refused, ...}.
-- The lane is tenant/agent/contact-or-owner/thread: FIFO within it, parallel across lanes.
create function app.accept_message(tenant uuid, contact uuid, owner boolean, from_gateway boolean, agent_name text,
  in_channel text, in_account text, in_chat text, in_chat_type text, in_thread text, in_message_id text,
  in_deliver boolean, sender text, sender_name text, body text, in_mentioned boolean, addressed boolean,
  policy_defaults jsonb, chat_title text)
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
          select * into chat from app.resolve_identity(in_channel, in_chat, 'group', chat_title);
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

create or replace function app.accept_messages(calls jsonb) returns setof jsonb
  language plpgsql set search_path from current
  as $$
declare
  c jsonb;
begin
  for c in select value from jsonb_array_elements(calls) with ordinality order by ordinality loop
    begin
      return next jsonb_build_object('ok', app.accept_message((c->>0)::uuid, (c->>1)::uuid, (c->>2)::boolean,
        (c->>3)::boolean, c->>4, c->>5, c->>6, c->>7, c->>8, c->>9, c->>10, (c->>11)::boolean, c->>12, c->>13,
        c->>14, (c->>15)::boolean, (c->>16)::boolean, (c->>17)::jsonb, c->>18));
    exception when others then
      return next jsonb_build_object('error', sqlerrm, 'code', sqlstate);
    end;
  end loop;
end
$$;
