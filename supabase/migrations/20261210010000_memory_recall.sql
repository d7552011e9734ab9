-- Recall that reads only what the scope may see.
--
-- Row-level security evaluates its own quals before any qual that is not leakproof, and neither the
-- full-text match (@@) nor pg_trgm's operators are: so under sb_app the planner could never use the
-- GIN indexes on memories, and the old search's "owner, or own, or shared" disjunction kept it off
-- the btree on (tenant_id, contact_id) too. Every recall read all of the tenant's memories and ran
-- word_similarity (about 10 µs) on each. Now:
--  * app.search_memories reads one branch per kind of visible row (the contact's own memories, the
--    shared ones, the owner's filters), each on a btree index whose quals are leakproof equalities;
--  * the fuzzy match is part of the search column: each word of 4 to 30 letters is stored with
--    every spelling that leaves one letter out (weight D, no positions; a longer word, such as a
--    pasted token, would cost its length squared and could pass tsvector's 1 MB), so a query word that
--    misses a letter ("alergic", "Lisbo", "cat" for "cats") matches by plain full-text lookup;
--    exact words (weight A) rank first;
--  * the two GIN indexes, which no query under sb_app could use, are dropped.

create function app.search_lexemes(content text) returns tsvector
  language sql immutable parallel safe
  as $$
    select pg_catalog.setweight(pg_catalog.to_tsvector('simple'::regconfig, content), 'A')
      operator(pg_catalog.||) pg_catalog.array_to_tsvector(array(
        select distinct pg_catalog.overlay(w.lexeme, '', i, 1)
        from pg_catalog.unnest(pg_catalog.to_tsvector('simple'::regconfig, content)) w,
          pg_catalog.generate_series(1, pg_catalog.length(w.lexeme)) i
        where pg_catalog.length(w.lexeme) between 4 and 30))
  $$;

drop index if exists memories_trigram;
alter table memories drop column search,
  add column search tsvector generated always as (app.search_lexemes(content)) stored;

-- The memories_read policy with its scope functions evaluated once per statement, not per row.
alter policy memories_read on memories
  using (tenant_id = (select app.tenant()) and ((select app.is_owner()) or contact_id = (select app.contact()) or visibility = 'shared'));

-- plpgsql, so that only the scope's branch is planned and run: a plan holding the owner's
-- tenant-wide branch would be costed as a sequential scan of every memory, which is also what
-- makes PostgreSQL compile it (JIT) for tens of milliseconds.
create or replace function app.search_memories(query text, lim integer, of_owner boolean, of_contact uuid)
  returns table (id uuid, contact_id uuid, author_contact_id uuid, visibility text, content text,
    created_at timestamptz, updated_at timestamptz, score real)
  language plpgsql stable
  as $$
#variable_conflict use_column
declare
  words tsquery := app.recall_query(query);
begin
  if words is null then
    return;
  elsif not app.is_owner() then
    -- a contact: its own memories, and the shared ones (the owner's filters still apply)
    return query
      select m.id, m.contact_id, m.author_contact_id, m.visibility, m.content, m.created_at, m.updated_at,
        ts_rank(m.search, words)
      from (
        select * from memories m
          where m.tenant_id = app.tenant() and m.contact_id = app.contact() and m.search @@ words
        union all
        select * from memories m
          where m.tenant_id = app.tenant() and m.visibility = 'shared' and m.contact_id is distinct from app.contact()
            and m.search @@ words
      ) m
      where (not of_owner or m.contact_id is null) and (of_contact is null or m.contact_id = of_contact)
      order by 8 desc, m.updated_at desc, m.id
      limit lim;
  elsif of_owner then
    return query
      select m.id, m.contact_id, m.author_contact_id, m.visibility, m.content, m.created_at, m.updated_at,
        ts_rank(m.search, words)
      from memories m where m.tenant_id = app.tenant() and m.contact_id is null and m.search @@ words
      order by 8 desc, m.updated_at desc, m.id
      limit lim;
  elsif of_contact is not null then
    return query
      select m.id, m.contact_id, m.author_contact_id, m.visibility, m.content, m.created_at, m.updated_at,
        ts_rank(m.search, words)
      from memories m where m.tenant_id = app.tenant() and m.contact_id = of_contact and m.search @@ words
      order by 8 desc, m.updated_at desc, m.id
      limit lim;
  else
    return query
      select m.id, m.contact_id, m.author_contact_id, m.visibility, m.content, m.created_at, m.updated_at,
        ts_rank(m.search, words)
      from memories m where m.tenant_id = app.tenant() and m.search @@ words
      order by 8 desc, m.updated_at desc, m.id
      limit lim;
  end if;
end
$$;

-- The search as one statement in a scope (the `call` of the database port): one round trip, where a
-- transaction of its own took three.
create function app.search_memories_in(tenant uuid, contact uuid, owner boolean,
    query text, lim integer, of_owner boolean, of_contact uuid)
  returns table (id uuid, contact_id uuid, author_contact_id uuid, visibility text, content text,
    created_at timestamptz, updated_at timestamptz, score real)
  language plpgsql
  as $$
begin
  perform app.enter_scope(tenant, contact, owner);
  return query select * from app.search_memories(query, lim, of_owner, of_contact);
end
$$;
