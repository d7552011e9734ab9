-- Switchboard foundation: tenants, agents, channel accounts, contacts and identities, groups,
-- sessions, messages, memories and their history, all isolated by row-level security.
--
-- The application works as role sb_app (neither superuser nor BYPASSRLS). Each transaction sets
-- app.tenant_id, app.contact_id and app.is_owner with set_config(..., true). Unset settings match
-- nothing, and contact_id = app.contact() never matches NULL, so a contact never sees owner rows.

create extension if not exists pg_trgm;

do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'sb_app') then
    create role sb_app nologin nosuperuser nobypassrls;
  end if;
exception when duplicate_object or unique_violation then
  null; -- created concurrently by another database's migration on the same cluster
end
$$;

grant sb_app to current_user;

-- Scope accessors ---------------------------------------------------------------------------------

create schema if not exists app;
grant usage on schema app to sb_app;

create function app.tenant() returns uuid
  language sql stable
  as $$ select nullif(current_setting('app.tenant_id', true), '')::uuid $$;

create function app.contact() returns uuid
  language sql stable
  as $$ select nullif(current_setting('app.contact_id', true), '')::uuid $$;

create function app.is_owner() returns boolean
  language sql stable
  as $$ select coalesce(nullif(current_setting('app.is_owner', true), '')::boolean, false) $$;

grant execute on function app.tenant(), app.contact(), app.is_owner() to sb_app;

-- Tenants and agents ------------------------------------------------------------------------------

create table tenants (
  id uuid primary key default gen_random_uuid(),
  slug text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  created_at timestamptz not null default now()
);

create table agents (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants (id) on delete cascade,
  name text not null check (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
  provider text not null check (provider in ('echo', 'claude', 'codex', 'opencode', 'openai', 'anthropic')),
  system_prompt text not null default '',
  config jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (tenant_id, name),
  unique (tenant_id, id)
);

create table channel_accounts (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants (id) on delete cascade,
  channel text not null check (channel in ('telegram', 'whatsapp', 'discord', 'cli', 'web')),
  account_key text not null check (length(account_key) between 1 and 128),
  agent_id uuid not null,
  config jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  unique (tenant_id, channel, account_key),
  foreign key (tenant_id, agent_id) references agents (tenant_id, id)
);
create index channel_accounts_agent on channel_accounts (tenant_id, agent_id);

-- Contacts ----------------------------------------------------------------------------------------

create table contacts (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants (id) on delete cascade,
  kind text not null check (kind in ('person', 'group')),
  display_name text check (length(display_name) <= 200),
  merged_into uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (tenant_id, id),
  check (merged_into is distinct from id),
  foreign key (tenant_id, merged_into) references contacts (tenant_id, id)
);
create index contacts_by_tenant on contacts (tenant_id, created_at);
create index contacts_merged on contacts (tenant_id, merged_into) where merged_into is not null;

-- The identity row is written first and names the contact it creates in the same statement,
-- so the foreign key is checked at commit.
create table contact_identities (
  tenant_id uuid not null,
  channel text not null check (channel in ('telegram', 'whatsapp', 'discord', 'cli', 'web')),
  external_id text not null check (length(external_id) between 1 and 128),
  contact_id uuid not null,
  created_at timestamptz not null default now(),
  primary key (tenant_id, channel, external_id),
  foreign key (tenant_id, contact_id) references contacts (tenant_id, id) deferrable initially deferred
);
create index contact_identities_by_contact on contact_identities (tenant_id, contact_id);

create table group_members (
  tenant_id uuid not null,
  group_contact_id uuid not null,
  member_contact_id uuid not null,
  joined_at timestamptz not null default now(),
  primary key (tenant_id, group_contact_id, member_contact_id),
  foreign key (tenant_id, group_contact_id) references contacts (tenant_id, id),
  foreign key (tenant_id, member_contact_id) references contacts (tenant_id, id)
);
create index group_members_by_member on group_members (tenant_id, member_contact_id);

-- Sessions and transcript -------------------------------------------------------------------------

-- contact_id NULL is the owner's own session; at most one open session per key, NULL included.
create table sessions (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null,
  agent_id uuid not null,
  contact_id uuid,
  thread_key text not null default '' check (length(thread_key) <= 200),
  provider text not null check (provider in ('echo', 'claude', 'codex', 'opencode', 'openai', 'anthropic')),
  provider_session_id text,
  status text not null default 'open' check (status in ('open', 'closed')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  closed_at timestamptz,
  unique (tenant_id, id),
  foreign key (tenant_id, agent_id) references agents (tenant_id, id),
  foreign key (tenant_id, contact_id) references contacts (tenant_id, id)
);
create unique index sessions_one_open on sessions (tenant_id, agent_id, contact_id, thread_key)
  nulls not distinct where status = 'open';
create index sessions_by_contact on sessions (tenant_id, contact_id, created_at desc);

-- contact_id is the session's scope (the group for a group chat); sender_contact_id the speaker.
create table messages (
  id uuid primary key default gen_random_uuid(),
  seq bigint generated always as identity,
  tenant_id uuid not null,
  session_id uuid not null,
  contact_id uuid,
  sender_contact_id uuid,
  direction text not null check (direction in ('inbound', 'outbound')),
  channel text not null check (channel in ('telegram', 'whatsapp', 'discord', 'cli', 'web')),
  account_key text not null default 'default' check (length(account_key) between 1 and 128),
  chat_id text not null default '' check (length(chat_id) <= 128),
  platform_message_id text check (length(platform_message_id) <= 128),
  text text not null,
  created_at timestamptz not null default now(),
  foreign key (tenant_id, session_id) references sessions (tenant_id, id) on delete cascade,
  foreign key (tenant_id, contact_id) references contacts (tenant_id, id),
  foreign key (tenant_id, sender_contact_id) references contacts (tenant_id, id)
);
-- The platform's message id is unique per receiving account and chat (two bots may share a group).
create unique index messages_platform_id on messages
  (tenant_id, channel, account_key, chat_id, direction, platform_message_id);
create index messages_by_session on messages (tenant_id, session_id, seq);
create index messages_by_contact on messages (tenant_id, contact_id);
create index messages_by_sender on messages (tenant_id, sender_contact_id) where sender_contact_id is not null;

-- Memories ----------------------------------------------------------------------------------------

-- contact_id NULL is the owner's; 'shared' memories are visible to every contact's turns.
-- author_contact_id is the speaker whose turn wrote it (a member, for a group's memory).
create table memories (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants (id) on delete cascade,
  contact_id uuid,
  author_contact_id uuid,
  visibility text not null default 'private' check (visibility in ('private', 'shared')),
  content text not null check (length(content) between 1 and 8000),
  search tsvector generated always as (to_tsvector('simple', content)) stored,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  foreign key (tenant_id, contact_id) references contacts (tenant_id, id),
  foreign key (tenant_id, author_contact_id) references contacts (tenant_id, id)
);
create index memories_by_contact on memories (tenant_id, contact_id, updated_at desc);
create index memories_shared on memories (tenant_id, updated_at desc) where visibility = 'shared';
create index memories_by_author on memories (tenant_id, author_contact_id) where author_contact_id is not null;
create index memories_search on memories using gin (search);
create index memories_trigram on memories using gin (content gin_trgm_ops);

-- Append-only: sb_app may insert and read, never update; rows go only when a contact is erased.
create table memory_events (
  id bigint generated always as identity primary key,
  tenant_id uuid not null references tenants (id) on delete cascade,
  memory_id uuid not null,
  contact_id uuid,
  author_contact_id uuid,
  kind text not null check (kind in ('add', 'edit', 'delete')),
  old_content text,
  new_content text,
  old_visibility text check (old_visibility in ('private', 'shared')),
  new_visibility text check (new_visibility in ('private', 'shared')),
  created_at timestamptz not null default now()
);
create index memory_events_by_memory on memory_events (tenant_id, memory_id, id);
create index memory_events_by_contact on memory_events (tenant_id, contact_id);
create index memory_events_by_author on memory_events (tenant_id, author_contact_id) where author_contact_id is not null;

-- Privileges --------------------------------------------------------------------------------------

grant select on tenants to sb_app;
grant select, insert, update, delete on agents, channel_accounts, contacts, contact_identities,
  group_members, sessions, messages, memories to sb_app;
grant select, insert, delete on memory_events to sb_app;

-- Row-level security ------------------------------------------------------------------------------

alter table tenants enable row level security;
alter table tenants force row level security;
create policy tenants_read on tenants for select to sb_app using (id = app.tenant());

alter table agents enable row level security;
alter table agents force row level security;
create policy agents_read on agents for select to sb_app using (tenant_id = app.tenant());
create policy agents_owner_insert on agents for insert to sb_app
  with check (tenant_id = app.tenant() and app.is_owner());
create policy agents_owner_update on agents for update to sb_app
  using (tenant_id = app.tenant() and app.is_owner()) with check (tenant_id = app.tenant());
create policy agents_owner_delete on agents for delete to sb_app
  using (tenant_id = app.tenant() and app.is_owner());

alter table channel_accounts enable row level security;
alter table channel_accounts force row level security;
create policy channel_accounts_owner on channel_accounts for all to sb_app
  using (tenant_id = app.tenant() and app.is_owner())
  with check (tenant_id = app.tenant() and app.is_owner());

alter table contacts enable row level security;
alter table contacts force row level security;
create policy contacts_read on contacts for select to sb_app
  using (tenant_id = app.tenant() and (app.is_owner() or id = app.contact()));
create policy contacts_owner_insert on contacts for insert to sb_app
  with check (tenant_id = app.tenant() and app.is_owner());
create policy contacts_owner_update on contacts for update to sb_app
  using (tenant_id = app.tenant() and app.is_owner()) with check (tenant_id = app.tenant());
create policy contacts_owner_delete on contacts for delete to sb_app
  using (tenant_id = app.tenant() and app.is_owner());

alter table contact_identities enable row level security;
alter table contact_identities force row level security;
create policy contact_identities_read on contact_identities for select to sb_app
  using (tenant_id = app.tenant() and (app.is_owner() or contact_id = app.contact()));
create policy contact_identities_owner_insert on contact_identities for insert to sb_app
  with check (tenant_id = app.tenant() and app.is_owner());
create policy contact_identities_owner_update on contact_identities for update to sb_app
  using (tenant_id = app.tenant() and app.is_owner()) with check (tenant_id = app.tenant());
create policy contact_identities_owner_delete on contact_identities for delete to sb_app
  using (tenant_id = app.tenant() and app.is_owner());

alter table group_members enable row level security;
alter table group_members force row level security;
create policy group_members_read on group_members for select to sb_app
  using (tenant_id = app.tenant() and (app.is_owner() or group_contact_id = app.contact()));
create policy group_members_owner_insert on group_members for insert to sb_app
  with check (tenant_id = app.tenant() and app.is_owner());
create policy group_members_owner_update on group_members for update to sb_app
  using (tenant_id = app.tenant() and app.is_owner()) with check (tenant_id = app.tenant());
create policy group_members_owner_delete on group_members for delete to sb_app
  using (tenant_id = app.tenant() and app.is_owner());

alter table sessions enable row level security;
alter table sessions force row level security;
create policy sessions_scoped on sessions for all to sb_app
  using (tenant_id = app.tenant() and (app.is_owner() or contact_id = app.contact()))
  with check (tenant_id = app.tenant() and (app.is_owner() or contact_id = app.contact()));

alter table messages enable row level security;
alter table messages force row level security;
create policy messages_scoped on messages for all to sb_app
  using (tenant_id = app.tenant() and (app.is_owner() or contact_id = app.contact()))
  with check (tenant_id = app.tenant() and (app.is_owner() or contact_id = app.contact()));

alter table memories enable row level security;
alter table memories force row level security;
create policy memories_read on memories for select to sb_app
  using (tenant_id = app.tenant() and (app.is_owner() or contact_id = app.contact() or visibility = 'shared'));
create policy memories_insert on memories for insert to sb_app
  with check (tenant_id = app.tenant() and (app.is_owner() or (contact_id = app.contact() and visibility = 'private')));
create policy memories_update on memories for update to sb_app
  using (tenant_id = app.tenant() and (app.is_owner() or contact_id = app.contact()))
  with check (tenant_id = app.tenant() and (app.is_owner() or (contact_id = app.contact() and visibility = 'private')));
create policy memories_delete on memories for delete to sb_app
  using (tenant_id = app.tenant() and (app.is_owner() or contact_id = app.contact()));

alter table memory_events enable row level security;
alter table memory_events force row level security;
create policy memory_events_read on memory_events for select to sb_app
  using (tenant_id = app.tenant() and (app.is_owner() or contact_id = app.contact()));
create policy memory_events_insert on memory_events for insert to sb_app
  with check (tenant_id = app.tenant() and (app.is_owner() or contact_id = app.contact()));
create policy memory_events_owner_delete on memory_events for delete to sb_app
  using (tenant_id = app.tenant() and app.is_owner());

-- A fresh install: tenant 'default' with agent 'default' on the built-in echo provider.
insert into tenants (slug) values ('default') on conflict (slug) do nothing;
insert into agents (tenant_id, name, provider)
  select id, 'default', 'echo' from tenants where slug = 'default'
  on conflict (tenant_id, name) do nothing;
