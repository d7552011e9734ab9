-- The tokens a reply cost, as the provider reported them (null when it reported none).
alter table messages add column usage jsonb;
