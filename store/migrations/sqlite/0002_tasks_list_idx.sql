-- ListTasks orders by SLA due time (nulls last), opened time and id, and the
-- inbox filters on department and status. SQLite sorts NULLs first in an
-- index, so the index leads with "sla_due IS NULL" (the query orders by the
-- same expression): an inbox page and a keyset cursor are then read from the
-- index in order instead of sorted. It supersedes tasks_inbox_idx, a prefix
-- of its columns.
CREATE INDEX tasks_list_idx ON tasks (department, status, sla_due IS NULL, sla_due, opened_at, id);
DROP INDEX tasks_inbox_idx;
