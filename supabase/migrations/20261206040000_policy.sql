-- Policy without side doors and floods.
--
-- A refused message (blocked or ignored) keeps at most a 200-character preview of its text: what a
-- stranger floods the agent with is not stored in full. Rows stored before are cut down here.
update inbound_events set text = left(text, 200)
  where status in ('blocked', 'ignored') and length(text) > 200;
alter table inbound_events add constraint inbound_events_refused_preview
  check (status not in ('blocked', 'ignored') or length(text) <= 200);

-- New contacts per tenant: one token bucket row per tenant, taken in the same transaction that
-- creates a contact (its row lock orders concurrent first messages). Refilled lazily.
create table new_contact_buckets (
  tenant_id uuid primary key references tenants (id) on delete cascade,
  tokens double precision not null,
  updated_at timestamptz not null default now()
);

grant select, insert, update, delete on new_contact_buckets to sb_app;
alter table new_contact_buckets enable row level security;
alter table new_contact_buckets force row level security;
create policy new_contact_buckets_owner on new_contact_buckets for all to sb_app
  using (tenant_id = app.tenant() and app.is_owner())
  with check (tenant_id = app.tenant() and app.is_owner());
