-- Claim and open in one call: app.claim_open_turns claims lane heads as app.claim_turns does (as the
-- worker), then opens each claimed turn with app.open_turn in the turn's own scope, so a worker
-- needs no round trip per turn before running it. Worker mode is left before the first turn is
-- opened: a turn's scope never holds the worker's reach over the queue. Each open runs in a
-- subtransaction of its own; one that fails is undone alone and answered as a null turn (the
-- runner then opens that turn alone, where its error is seen), and a turn past max_attempts is
-- not opened at all (it is recorded as failed without running). Still SECURITY INVOKER.
create function app.claim_open_turns(claim uuid, lim integer, lease_ms integer, max_attempts integer,
    command_pattern text, memory_default text, reset_default text,
    history_limit integer, recall_limit integer, recall_chars integer)
  returns table (tenant_id uuid, event_id uuid, contact_id uuid, attempts integer, turn json)
  language plpgsql
  as $$
declare
  claimed record;
begin
  -- The claim (a set-returning call) has run to its end before the first row comes back.
  for claimed in select c.tenant_id, c.event_id, c.contact_id, c.attempts from app.claim_turns(claim, lim, lease_ms) c loop
    perform set_config('app.worker', 'false', true);
    tenant_id := claimed.tenant_id;
    event_id := claimed.event_id;
    contact_id := claimed.contact_id;
    attempts := claimed.attempts;
    turn := null;
    if claimed.attempts <= max_attempts then
      begin
        turn := app.open_turn(claimed.tenant_id, claimed.contact_id, claimed.contact_id is null, claimed.event_id, claim,
          command_pattern, memory_default, reset_default, history_limit, recall_limit, recall_chars);
      exception when others then
        turn := null;
      end;
    end if;
    return next;
  end loop;
end
$$;
