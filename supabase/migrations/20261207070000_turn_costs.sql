-- What every turn pays for, made cheaper. app.speaks_for_scope is checked for each transcript line
-- and memory a contact's scope writes; as an SQL function (which cannot be inlined, as it holds a
-- subquery) it was planned again on every call. In PL/pgSQL its plan is kept for the session. The
-- outbox had the same partial index twice; one is kept.

create or replace function app.speaks_for_scope(contact uuid) returns boolean
  language plpgsql stable set search_path from current
  as $$
begin
  return contact is null or contact = app.contact() or exists (
    select 1 from group_members g
    where g.tenant_id = app.tenant() and g.group_contact_id = app.contact() and g.member_contact_id = contact);
end
$$;

drop index if exists outbox_due;
