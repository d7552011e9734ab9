-- What /metrics and /readyz read after start-up as sb_app, outside any scope: counts across every
-- tenant (numbers only: no ids, no text) and the names of the applied migrations. The counts run as
-- the schema owner because no scope sees the outbox of every tenant; they return nothing else.
create function app.operation_counts()
  returns table (turns_queued bigint, oldest_queued_seconds double precision, outbox_pending bigint, outbox_failed bigint)
  language sql stable security definer set search_path from current
  as $$
    select (select count(*) from turn_queue),
      (select coalesce(extract(epoch from now() - min(enqueued_at)), 0)::double precision from turn_queue),
      (select count(*) from outbox where status = 'pending'),
      (select count(*) from outbox where status = 'failed')
  $$;

revoke all on function app.operation_counts() from public;
grant execute on function app.operation_counts() to sb_app;

-- Failed replies are few and kept: counted through their own index, not a scan of every reply sent.
create index outbox_failed on outbox (tenant_id) where status = 'failed';

-- The record of applied migrations, made as the server's migrator makes it: a schema that
-- `supabase db push` builds before any server ran has it too.
create table if not exists sb_migrations (name text primary key, checksum text not null, applied_at timestamptz not null default now());
grant select on sb_migrations to sb_app;
