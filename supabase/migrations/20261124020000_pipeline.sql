-- The message pipeline: inbound events (the durable, deduplicated log of what arrived), the turn
-- queue (claimable rows only; a finished turn deletes its row so the claim index stays small),
-- the outbox (replies addressed from the inbound envelope), pairing requests and rate buckets.
--
-- Workers claim from turn_queue across tenants as sb_app with app.worker set: the queue holds
-- ids and lanes only, never content. Everything else a turn touches is read in the turn's scope.

create function app.is_worker() returns boolean
  language sql stable
  as $$ select coalesce(nullif(current_setting('app.worker', true), '')::boolean, false) $$;

grant execute on function app.is_worker() to sb_app;

-- Who may talk to the agents: 'default' follows the agent's DM policy; 'allowed' passes an
-- allowlist or pairing policy; 'blocked' is never answered.
alter table contacts add column access text not null default 'default'
  check (access in ('default', 'allowed', 'blocked'));

-- contact_id is the turn's scope (the sender for a direct chat, the group for a group chat, NULL
-- for the owner's own chat); sender_contact_id the speaker.
create table inbound_events (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants (id) on delete cascade,
  agent_id uuid not null,
  contact_id uuid,
  sender_contact_id uuid,
  channel text not null check (channel in ('telegram', 'whatsapp', 'discord', 'cli', 'web')),
  account_key text not null check (length(account_key) between 1 and 128),
  chat_id text not null check (length(chat_id) <= 128),
  chat_type text not null check (chat_type in ('direct', 'group')),
  thread_key text not null default '' check (length(thread_key) <= 200),
  platform_message_id text not null check (length(platform_message_id) between 1 and 128),
  text text not null,
  mentioned boolean not null default false,
  status text not null check (status in ('queued', 'done', 'failed', 'ignored', 'blocked')),
  reason text,
  session_id uuid,
  reply_text text,
  error text,
  created_at timestamptz not null default now(),
  finished_at timestamptz,
  foreign key (tenant_id, agent_id) references agents (tenant_id, id),
  foreign key (tenant_id, contact_id) references contacts (tenant_id, id),
  foreign key (tenant_id, sender_contact_id) references contacts (tenant_id, id)
);
-- Dedupe on the platform's own message id, per receiving account and chat.
create unique index inbound_events_platform_id on inbound_events
  (tenant_id, channel, account_key, chat_id, platform_message_id);
create index inbound_events_by_contact on inbound_events (tenant_id, contact_id, created_at);
create index inbound_events_by_sender on inbound_events (tenant_id, sender_contact_id)
  where sender_contact_id is not null;

-- One row per turn waiting or running. lane = tenant/agent/contact-or-owner/thread: FIFO within a
-- lane, parallel across lanes. A claim sets claimed_by (a fresh token) and a lease; finishing
-- deletes the row only while the token still matches.
create table turn_queue (
  seq bigint generated always as identity primary key,
  tenant_id uuid not null,
  event_id uuid not null unique,
  contact_id uuid,
  lane text not null,
  claimed_by uuid,
  lease_until timestamptz,
  attempts integer not null default 0,
  enqueued_at timestamptz not null default now(),
  foreign key (tenant_id, contact_id) references contacts (tenant_id, id)
);
create index turn_queue_by_lane on turn_queue (lane, seq);
create index turn_queue_by_contact on turn_queue (tenant_id, contact_id);

-- Replies to deliver on a channel, addressed from the inbound envelope; one per inbound event.
create table outbox (
  id uuid primary key default gen_random_uuid(),
  seq bigint generated always as identity,
  tenant_id uuid not null references tenants (id) on delete cascade,
  event_id uuid not null unique,
  contact_id uuid,
  channel text not null check (channel in ('telegram', 'whatsapp', 'discord', 'cli', 'web')),
  account_key text not null,
  chat_id text not null,
  thread_key text not null default '',
  reply_to text,
  text text not null,
  status text not null default 'pending' check (status in ('pending', 'sent', 'failed')),
  attempts integer not null default 0,
  last_error text,
  created_at timestamptz not null default now(),
  sent_at timestamptz,
  foreign key (tenant_id, contact_id) references contacts (tenant_id, id)
);
create index outbox_pending on outbox (tenant_id, channel, account_key, seq) where status = 'pending';
create index outbox_by_contact on outbox (tenant_id, contact_id);

-- A pending pairing: the sender got the code; the owner approves it.
create table pairing_requests (
  tenant_id uuid not null,
  code text not null check (code ~ '^[A-Z0-9]{6,12}$'),
  contact_id uuid not null,
  created_at timestamptz not null default now(),
  primary key (tenant_id, code),
  unique (tenant_id, contact_id),
  foreign key (tenant_id, contact_id) references contacts (tenant_id, id)
);

-- Per-contact token buckets: tokens left at updated_at; refilled lazily when a message arrives.
create table rate_buckets (
  tenant_id uuid not null,
  contact_id uuid not null,
  tokens double precision not null,
  updated_at timestamptz not null default now(),
  primary key (tenant_id, contact_id),
  foreign key (tenant_id, contact_id) references contacts (tenant_id, id)
);

-- Privileges and row-level security -----------------------------------------------------------

grant select, insert, update, delete on inbound_events, turn_queue, outbox, pairing_requests, rate_buckets to sb_app;

alter table inbound_events enable row level security;
alter table inbound_events force row level security;
create policy inbound_events_scoped on inbound_events for all to sb_app
  using (tenant_id = app.tenant() and (app.is_owner() or contact_id = app.contact()))
  with check (tenant_id = app.tenant() and (app.is_owner() or contact_id = app.contact()));

alter table turn_queue enable row level security;
alter table turn_queue force row level security;
create policy turn_queue_scoped on turn_queue for all to sb_app
  using (tenant_id = app.tenant() and (app.is_owner() or contact_id = app.contact()))
  with check (tenant_id = app.tenant() and (app.is_owner() or contact_id = app.contact()));
-- Workers see every tenant's queue rows (ids and lanes, no content) to claim and release them.
create policy turn_queue_worker_read on turn_queue for select to sb_app using (app.is_worker());
create policy turn_queue_worker_claim on turn_queue for update to sb_app
  using (app.is_worker()) with check (app.is_worker());

alter table outbox enable row level security;
alter table outbox force row level security;
create policy outbox_scoped on outbox for all to sb_app
  using (tenant_id = app.tenant() and (app.is_owner() or contact_id = app.contact()))
  with check (tenant_id = app.tenant() and (app.is_owner() or contact_id = app.contact()));

alter table pairing_requests enable row level security;
alter table pairing_requests force row level security;
create policy pairing_requests_owner on pairing_requests for all to sb_app
  using (tenant_id = app.tenant() and app.is_owner())
  with check (tenant_id = app.tenant() and app.is_owner());

alter table rate_buckets enable row level security;
alter table rate_buckets force row level security;
create policy rate_buckets_owner on rate_buckets for all to sb_app
  using (tenant_id = app.tenant() and app.is_owner())
  with check (tenant_id = app.tenant() and app.is_owner());
