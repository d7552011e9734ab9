-- Supabase Auth users who own a tenant. A member is linked by user id, or by email until the first
-- verified sign-in of that address binds its user id. Like api_tokens, a request authenticates
-- before any scope exists: the lookup sets app.auth_user (and, to bind, app.auth_email) and sb_app
-- sees only the row those settings name. The admin links members; erasing a tenant removes them.

create table tenant_members (
  tenant_id uuid not null references tenants (id) on delete cascade,
  user_id uuid,
  email text check (email = lower(email) and length(email) between 3 and 320),
  role text not null default 'owner' check (role in ('owner')),
  created_at timestamptz not null default now(),
  check (user_id is not null or email is not null),
  unique (tenant_id, user_id),
  unique (tenant_id, email)
);
-- A user owns at most one tenant, and an address waits to be bound in at most one.
create unique index tenant_members_one_tenant_per_user on tenant_members (user_id);
create unique index tenant_members_one_pending_email on tenant_members (email) where user_id is null;

grant select, insert, delete, update (user_id) on tenant_members to sb_app;

alter table tenant_members enable row level security;
alter table tenant_members force row level security;

create function app.auth_user() returns uuid
  language sql stable
  as $$ select nullif(current_setting('app.auth_user', true), '')::uuid $$;
create function app.auth_email() returns text
  language sql stable
  as $$ select nullif(current_setting('app.auth_email', true), '') $$;
grant execute on function app.auth_user() to sb_app;
grant execute on function app.auth_email() to sb_app;

create policy tenant_members_by_user on tenant_members for select to sb_app
  using (user_id = app.auth_user());
create policy tenant_members_pending_by_email on tenant_members for select to sb_app
  using (user_id is null and email = app.auth_email());
create policy tenant_members_bind on tenant_members for update to sb_app
  using (user_id is null and email = app.auth_email())
  with check (user_id = app.auth_user() and email = app.auth_email());
create policy tenant_members_admin_read on tenant_members for select to sb_app using (app.is_admin());
create policy tenant_members_admin_insert on tenant_members for insert to sb_app with check (app.is_admin());
create policy tenant_members_admin_delete on tenant_members for delete to sb_app using (app.is_admin());

-- As in 20261208010000_tenants.sql, and the tenant's members go with its tokens.
create or replace function app.delete_tenant(gone_slug text) returns jsonb
  language plpgsql
  as $$
declare
  gone uuid;
  counts jsonb := '{}';
  n bigint;
  tbl text;
begin
  if not app.is_admin() then
    raise exception 'only the installation admin erases tenants' using errcode = '42501';
  end if;
  if gone_slug = 'default' then
    raise exception 'the default tenant cannot be erased' using errcode = '22023';
  end if;
  select t.id into gone from tenants t where t.slug = gone_slug for update;
  if gone is null then
    return null;
  end if;
  perform app.enter_scope(gone, null, true);
  foreach tbl in array array['turn_queue', 'outbox', 'pairing_requests', 'rate_buckets', 'new_contact_buckets',
    'memory_events', 'memories', 'messages', 'inbound_events', 'sessions', 'group_members', 'contact_identities',
    'contacts', 'channel_leases', 'channel_state', 'channel_accounts', 'agents']
  loop
    execute format('delete from %I where tenant_id = $1', tbl) using gone;
    get diagnostics n = row_count;
    counts := counts || jsonb_build_object(tbl, n);
  end loop;
  delete from api_tokens where tenant_id = gone;
  get diagnostics n = row_count;
  counts := counts || jsonb_build_object('api_tokens', n);
  delete from tenant_members where tenant_id = gone;
  get diagnostics n = row_count;
  counts := counts || jsonb_build_object('tenant_members', n);
  delete from tenants where id = gone;
  return jsonb_build_object('id', gone, 'deleted', counts);
end
$$;

-- On Supabase the public API roles get every new public table by default privileges: take them
-- back, as 20261208050000_supabase_compat.sql did for the tables before this one.
do $$
declare
  api_role text;
begin
  foreach api_role in array array['anon', 'authenticated'] loop
    continue when not exists (select 1 from pg_roles where rolname = api_role);
    execute format('revoke all on table tenant_members from %I', api_role);
  end loop;
end
$$;
