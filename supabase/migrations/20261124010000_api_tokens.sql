-- API tokens, stored as SHA-256 hashes. A request authenticates before any scope exists, so the
-- lookup sets app.token_hash to the hash of the token it presents: sb_app can read a token row
-- only by already knowing the token.

create table api_tokens (
  id uuid primary key default gen_random_uuid(),
  tenant_id uuid not null references tenants (id) on delete cascade,
  kind text not null check (kind in ('owner', 'gateway')),
  token_hash text not null unique check (token_hash ~ '^[0-9a-f]{64}$'),
  created_at timestamptz not null default now()
);
create index api_tokens_by_tenant on api_tokens (tenant_id, kind);

grant select on api_tokens to sb_app;

alter table api_tokens enable row level security;
alter table api_tokens force row level security;
create policy api_tokens_by_hash on api_tokens for select to sb_app
  using (token_hash = nullif(current_setting('app.token_hash', true), ''));
