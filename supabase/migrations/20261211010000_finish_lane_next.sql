-- A finish says whether its chat has another message queued behind the turn (`lane_next`): the
-- worker then claims again at once. Otherwise it claims again only when something may be waiting
-- for it (a wake-up since the turn started, a claim that filled every free slot, a claim in
-- flight), so a quiet chat's turn ends without the empty claim it used to cost. The lane's rows
-- all belong to the turn's chat, so the turn's own scope sees them.

create or replace function app.finish_turn(tenant uuid, contact uuid, owner boolean, event uuid, claim uuid,
    turn_status text, turn_session uuid, turn_reply text, turn_error text, turn_usage jsonb, turn_quoted uuid[],
    provider_expected text, provider_next text, outbox_text text) returns json
  language plpgsql
  as $$
declare
  ev inbound_events;
  answered_id uuid;
  done_lane text;
begin
  perform app.enter_scope(tenant, contact, owner);
  select e.* into ev from inbound_events e where e.tenant_id = tenant and e.id = event;
  if not found then
    return json_build_object('result', 'lost');
  end if;
  delete from turn_queue q where q.tenant_id = tenant and q.event_id = event and q.claimed_by = claim
    returning q.lane into done_lane;
  if not found then
    return json_build_object('result', 'lost');
  end if;
  if ev.contact_id is distinct from contact then
    return json_build_object('result', 'refused', 'event_contact_id', ev.contact_id);
  end if;

  update inbound_events e set status = turn_status, session_id = turn_session, reply_text = turn_reply,
    error = turn_error, finished_at = now(), reply_quoted_contact_ids = case when cardinality(turn_quoted) > 0 then turn_quoted else e.reply_quoted_contact_ids end
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
  return json_build_object('result', 'finished',
    'lane_next', exists (select 1 from turn_queue q where q.lane = done_lane));
end
$$;
