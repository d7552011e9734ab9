-- One gateway for every tenant. A channel account is unique on the installation, (channel,
-- account_key): a bot belongs to one tenant, and the tenant of a message is its receiving
-- account's. The gateway token becomes the installation's (no tenant); its requests find the
-- account's tenant as sb_app with app.gateway set, which shows them channel accounts and nothing
-- else, then run in that tenant's scope.

create unique index channel_accounts_installation_unique on channel_accounts (channel, account_key);

update api_tokens set tenant_id = null where kind = 'gateway';
alter table api_tokens drop constraint api_tokens_admin_has_no_tenant;
alter table api_tokens add constraint api_tokens_tenant_only_for_owner check ((kind = 'owner') = (tenant_id is not null));

create function app.is_gateway() returns boolean
  language sql stable
  as $$ select coalesce(nullif(current_setting('app.gateway', true), '')::boolean, false) $$;

grant execute on function app.is_gateway() to sb_app;

create policy channel_accounts_gateway_read on channel_accounts for select to sb_app using (app.is_gateway());
