-- The inbound message whose turn remembered a memory. A turn that runs again after its worker died
-- (its lease ran out) remembers the same content under the same event: it finds the first copy
-- instead of storing a second one.
alter table memories add column source_event_id uuid;
-- The scope's contact is part of the key (NULL, the owner's, counts as one), so no other scope's
-- memory can ever stand in for the one a turn remembers.
create unique index memories_once_per_turn on memories (tenant_id, source_event_id, contact_id, md5(content))
  nulls not distinct where source_event_id is not null;
