-- Erasure finds everything a contact left behind. A contact merged into another speaks as the
-- merge target; `origin_contact_id` keeps the speaker's own contact (its identity's, before the
-- merge) when it differs from the recorded speaker, so erasing that contact finds what it said
-- while merged (on a reply: the origin of the message it answers). `quoted_contact_ids` are the
-- contacts whose memories a reply's turn was shown: erasing one of them redacts that reply.
alter table inbound_events add column origin_contact_id uuid,
  add column reply_quoted_contact_ids uuid[] not null default '{}',
  add constraint inbound_events_origin_contact_fk foreign key (tenant_id, origin_contact_id) references contacts (tenant_id, id);
create index inbound_events_by_origin on inbound_events (tenant_id, origin_contact_id) where origin_contact_id is not null;
create index inbound_events_by_reply_quote on inbound_events using gin (reply_quoted_contact_ids)
  where cardinality(reply_quoted_contact_ids) > 0;

alter table messages add column origin_contact_id uuid,
  add column quoted_contact_ids uuid[] not null default '{}',
  add constraint messages_origin_contact_fk foreign key (tenant_id, origin_contact_id) references contacts (tenant_id, id);
create index messages_by_origin on messages (tenant_id, origin_contact_id) where origin_contact_id is not null;
create index messages_by_quote on messages using gin (quoted_contact_ids) where cardinality(quoted_contact_ids) > 0;
