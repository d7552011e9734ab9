-- The console reads messages by time across a tenant: usage per day, and the live feed of new
-- messages (what arrived in the last seconds).
create index messages_by_time on messages (tenant_id, created_at);
