-- The outbox is FIFO per chat: a claim takes only the oldest pending reply of each (tenant,
-- channel, account, chat, thread). This index answers "is an older reply of this chat pending?".
create index outbox_chat_pending on outbox (tenant_id, channel, account_key, chat_id, thread_key, seq) where status = 'pending';
