-- Channels: bot tokens of channel accounts, a channel's session state (WhatsApp credentials and
-- keys, so another machine can take over), and delivery bookkeeping on the outbox (leases,
-- retries with backoff, parking).

alter table channel_accounts
  add column token text check (length(token) <= 500),
  add column api_root text check (length(api_root) <= 500);

create table channel_state (
  tenant_id uuid not null references tenants (id) on delete cascade,
  channel text not null,
  account_key text not null,
  key text not null check (length(key) between 1 and 300),
  value jsonb not null,
  updated_at timestamptz not null default now(),
  primary key (tenant_id, channel, account_key, key),
  foreign key (tenant_id, channel, account_key) references channel_accounts (tenant_id, channel, account_key) on delete cascade
);

grant select, insert, update, delete on channel_state to sb_app;
alter table channel_state enable row level security;
alter table channel_state force row level security;
create policy channel_state_owner on channel_state for all to sb_app
  using (tenant_id = app.tenant() and app.is_owner())
  with check (tenant_id = app.tenant() and app.is_owner());

-- A row is due when pending and its next attempt has come; a claim leases it to one gateway.
alter table outbox
  add column next_attempt_at timestamptz not null default now(),
  add column leased_until timestamptz;
drop index outbox_pending;
create index outbox_due on outbox (tenant_id, channel, account_key, seq) where status = 'pending';
