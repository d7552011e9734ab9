-- Backstops that hold even against a statement injected into a scoped transaction: the worker may
-- change only the claim columns of the turn queue, and what a contact's scope writes names no other
-- contact and no other chat. Each rule is a restrictive policy, added to (ANDed with) the policies
-- that already pick the rows a scope reaches; the owner's scope chooses freely within its tenant.

-- A contact that may be named on a row of the scope: the scope's own contact, or, for a group, one
-- of its members (the speaker of a group message, the author of a group memory).
create function app.speaks_for_scope(contact uuid) returns boolean
  language sql stable set search_path from current
  as $$
    select contact is null or contact = app.contact() or exists (
      select 1 from group_members g
      where g.tenant_id = app.tenant() and g.group_contact_id = app.contact() and g.member_contact_id = contact)
  $$;

-- Whether a memory id names a memory of another scope (another tenant, contact, or the owner). Runs
-- as the schema owner, so a memory the scope cannot see still counts.
create function app.memory_is_foreign(memory uuid) returns boolean
  language sql stable security definer set search_path from current
  as $$
    select exists (
      select 1 from memories m
      where m.id = memory and (m.tenant_id <> app.tenant() or m.contact_id is distinct from app.contact()))
  $$;

revoke all on function app.memory_is_foreign(uuid) from public;
grant execute on function app.speaks_for_scope(uuid), app.memory_is_foreign(uuid) to sb_app;

-- Turn queue: the worker claims, renews and frees (claimed_by, lease_until, attempts) and nothing
-- else; rows are written only when the owner's scope accepts a message.
revoke update on turn_queue from sb_app;
grant update (claimed_by, lease_until, attempts) on turn_queue to sb_app;
create policy turn_queue_insert_backstop on turn_queue as restrictive for insert to sb_app
  with check (app.is_owner());

-- Inbound events: accepted in the owner's scope; a turn (the contact's scope) records its outcome
-- but cannot readdress the event its reply is checked against.
create policy inbound_events_insert_backstop on inbound_events as restrictive for insert to sb_app
  with check (app.is_owner());
create policy inbound_events_delete_backstop on inbound_events as restrictive for delete to sb_app
  using (app.is_owner());

-- Only a contact's scope is held to it: the owner's is free, and so is a statement with no scope
-- at all (a migration; requests without a scope reach no row).
create function app.keep_event_envelope() returns trigger
  language plpgsql
  as $$
  begin
    if app.tenant() is not null and not app.is_owner() and (new.tenant_id, new.agent_id, new.contact_id, new.sender_contact_id, new.channel,
        new.account_key, new.chat_id, new.chat_type, new.thread_key, new.platform_message_id, new.text, new.deliver)
      is distinct from (old.tenant_id, old.agent_id, old.contact_id, old.sender_contact_id, old.channel,
        old.account_key, old.chat_id, old.chat_type, old.thread_key, old.platform_message_id, old.text, old.deliver) then
      raise exception 'permission denied to change where inbound event % came from: only the owner may', old.id
        using errcode = '42501';
    end if;
    return new;
  end
  $$;

create trigger inbound_events_envelope_fixed before update on inbound_events
  for each row execute function app.keep_event_envelope();

-- Outbox: a contact's reply goes to the chat (channel, account, chat, thread) of the event it
-- answers, an event of the same contact; only the owner's scope changes a row afterwards.
create policy outbox_insert_backstop on outbox as restrictive for insert to sb_app
  with check (app.is_owner() or exists (
    select 1 from inbound_events e
    where e.tenant_id = outbox.tenant_id and e.id = outbox.event_id and e.contact_id = outbox.contact_id
      and e.channel = outbox.channel and e.account_key = outbox.account_key and e.chat_id = outbox.chat_id
      and e.thread_key = outbox.thread_key));
create policy outbox_update_backstop on outbox as restrictive for update to sb_app
  using (true) with check (app.is_owner());

-- Transcript: a contact's message goes into one of its own sessions, spoken by (or answering) the
-- contact itself or a member of its group; only the owner's scope changes a message afterwards.
create policy messages_insert_backstop on messages as restrictive for insert to sb_app
  with check (app.is_owner() or (
    app.speaks_for_scope(sender_contact_id) and app.speaks_for_scope(answered_contact_id)
    and exists (
      select 1 from sessions s
      where s.tenant_id = messages.tenant_id and s.id = messages.session_id and s.contact_id = messages.contact_id)));
create policy messages_update_backstop on messages as restrictive for update to sb_app
  using (true) with check (app.is_owner());

-- Memories and their history: written by the contact itself or a member of its group, and a
-- history event belongs to a memory of the same scope.
create policy memories_insert_backstop on memories as restrictive for insert to sb_app
  with check (app.is_owner() or app.speaks_for_scope(author_contact_id));
create policy memories_update_backstop on memories as restrictive for update to sb_app
  using (true) with check (app.is_owner() or app.speaks_for_scope(author_contact_id));
create policy memory_events_insert_backstop on memory_events as restrictive for insert to sb_app
  with check (app.is_owner() or (app.speaks_for_scope(author_contact_id) and not app.memory_is_foreign(memory_id)));
