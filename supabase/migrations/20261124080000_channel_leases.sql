-- Which gateway runs a channel account. An account must have one live connection: a second
-- WhatsApp socket replaces the first (close code 440), a second Telegram long poll gets 409, and a
-- second Discord connection receives every message twice. With several `sb serve` processes on one
-- database, each gateway connects an account only while it holds the account's lease, renewing it
-- well before it expires; a gateway that dies loses it at expiry and another one takes over.
create table channel_leases (
  tenant_id uuid not null,
  channel text not null,
  account_key text not null,
  holder text not null check (length(holder) between 1 and 200),
  expires_at timestamptz not null,
  primary key (tenant_id, channel, account_key),
  foreign key (tenant_id, channel, account_key) references channel_accounts (tenant_id, channel, account_key) on delete cascade
);

grant select, insert, update, delete on channel_leases to sb_app;
alter table channel_leases enable row level security;
alter table channel_leases force row level security;
create policy channel_leases_owner on channel_leases for all to sb_app
  using (tenant_id = app.tenant() and app.is_owner())
  with check (tenant_id = app.tenant() and app.is_owner());
