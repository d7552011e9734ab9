-- A turn in four statements: accept (the inbound path), claim (app.claim_turns, as the worker),
-- open (app.open_turn) and finish (app.finish_turn), both in the turn's scope. Each is one call, in a
-- transaction of its own. The functions are SECURITY INVOKER and enter the scope (or worker mode)
-- before they touch a row, so row-level security and the restrictive backstops apply to every row
-- they read or write, exactly as in a scoped transaction. Defaults of an agent's config come from
-- the caller: the application's config schema stays their one source.

-- Worker mode, as a worker transaction begins: role sb_app and app.worker, local to the transaction.
create function app.enter_worker() returns void
  language plpgsql
  as $$
begin
  perform set_config('role', 'sb_app', true), set_config('app.worker', 'true', true);
end
$$;

-- The text-search query of a recall: any word of the text, split as the memories' own search column
-- splits content (to_tsvector 'simple'), so a word matches the lexeme it is stored as. NULL when
-- the text has no word.
create function app.recall_query(words text) returns tsquery
  language sql immutable parallel safe
  as $$
    select nullif(string_agg('''' || replace(replace(lexeme, '\', '\\'), '''', '''''') || '''', ' | '), '')::tsquery
    from unnest(to_tsvector('simple', words))
  $$;

-- Claims up to lim lane heads (the lowest seq of each lane) whose lease is free or ran out; rows
-- other workers hold are skipped. Ids and lanes only: the queue holds no content.
create function app.claim_turns(claim uuid, lim integer, lease_ms integer)
  returns table (tenant_id uuid, event_id uuid, contact_id uuid, attempts integer)
  language plpgsql
  as $$
#variable_conflict use_column
begin
  perform app.enter_worker();
  return query
    with heads as materialized (
      select q.seq from turn_queue q
      where (q.lease_until is null or q.lease_until < now())
        and not exists (select 1 from turn_queue p where p.lane = q.lane and p.seq < q.seq)
      order by q.seq
      limit lim
      for update skip locked
    )
    update turn_queue q set claimed_by = claim, lease_until = now() + lease_ms * interval '1 millisecond',
      attempts = q.attempts + 1
    from heads where q.seq = heads.seq
    returning q.tenant_id, q.event_id, q.contact_id, q.attempts;
end
$$;

-- Extends the leases of the turns still running under a claim; returns how many it extended.
create function app.renew_turn_leases(claim uuid, events uuid[], lease_ms integer) returns integer
  language plpgsql
  as $$
declare
  renewed integer;
begin
  perform app.enter_worker();
  update turn_queue q set lease_until = now() + lease_ms * interval '1 millisecond'
    where q.claimed_by = claim and q.event_id = any (events);
  get diagnostics renewed = row_count;
  return renewed;
end
$$;

-- Opens a claimed turn in its scope: {kind: 'skip'} when its event is no longer queued (or not
-- visible to the scope), {kind: 'refused'} when the queue row's scope is not its event's contact
-- (both remove the queue row under the claim and open nothing); {kind: 'command'} with the event
-- and agent when the text matches command_pattern (a chat command: no session, no recall); else
-- {kind: 'agent'}: the open session (a new one when the agent changed provider), its last
-- history_limit messages oldest first, the provider session a fork continues, and the memories
-- recalled for the first recall_chars characters of the text (none with memory 'off').
-- The memory search of the `recall` tool and of a turn's context, in one place: the scope's own
-- memories and the shared ones (the owner's scope: all of the tenant's), matching any word of the
-- query (split as the search column splits content) or resembling it, best first. `of_owner` keeps
-- the owner's own memories only, `of_contact` one contact's (the owner's filters).
create function app.search_memories(query text, lim integer, of_owner boolean, of_contact uuid)
  returns table (id uuid, contact_id uuid, author_contact_id uuid, visibility text, content text,
    created_at timestamptz, updated_at timestamptz, score real)
  language sql stable
  as $$
    select m.id, m.contact_id, m.author_contact_id, m.visibility, m.content, m.created_at, m.updated_at,
      coalesce(ts_rank(m.search, q.words), 0) + word_similarity(query, m.content) as score
    from memories m cross join (select app.recall_query(query) as words offset 0) q
    where m.tenant_id = app.tenant() and (app.is_owner() or m.contact_id = app.contact() or m.visibility = 'shared')
      and (not of_owner or m.contact_id is null) and (of_contact is null or m.contact_id = of_contact)
      and (m.search @@ q.words or query <% m.content)
    order by score desc, m.updated_at desc, m.id
    limit lim
  $$;

create function app.open_turn(tenant uuid, contact uuid, owner boolean, event uuid, claim uuid,
    command_pattern text, memory_default text, reset_default text,
    history_limit integer, recall_limit integer, recall_chars integer) returns json
  language plpgsql
  as $$
declare
  ev inbound_events;
  ag agents;
  ses sessions;
  agent_json json;
  fork_from text;
  history json;
  recalled json := '[]';
  recall_text text;
begin
  perform app.enter_scope(tenant, contact, owner);
  select e.* into ev from inbound_events e where e.tenant_id = tenant and e.id = event and e.status = 'queued';
  if not found or ev.contact_id is distinct from contact then
    delete from turn_queue q where q.tenant_id = tenant and q.event_id = event and q.claimed_by = claim;
    if ev.id is null then
      return json_build_object('kind', 'skip');
    end if;
    return json_build_object('kind', 'refused', 'event_contact_id', ev.contact_id);
  end if;

  select a.* into ag from agents a where a.tenant_id = tenant and a.id = ev.agent_id;
  agent_json := json_build_object('id', ag.id, 'name', ag.name, 'provider', ag.provider,
    'systemPrompt', ag.system_prompt, 'config', ag.config);
  if command_pattern is not null and ev.text ~* command_pattern then
    return json_build_object('kind', 'command', 'event', to_json(ev), 'agent', agent_json);
  end if;

  -- The open session, read first: most turns resume one, and a read writes nothing.
  select s.* into ses from sessions s
    where s.tenant_id = tenant and s.agent_id = ag.id and s.contact_id is not distinct from contact
      and s.thread_key = ev.thread_key and s.status = 'open';
  if not found then
    insert into sessions as s (tenant_id, agent_id, contact_id, thread_key, provider)
      values (tenant, ag.id, contact, ev.thread_key, ag.provider)
      on conflict (tenant_id, agent_id, contact_id, thread_key) where status = 'open' do update set updated_at = now()
      returning s.* into ses;
  end if;
  if ses.provider <> ag.provider then
    -- The agent changed provider: another provider's session id means nothing to this one.
    update sessions s set status = 'closed', closed_at = now(), updated_at = now()
      where s.tenant_id = tenant and s.id = ses.id;
    insert into sessions as s (tenant_id, agent_id, contact_id, thread_key, provider)
      values (tenant, ag.id, contact, ev.thread_key, ag.provider)
      returning s.* into ses;
  end if;

  if coalesce(ag.config ->> 'reset', reset_default) = 'fork' and ses.provider_session_id is null then
    select s.provider_session_id into fork_from from sessions s
      where s.tenant_id = tenant and s.agent_id = ag.id and s.contact_id is not distinct from contact
        and s.thread_key = ev.thread_key and s.status = 'closed' and s.provider = ag.provider
        and s.provider_session_id is not null
      order by s.closed_at desc limit 1;
  end if;

  select coalesce(json_agg(h order by h.seq), '[]') into history from (
    select m.id, m.session_id, m.contact_id, m.sender_contact_id, m.direction, m.channel, m.account_key, m.chat_id,
      m.platform_message_id, m.text, m.usage, m.created_at, m.seq
    from messages m where m.tenant_id = tenant and m.session_id = ses.id
    order by m.seq desc limit history_limit
  ) h;

  if coalesce(ag.config ->> 'memory', memory_default) <> 'off' then
    recall_text := left(ev.text, recall_chars);
    select coalesce(json_agg(r order by r.score desc, r.updated_at desc, r.id), '[]') into recalled
      from app.search_memories(recall_text, recall_limit, false, null) r;
  end if;

  return json_build_object('kind', 'agent', 'event', to_json(ev), 'agent', agent_json, 'session', to_json(ses),
    'history', history, 'recalled', recalled, 'fork_from', fork_from);
end
$$;

-- Finishes a claimed turn in its scope, all or nothing, and answers {result: …}: 'lost' (nothing
-- changed) when the claim no longer holds the queue row or the scope cannot see the event;
-- 'refused' with the event's contact (the queue row removed under the claim, nothing else) when the
-- event is not the scope's contact's; else 'finished': the
-- queue row deleted, the outcome on the event, the transcript in turn_session (the message, and the
-- reply when there is one), the provider's session id compare-and-set on the still open session,
-- and, for an event that is delivered, the outbox row with outbox_text (none when it is null).
create function app.finish_turn(tenant uuid, contact uuid, owner boolean, event uuid, claim uuid,
    turn_status text, turn_session uuid, turn_reply text, turn_error text, turn_usage jsonb, turn_quoted uuid[],
    provider_expected text, provider_next text, outbox_text text) returns json
  language plpgsql
  as $$
declare
  ev inbound_events;
  answered_id uuid;
begin
  perform app.enter_scope(tenant, contact, owner);
  select e.* into ev from inbound_events e where e.tenant_id = tenant and e.id = event;
  if not found then
    return json_build_object('result', 'lost');
  end if;
  delete from turn_queue q where q.tenant_id = tenant and q.event_id = event and q.claimed_by = claim;
  if not found then
    return json_build_object('result', 'lost');
  end if;
  if ev.contact_id is distinct from contact then
    return json_build_object('result', 'refused', 'event_contact_id', ev.contact_id);
  end if;

  update inbound_events e set status = turn_status, session_id = turn_session, reply_text = turn_reply,
    error = turn_error, finished_at = now(), reply_quoted_contact_ids = coalesce(turn_quoted, '{}')
    where e.tenant_id = tenant and e.id = event;

  if turn_session is not null then
    -- Both lines carry the speaker's own contact when it spoke while merged into another.
    answered_id := case when ev.sender_contact_id is distinct from ev.contact_id then ev.sender_contact_id end;
    insert into messages as m (tenant_id, session_id, contact_id, sender_contact_id, answered_contact_id, direction,
        channel, account_key, chat_id, platform_message_id, text, usage, origin_contact_id, quoted_contact_ids)
      select s.tenant_id, s.id, s.contact_id, v.sender, v.answered, v.direction, ev.channel, ev.account_key, ev.chat_id,
        v.platform_message_id, v.body, v.usage, ev.origin_contact_id, v.quoted
      from sessions s
      cross join (values
          (1, ev.sender_contact_id, null::uuid, 'inbound', ev.platform_message_id, ev.text, null::jsonb, '{}'::uuid[]),
          (2, null::uuid, answered_id, 'outbound', null::text, turn_reply, turn_usage, coalesce(turn_quoted, '{}')))
        as v (ord, sender, answered, direction, platform_message_id, body, usage, quoted)
      where s.tenant_id = tenant and s.id = turn_session and (owner or s.contact_id = contact)
        and (v.ord = 1 or turn_reply is not null)
      order by v.ord
      on conflict (tenant_id, channel, account_key, chat_id, direction, platform_message_id) do nothing;
    if provider_next is not null and provider_next is distinct from provider_expected then
      -- A reset since the turn opened wins: the id is then not stored on the closed session.
      update sessions s set provider_session_id = provider_next, updated_at = now()
        where s.tenant_id = tenant and (owner or s.contact_id = contact) and s.id = turn_session
          and s.status = 'open' and s.provider_session_id is not distinct from provider_expected;
    end if;
  end if;

  if ev.deliver and outbox_text is not null then
    insert into outbox (tenant_id, event_id, contact_id, channel, account_key, chat_id, thread_key, reply_to, text)
      values (tenant, ev.id, ev.contact_id, ev.channel, ev.account_key, ev.chat_id, ev.thread_key,
        ev.platform_message_id, outbox_text)
      on conflict (event_id) do nothing;
  end if;
  return json_build_object('result', 'finished');
end
$$;
