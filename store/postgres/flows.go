package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/internal/normalize"
)

const flowVersionCols = `fv.key, fv.version, fv.name, fv.source, fv.compiled, fv.hash,
	COALESCE(f.default_version = fv.version, false), fv.retired_at, fv.created_at, fv.created_by`

const flowVersionFrom = ` FROM flow_versions fv LEFT JOIN flows f ON f.key = fv.key `

// flowVersionRow is a scanned flow_versions row.
type flowVersionRow struct {
	key, name, source, hash, createdBy string
	version                            int
	compiled                           []byte
	isDefault                          bool
	retiredAt                          *time.Time
	createdAt                          time.Time
}

func scanFlowVersion(r pgx.Row) (flowVersionRow, error) {
	var x flowVersionRow
	err := r.Scan(&x.key, &x.version, &x.name, &x.source, &x.compiled, &x.hash, &x.isDefault, &x.retiredAt, &x.createdAt, &x.createdBy)
	return x, err
}

func flowVersionFromInternal(x flowVersionRow) store.FlowVersion {
	fv := store.FlowVersion{
		Key: x.key, Version: x.version, Name: x.name, Source: x.source,
		Compiled: normalize.Raw(x.compiled), Hash: x.hash, IsDefault: x.isDefault,
		RetiredAt: utcPtr(x.retiredAt),
		CreatedAt: utc(x.createdAt), CreatedBy: x.createdBy,
	}
	fv.Retired = fv.RetiredAt != nil
	return fv
}

// PutFlowVersion stores a flow version; see store.Store.
func (s *Store) PutFlowVersion(ctx context.Context, p store.PutFlowVersionParams) (store.FlowVersion, bool, error) {
	var (
		fv      store.FlowVersion
		created bool
	)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO flow_versions (key, version, name, source, compiled, hash, created_at, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
			p.Key, p.Version, p.Name, p.Source, nullJSON(normalize.JSON(p.Compiled)), p.Hash, normalize.Time(p.At), p.CreatedBy)
		if err != nil {
			return err
		}
		created = tag.RowsAffected() == 1
		if created {
			if _, err := tx.Exec(ctx, `INSERT INTO flows (key, default_version) VALUES ($1, $2) ON CONFLICT DO NOTHING`, p.Key, p.Version); err != nil {
				return err
			}
		}
		x, err := scanFlowVersion(tx.QueryRow(ctx, `SELECT `+flowVersionCols+flowVersionFrom+`WHERE fv.key = $1 AND fv.version = $2`, p.Key, p.Version))
		if err != nil {
			return err
		}
		fv = flowVersionFromInternal(x)
		if !created && fv.Hash != p.Hash {
			return fmt.Errorf("flow %s version %d exists with other content: %w", p.Key, p.Version, store.ErrConflict)
		}
		return nil
	})
	if err != nil {
		return store.FlowVersion{}, false, mapErr("postgres: put flow version", err)
	}
	return fv, created, nil
}

// GetFlowVersion returns one version of a flow.
func (s *Store) GetFlowVersion(ctx context.Context, key string, version int) (store.FlowVersion, error) {
	x, err := scanFlowVersion(s.pool.QueryRow(ctx, `SELECT `+flowVersionCols+flowVersionFrom+`WHERE fv.key = $1 AND fv.version = $2`, key, version))
	if err != nil {
		return store.FlowVersion{}, mapErr("postgres: get flow version", err)
	}
	return flowVersionFromInternal(x), nil
}

// DefaultFlowVersion returns the default version of key.
func (s *Store) DefaultFlowVersion(ctx context.Context, key string) (store.FlowVersion, error) {
	x, err := scanFlowVersion(s.pool.QueryRow(ctx, `SELECT `+flowVersionCols+`
		FROM flows f JOIN flow_versions fv ON fv.key = f.key AND fv.version = f.default_version
		WHERE f.key = $1`, key))
	if err != nil {
		return store.FlowVersion{}, mapErr("postgres: default flow version", err)
	}
	return flowVersionFromInternal(x), nil
}

// SetDefaultFlowVersion makes an existing version the default of its key.
func (s *Store) SetDefaultFlowVersion(ctx context.Context, key string, version int) error {
	tag, err := s.pool.Exec(ctx, `UPDATE flows SET default_version = $2
		WHERE key = $1 AND EXISTS (SELECT 1 FROM flow_versions WHERE key = $1 AND version = $2)`, key, version)
	if err != nil {
		return mapErr("postgres: set default flow version", err)
	}
	if tag.RowsAffected() == 0 {
		return mapErr("postgres: set default flow version", pgx.ErrNoRows)
	}
	return nil
}

// ListFlows returns one summary per flow key, ordered by key.
func (s *Store) ListFlows(ctx context.Context) ([]store.FlowSummary, error) {
	rows, err := s.pool.Query(ctx, `SELECT f.key, d.name, f.default_version, max(fv.version), count(*)
		FROM flows f
		JOIN flow_versions d ON d.key = f.key AND d.version = f.default_version
		JOIN flow_versions fv ON fv.key = f.key
		GROUP BY f.key, d.name, f.default_version
		ORDER BY f.key`)
	if err != nil {
		return nil, mapErr("postgres: list flows", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.FlowSummary, error) {
		var x store.FlowSummary
		err := r.Scan(&x.Key, &x.Name, &x.DefaultVersion, &x.LatestVersion, &x.Versions)
		return x, err
	})
	if err != nil {
		return nil, mapErr("postgres: list flows", err)
	}
	return out, nil
}

// ListFlowVersions returns the versions of key in ascending order.
func (s *Store) ListFlowVersions(ctx context.Context, key string) ([]store.FlowVersion, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+flowVersionCols+flowVersionFrom+`WHERE fv.key = $1 ORDER BY fv.version`, key)
	if err != nil {
		return nil, mapErr("postgres: list flow versions", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.FlowVersion, error) {
		x, err := scanFlowVersion(r)
		return flowVersionFromInternal(x), err
	})
	if err != nil {
		return nil, mapErr("postgres: list flow versions", err)
	}
	return out, nil
}

// RetireFlowVersion marks a version retired; see store.Store.
func (s *Store) RetireFlowVersion(ctx context.Context, key string, version int, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE flow_versions SET retired_at = COALESCE(retired_at, $3)
		WHERE key = $1 AND version = $2`, key, version, normalize.Time(at))
	if err != nil {
		return mapErr("postgres: retire flow version", err)
	}
	if tag.RowsAffected() == 0 {
		return mapErr("postgres: retire flow version", pgx.ErrNoRows)
	}
	return nil
}
