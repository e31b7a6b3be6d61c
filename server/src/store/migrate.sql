-- The server's additions to Message DB's schema, run at every start: each
-- statement must be idempotent.

-- A command id's events in a stream, without reading the stream (the
-- metadata's `commandId`).
CREATE INDEX IF NOT EXISTS ledger_messages_command_id
  ON message_store.messages (stream_name, (metadata->>'commandId'));
