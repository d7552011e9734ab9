-- Group commit: many accepts, or many finished turns, in one statement. Each call of the batch is
-- the arguments of one app.accept_message / app.finish_turn call, in order, as a JSON array; each
-- runs in its own subtransaction and enters its own scope (the function's first act), so row-level
-- security applies to each as if it ran alone, and one that fails undoes only itself. The result
-- is one JSON object per call, in the same order: {"ok": <the function's result>} or
-- {"error": <message>, "code": <SQLSTATE>}.

create function app.accept_messages(calls jsonb) returns setof jsonb
  language plpgsql set search_path from current
  as $$
declare
  c jsonb;
begin
  for c in select value from jsonb_array_elements(calls) with ordinality order by ordinality loop
    begin
      return next jsonb_build_object('ok', app.accept_message((c->>0)::uuid, (c->>1)::uuid, (c->>2)::boolean,
        (c->>3)::boolean, c->>4, c->>5, c->>6, c->>7, c->>8, c->>9, c->>10, (c->>11)::boolean, c->>12, c->>13,
        c->>14, (c->>15)::boolean, (c->>16)::boolean, (c->>17)::jsonb));
    exception when others then
      return next jsonb_build_object('error', sqlerrm, 'code', sqlstate);
    end;
  end loop;
end
$$;

create function app.finish_turns(calls jsonb) returns setof jsonb
  language plpgsql set search_path from current
  as $$
declare
  c jsonb;
begin
  for c in select value from jsonb_array_elements(calls) with ordinality order by ordinality loop
    begin
      return next jsonb_build_object('ok', app.finish_turn((c->>0)::uuid, (c->>1)::uuid, (c->>2)::boolean,
        (c->>3)::uuid, (c->>4)::uuid, c->>5, (c->>6)::uuid, c->>7, c->>8, nullif(c->9, 'null'::jsonb),
        array(select jsonb_array_elements_text(c->10))::uuid[], c->>11, c->>12, c->>13));
    exception when others then
      return next jsonb_build_object('error', sqlerrm, 'code', sqlstate);
    end;
  end loop;
end
$$;
