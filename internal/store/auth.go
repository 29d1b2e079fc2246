package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/org"
)

// HashToken is how session and API tokens are kept: SHA-256, hex.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// CreateSession stores a session for an account.
func (s *Store) CreateSession(ctx context.Context, token, csrf string, accountID int64, now, expires time.Time) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO sessions (token_hash, account_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		HashToken(token), accountID, csrf, now.UnixMilli(), expires.UnixMilli())
	return err
}

// Session finds a live session: its account and CSRF token.
func (s *Store) Session(ctx context.Context, token string, now time.Time) (accountID int64, csrf string, err error) {
	err = rdb{s}.QueryRowContext(ctx, `SELECT account_id, csrf FROM sessions WHERE token_hash = $1 AND expires_at > $2`,
		HashToken(token), now.UnixMilli()).Scan(&accountID, &csrf)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", ErrNotFound
	}
	return accountID, csrf, err
}

// DeleteSession ends a session.
func (s *Store) DeleteSession(ctx context.Context, token string) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, HashToken(token))
	s.gen.Add(1) // whoever remembers the session forgets it (Generation)
	return err
}

// CreateToken stores an API token for an account, narrowed to scope
// ("" for none), and returns its id.
func (s *Store) CreateToken(ctx context.Context, accountID int64, name, scope, token string, now time.Time) (int64, error) {
	var id int64
	err := s.w.QueryRowContext(ctx, `INSERT INTO api_tokens (account_id, name, scope, token_hash, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		accountID, name, scope, HashToken(token), now.UnixMilli()).Scan(&id)
	return id, err
}

// TokenAccount finds the account and the scope of a live API token.
func (s *Store) TokenAccount(ctx context.Context, token string) (id int64, scope string, err error) {
	err = rdb{s}.QueryRowContext(ctx, `SELECT account_id, scope FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL`, HashToken(token)).Scan(&id, &scope)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", ErrNotFound
	}
	return id, scope, err
}

// APIToken is an API token as an administrator lists it: never its hash.
type APIToken struct {
	ID        int64      `json:"id"`
	Username  string     `json:"username"`
	Name      string     `json:"name"`
	Scope     string     `json:"scope"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// Tokens lists the API tokens of a scope, newest first.
func (s *Store) Tokens(ctx context.Context, scope string) ([]APIToken, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT t.id, a.username, t.name, t.scope, t.created_at, t.revoked_at FROM api_tokens t
		JOIN accounts a ON a.id = t.account_id WHERE t.scope = $1 ORDER BY t.id DESC`, scope)
	if err != nil {
		return nil, fmt.Errorf("store: tokens: %w", err)
	}
	defer rows.Close()
	out := []APIToken{}
	for rows.Next() {
		var t APIToken
		var created int64
		var revoked sql.NullInt64
		if err := rows.Scan(&t.ID, &t.Username, &t.Name, &t.Scope, &created, &revoked); err != nil {
			return nil, err
		}
		t.CreatedAt = time.UnixMilli(created)
		if revoked.Valid {
			r := time.UnixMilli(revoked.Int64)
			t.RevokedAt = &r
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken revokes an API token by id.
func (s *Store) RevokeToken(ctx context.Context, id int64, now time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, now.UnixMilli(), id)
	s.gen.Add(1) // whoever remembers the token forgets it (Generation)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("token %d: %w", id, ErrNotFound)
	}
	return nil
}

// Audit records a login, logout or refusal.
func (s *Store) Audit(ctx context.Context, at time.Time, username string, accountID int64, event, client, detail string) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO audit_log (at, username, account_id, event, client, detail) VALUES ($1, $2, $3, $4, $5, $6)`,
		at.UnixMilli(), username, nullID(accountID), event, client, detail)
	return err
}

// AuditEntries lists the newest audit entries.
func (s *Store) AuditEntries(ctx context.Context, limit int) ([]map[string]any, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT at, username, event, client, detail FROM audit_log ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []map[string]any
	for rows.Next() {
		var at int64
		var u, e, c, d string
		if err := rows.Scan(&at, &u, &e, &c, &d); err != nil {
			return nil, err
		}
		out = append(out, map[string]any{"at": time.UnixMilli(at).UTC(), "username": u, "event": e, "client": c, "detail": d})
	}
	return out, rows.Err()
}

// AccountByID loads an account with its grids.
func (s *Store) AccountByID(ctx context.Context, id int64) (*org.Account, error) {
	a, err := s.account(ctx, "id", id)
	if err != nil {
		return nil, err
	}
	rows, err := rdb{s}.QueryContext(ctx, `SELECT grid FROM account_grids WHERE account_id = $1 ORDER BY grid`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var g string
		if err := rows.Scan(&g); err != nil {
			return nil, err
		}
		a.Grids = append(a.Grids, g)
	}
	return a, rows.Err()
}

// CreateCaseOnce is CreateCase with an idempotency key: the first request
// with a key creates the case, a retry with the same key returns the
// first case's id (created false) and creates nothing.
func (s *Store) CreateCaseOnce(ctx context.Context, c *caseflow.Case, ev *caseflow.Event, clock caseflow.Clock,
	accountID int64, key string) (id int64, created bool, err error) {
	lookup := func() (int64, error) {
		var id int64
		err := rdb{s}.QueryRowContext(ctx, `SELECT case_id FROM idempotency_keys WHERE account_id = $1 AND key = $2`, accountID, key).Scan(&id)
		return id, err
	}
	if id, err := lookup(); err == nil {
		return id, false, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return 0, false, err
	}
	forget, err := s.preNumber(ctx, c)
	if err != nil {
		return 0, false, err
	}
	err = s.tx(ctx, func(tx *wtx) error {
		if err := s.createCaseTx(ctx, tx, c, ev, clock); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys (key, account_id, case_id, created_at) VALUES ($1, $2, $3, $4)`,
			key, accountID, c.ID, c.ReportedAt.UnixMilli())
		return err
	})
	if err != nil {
		forget()
		// A concurrent request with the same key won: answer with its case.
		if id, lerr := lookup(); lerr == nil {
			return id, false, nil
		}
		return 0, false, err
	}
	s.observed(string(caseflow.ActReport))
	return c.ID, true, nil
}
