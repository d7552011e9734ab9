-- The inbound message whose turn remembered a memory. A turn that runs again after its worker died
-- (its lease ran out) remembers the same content under the same event: it finds the first copy
-- instead of storing a second one.
alter table memories add column source_event_id uuid;
create unique index memories_once_per_turn on memories (tenant_id, source_event_id, md5(content))
  where source_event_id is not null;
