-- Pipeline functions: each turn step is one call, in a transaction of its own. A function takes the
-- scope as its first three arguments and enters it before it touches a row, exactly as a scoped
-- transaction begins: role sb_app, then app.tenant_id, app.contact_id and app.is_owner, all local
-- to the transaction. The functions are SECURITY INVOKER: the caller's login must be allowed to
-- become sb_app, and row-level security then applies to every row they read or write. So the login
-- role (a member of sb_app that inherits nothing) can call them, it may use schema app.

grant usage on schema app to public;

create function app.enter_scope(tenant uuid, contact uuid, owner boolean) returns void
  language plpgsql
  as $$
begin
  if tenant is null or owner is null or (owner = (contact is not null)) then
    raise exception 'a scope is a tenant and either the owner or one contact' using errcode = '22023';
  end if;
  perform set_config('role', 'sb_app', true), set_config('app.tenant_id', tenant::text, true),
    set_config('app.contact_id', coalesce(contact::text, ''), true), set_config('app.is_owner', owner::text, true);
end
$$;
