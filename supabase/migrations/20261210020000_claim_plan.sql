-- The claim planned once per connection. With lim a parameter, PostgreSQL's generic plan for
-- app.claim_turns joined the claimed heads back to the queue by hashing the whole queue, so the
-- plan cache kept planning it afresh on every call (half a millisecond with 100,000 turns queued,
-- more than the claim itself). The update now finds the heads by primary key (`seq = any(...)`),
-- a plan that is right whatever lim is, and the function always uses its generic plan.
create or replace function app.claim_turns(claim uuid, lim integer, lease_ms integer)
  returns table (tenant_id uuid, event_id uuid, contact_id uuid, attempts integer)
  language plpgsql
  set plan_cache_mode = force_generic_plan
  as $$
#variable_conflict use_column
begin
  perform app.enter_worker();
  return query
    with heads as materialized (
      select q.seq from turn_queue q
      where (q.lease_until is null or q.lease_until < now())
        and not exists (select 1 from turn_queue p where p.lane = q.lane and p.seq < q.seq)
      order by q.seq
      limit lim
      for update skip locked
    )
    update turn_queue q set claimed_by = claim, lease_until = now() + lease_ms * interval '1 millisecond',
      attempts = q.attempts + 1
    where q.seq = any (array(select heads.seq from heads))
    returning q.tenant_id, q.event_id, q.contact_id, q.attempts;
end
$$;
