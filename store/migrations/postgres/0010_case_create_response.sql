-- The response body of an idempotent case creation, kept so that every
-- replay of the same Idempotency-Key answers byte for byte the same.
ALTER TABLE cases ADD COLUMN create_response text;
