-- Case search (decision 0026). A customer's cases in list order; ids by
-- prefix in byte order, whatever the database's collation; attribute
-- filters as jsonb containment (@>), which a jsonb_path_ops GIN index
-- answers for any key.
CREATE INDEX cases_customer_idx ON cases (customer, created_at DESC, id DESC);
CREATE INDEX cases_id_c_idx ON cases ((id COLLATE "C"));
CREATE INDEX cases_attributes_idx ON cases USING gin (attributes jsonb_path_ops);
