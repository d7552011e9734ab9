-- A reply in a group answers one member: record whom, so erasing that member erases the replies
-- that carry their words (echoes, remembered facts) along with what they said.
alter table messages add column answered_contact_id uuid;
alter table messages add constraint messages_answered_contact_fk
  foreign key (tenant_id, answered_contact_id) references contacts (tenant_id, id);
create index messages_by_answered on messages (tenant_id, answered_contact_id) where answered_contact_id is not null;
