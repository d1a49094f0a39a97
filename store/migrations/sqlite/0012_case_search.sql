-- Case search (decision 0026). A customer's cases in list order; ids by
-- prefix seek the primary key (BINARY collation: byte order). SQLite has
-- no index over every key of a JSON object: attribute filters are tested
-- on the rows the other conditions select.
CREATE INDEX cases_customer_idx ON cases (customer, created_at DESC, id DESC);
