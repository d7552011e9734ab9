-- Supabase compatibility. On Supabase, extensions live in schema `extensions`, whose USAGE is
-- granted to Supabase's own roles only, and the public API roles (anon, authenticated) receive every
-- new public table by default privileges. So:
--  * pg_trgm moves to `extensions` when that schema exists (an install from before kept it in
--    public); a database where the owner may not move it keeps it where it is;
--  * sb_app gets USAGE on pg_trgm's schema, and app.search_memories names the trigram function and
--    operator with that schema, so recall works whatever a login role's search_path is (a schema-
--    qualified SQL function can still be inlined, which `set search_path` would prevent);
--  * anon and authenticated (when they exist) lose every privilege on Switchboard's tables and
--    their sequences: row-level security already shows them nothing, now they cannot even ask.

do $$
begin
  if exists (select 1 from pg_namespace where nspname = 'extensions')
     and exists (select 1 from pg_extension where extname = 'pg_trgm' and extnamespace = 'public'::regnamespace) then
    begin
      alter extension pg_trgm set schema extensions;
    exception when insufficient_privilege then
      raise notice 'pg_trgm stays in schema public: % (move it with: alter extension pg_trgm set schema extensions)', sqlerrm;
    end;
  end if;
end
$$;

do $$
declare
  trgm name := (select n.nspname from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'pg_trgm');
begin
  if not has_schema_privilege('sb_app', trgm, 'USAGE') then
    execute format('grant usage on schema %I to sb_app', trgm);
  end if;
  if not has_schema_privilege('sb_app', trgm, 'USAGE') then
    raise exception 'role sb_app needs USAGE on schema % (where pg_trgm is): run "grant usage on schema % to sb_app" as its owner', trgm, trgm;
  end if;
  execute format($fn$
    create or replace function app.search_memories(query text, lim integer, of_owner boolean, of_contact uuid)
      returns table (id uuid, contact_id uuid, author_contact_id uuid, visibility text, content text,
        created_at timestamptz, updated_at timestamptz, score real)
      language sql stable
      as $body$
        select m.id, m.contact_id, m.author_contact_id, m.visibility, m.content, m.created_at, m.updated_at,
          coalesce(ts_rank(m.search, q.words), 0) + %1$I.word_similarity(query, m.content) as score
        from memories m cross join (select app.recall_query(query) as words offset 0) q
        where m.tenant_id = app.tenant() and (app.is_owner() or m.contact_id = app.contact() or m.visibility = 'shared')
          and (not of_owner or m.contact_id is null) and (of_contact is null or m.contact_id = of_contact)
          and (m.search @@ q.words or query operator(%1$I.<%%) m.content)
        order by score desc, m.updated_at desc, m.id
        limit lim
      $body$
  $fn$, trgm);
end
$$;

-- Switchboard's tables: every table of the schema owner in public with forced row-level security,
-- and the migrations' own record.
do $$
declare
  api_role text;
  target record;
begin
  foreach api_role in array array['anon', 'authenticated'] loop
    continue when not exists (select 1 from pg_roles where rolname = api_role);
    for target in
      select c.oid::regclass as name, c.relkind from pg_class c
      where c.relnamespace = 'public'::regnamespace and c.relowner = current_user::regrole
        and ((c.relkind in ('r', 'p') and (c.relforcerowsecurity or c.relname = 'sb_migrations'))
          or (c.relkind = 'S' and exists (
            select 1 from pg_depend d join pg_class t on t.oid = d.refobjid
            where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype in ('a', 'i')
              and t.relforcerowsecurity)))
    loop
      execute format('revoke all on %s %s from %I', case when target.relkind = 'S' then 'sequence' else 'table' end, target.name, api_role);
    end loop;
  end loop;
end
$$;
