-- Wake-ups between processes on one PostgreSQL: a statement that queues turns or replies notifies
-- the listeners (other processes' workers and waiting outbox claims) when its transaction commits.
-- Only the channel name is sent, never a row: every listener looks for itself, in its own scope.
-- Notifications of one transaction are folded into one, so a batch costs one wake-up.

-- The trigger's argument is the channel to notify.
create function app.notify_queued() returns trigger
  language plpgsql
  as $$
begin
  perform pg_notify(tg_argv[0], '');
  return null;
end
$$;

create trigger turn_queue_wake_up after insert on turn_queue
  for each statement execute function app.notify_queued('sb_turns');

create trigger outbox_wake_up after insert on outbox
  for each statement execute function app.notify_queued('sb_outbox');
