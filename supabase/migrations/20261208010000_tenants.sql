-- Tenants made and erased at run time. The installation's admin token (kind 'admin', no tenant)
-- manages them: its requests run as sb_app with app.admin set, which lets them write tenants and
-- api_tokens and nothing else. Erasing a tenant then enters the tenant's owner scope, so its rows go
-- under the same row-level security as any owner's.

alter table tenants add column name text check (length(name) <= 200);

alter table api_tokens alter column tenant_id drop not null;
alter table api_tokens drop constraint api_tokens_kind_check;
alter table api_tokens add constraint api_tokens_kind_check check (kind in ('owner', 'gateway', 'admin'));
alter table api_tokens add constraint api_tokens_admin_has_no_tenant check ((kind = 'admin') = (tenant_id is null));

create function app.is_admin() returns boolean
  language sql stable
  as $$ select coalesce(nullif(current_setting('app.admin', true), '')::boolean, false) $$;

grant execute on function app.is_admin() to sb_app;

grant insert, delete, update (name) on tenants to sb_app;
create policy tenants_admin_read on tenants for select to sb_app using (app.is_admin());
create policy tenants_admin_update on tenants for update to sb_app using (app.is_admin()) with check (app.is_admin());
create policy tenants_admin_insert on tenants for insert to sb_app with check (app.is_admin());
create policy tenants_admin_delete on tenants for delete to sb_app using (app.is_admin() and slug <> 'default');

grant insert, delete on api_tokens to sb_app;
create policy api_tokens_admin_insert on api_tokens for insert to sb_app
  with check (app.is_admin() and kind = 'owner' and tenant_id is not null);
create policy api_tokens_admin_delete on api_tokens for delete to sb_app
  using (app.is_admin() and tenant_id is not null);
create policy api_tokens_admin_read on api_tokens for select to sb_app
  using (app.is_admin() and tenant_id is not null);

-- A new tenant with its first owner token (its hash) and agent `default` on echo.
create function app.create_tenant(new_slug text, new_name text, owner_token_hash text) returns jsonb
  language plpgsql
  as $$
declare
  made tenants;
begin
  if not app.is_admin() then
    raise exception 'only the installation admin creates tenants' using errcode = '42501';
  end if;
  insert into tenants (slug, name) values (new_slug, new_name) returning * into made;
  insert into api_tokens (tenant_id, kind, token_hash) values (made.id, 'owner', owner_token_hash);
  perform app.enter_scope(made.id, null, true);
  insert into agents (tenant_id, name, provider) values (made.id, 'default', 'echo');
  return jsonb_build_object('id', made.id, 'slug', made.slug, 'name', made.name, 'createdAt', made.created_at);
end
$$;

-- Erases a tenant and every row it has, children before parents; the counts per table. The tenant
-- row is locked first, so a statement of that tenant that checks a reference to it waits and then
-- fails instead of leaving a row behind. `default` stays.
create function app.delete_tenant(gone_slug text) returns jsonb
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
  delete from tenants where id = gone;
  return jsonb_build_object('id', gone, 'deleted', counts);
end
$$;
