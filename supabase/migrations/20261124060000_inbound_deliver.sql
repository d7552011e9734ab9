-- Whether the reply to an inbound message goes out through its channel (an outbox row). False for a
-- message that only tests the pipeline, such as `sb chat --sender telegram:123`: its caller gets the
-- reply, and no channel account is asked to send it.
alter table inbound_events add column deliver boolean not null default true;
update inbound_events set deliver = false where channel = 'cli';
