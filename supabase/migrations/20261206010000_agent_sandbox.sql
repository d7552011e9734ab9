-- The OS sandbox of CLI agents. The agent setting `sandbox` now means that sandbox (`on`, the
-- default, or `off`); codex's own sandbox mode for the owner's turns, stored as `sandbox` until now,
-- moves to `codexSandbox`.
update agents
   set config = (config - 'sandbox') || jsonb_build_object('codexSandbox', config -> 'sandbox')
 where config ->> 'sandbox' in ('read-only', 'workspace-write', 'danger-full-access');
