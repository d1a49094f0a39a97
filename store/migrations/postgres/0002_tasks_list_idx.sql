-- ListTasks orders by SLA due time (nulls last), opened time and id, and the
-- inbox filters on department and status. An ascending btree keeps NULLs
-- last, so this index yields that order: an inbox page and a keyset cursor
-- are read from it instead of sorted. It supersedes tasks_inbox_idx, a prefix
-- of its columns.
CREATE INDEX tasks_list_idx ON tasks (department, status, sla_due, opened_at, id);
DROP INDEX tasks_inbox_idx;
