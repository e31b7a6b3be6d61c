-- The server's additions to Message DB's schema, run at every start: each
-- statement must be idempotent.

-- A command id's events in a stream, without reading the stream (the
-- metadata's `commandId`).
CREATE INDEX IF NOT EXISTS ledger_messages_command_id
  ON message_store.messages (stream_name, (metadata->>'commandId'));

-- Many appends in one statement, so one transaction and one WAL flush
-- (the server's group commit, batch.rs). The messages of append k are
-- those with `appends[i] = k`, in order and contiguous; each append is all
-- or nothing on its own (a subtransaction): the answer has, per append, NULL
-- when written, 'conflict N' when its stream was not at the expected
-- version (N: the stream's version now, -1 for none), or the error's text.
CREATE OR REPLACE FUNCTION message_store.ledger_write_batch(
  appends integer[], ids text[], streams text[], types text[], data text[], metadata text[], expected bigint[]
) RETURNS text[]
LANGUAGE plpgsql AS $$
DECLARE
  total integer := coalesce(array_length(ids, 1), 0);
  outcomes text[] := array_fill(NULL::text, ARRAY[coalesce(appends[total], 0)]);
  i integer := 1;
  current integer;
BEGIN
  WHILE i <= total LOOP
    current := appends[i];
    BEGIN
      WHILE i <= total AND appends[i] = current LOOP
        PERFORM message_store.write_message(ids[i], streams[i], types[i], data[i]::jsonb, metadata[i]::jsonb, expected[i]);
        i := i + 1;
      END LOOP;
    EXCEPTION WHEN OTHERS THEN
      IF SQLERRM LIKE 'Wrong expected version%' THEN
        outcomes[current] := 'conflict ' || coalesce(message_store.stream_version(streams[i]), -1);
      ELSE
        outcomes[current] := SQLERRM;
      END IF;
      WHILE i <= total AND appends[i] = current LOOP
        i := i + 1;
      END LOOP;
    END;
  END LOOP;
  RETURN outcomes;
END;
$$;
