package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/catalog"
	"github.com/xiuhua/xiuhua/internal/deadline"
	"github.com/xiuhua/xiuhua/internal/org"
	"github.com/xiuhua/xiuhua/internal/places"
)

// SaveDivisions adds divisions (all or none); existing codes are updated.
func (s *Store) SaveDivisions(ctx context.Context, ds []places.Division) error {
	return s.tx(ctx, func(tx *wtx) error {
		for _, d := range ds {
			if _, err := tx.ExecContext(ctx, `INSERT INTO divisions (code, name, level, parent_code) VALUES ($1, $2, $3, $4)
				ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level, parent_code = excluded.parent_code`,
				d.Code, d.Name, d.Level, d.ParentCode); err != nil {
				return fmt.Errorf("store: division %s: %w", d.Code, err)
			}
		}
		return nil
	})
}

// Divisions lists every division by code.
func (s *Store) Divisions(ctx context.Context) ([]places.Division, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT code, name, level, COALESCE(parent_code, '') FROM divisions ORDER BY code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []places.Division
	for rows.Next() {
		var d places.Division
		if err := rows.Scan(&d.Code, &d.Name, &d.Level, &d.ParentCode); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// SaveLayer stores a grid layer effective from its ValidFrom: grids and
// unit grids valid at that moment are closed (valid_to) and the new ones
// inserted, all in one transaction. Cases keep the places they were filed in.
func (s *Store) SaveLayer(ctx context.Context, grids []places.Grid, units []places.UnitGrid, from time.Time) error {
	return s.tx(ctx, func(tx *wtx) error {
		f := from.UnixMilli()
		for _, t := range []string{"grids", "unit_grids"} {
			if _, err := tx.ExecContext(ctx, `UPDATE `+t+` SET valid_to = $1 WHERE valid_to IS NULL AND valid_from < $1`, f); err != nil {
				return fmt.Errorf("store: close old %s: %w", t, err)
			}
		}
		gst, err := tx.PrepareContext(ctx, `INSERT INTO grids (code, name, community, street, cells, valid_from) VALUES ($1, $2, $3, $4, $5, $6)`)
		if err != nil {
			return err
		}
		defer gst.Close()
		for _, g := range grids {
			if _, err := gst.ExecContext(ctx, g.Code, g.Name, g.Community, g.Street, g.Cells, f); err != nil {
				return fmt.Errorf("store: grid %s: %w", g.Code, err)
			}
		}
		ust, err := tx.PrepareContext(ctx, `INSERT INTO unit_grids (code, grid, community, street, valid_from,
			min_lon, min_lat, max_lon, max_lat, geometry) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`)
		if err != nil {
			return err
		}
		defer ust.Close()
		for _, u := range units {
			geom, err := json.Marshal(u.Geometry)
			if err != nil {
				return err
			}
			b := u.Geometry.Bound()
			if _, err := ust.ExecContext(ctx, u.Code, u.Grid, u.Community, u.Street, f,
				b.Min.Lon(), b.Min.Lat(), b.Max.Lon(), b.Max.Lat(), string(geom)); err != nil {
				return fmt.Errorf("store: unit grid %s: %w", u.Code, err)
			}
		}
		return nil
	})
}

// UnitGrids returns the unit grids valid at a moment, geometry included.
func (s *Store) UnitGrids(ctx context.Context, at time.Time) ([]places.UnitGrid, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT code, grid, community, street, valid_from, valid_to, geometry FROM unit_grids
		WHERE valid_from <= $1 AND (valid_to IS NULL OR valid_to > $1) ORDER BY code`, at.UnixMilli())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []places.UnitGrid
	for rows.Next() {
		var u places.UnitGrid
		var from int64
		var to sql.NullInt64
		var geom string
		if err := rows.Scan(&u.Code, &u.Grid, &u.Community, &u.Street, &from, &to, &geom); err != nil {
			return nil, err
		}
		u.ValidFrom, u.ValidTo = time.UnixMilli(from).UTC(), fromMS(to)
		if err := json.Unmarshal([]byte(geom), &u.Geometry); err != nil {
			return nil, fmt.Errorf("store: unit grid %s geometry: %w", u.Code, err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// Grids returns the grids valid at a moment.
func (s *Store) Grids(ctx context.Context, at time.Time) ([]places.Grid, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT code, name, community, street, cells, valid_from, valid_to FROM grids
		WHERE valid_from <= $1 AND (valid_to IS NULL OR valid_to > $1) ORDER BY code`, at.UnixMilli())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []places.Grid
	for rows.Next() {
		var g places.Grid
		var from int64
		var to sql.NullInt64
		if err := rows.Scan(&g.Code, &g.Name, &g.Community, &g.Street, &g.Cells, &from, &to); err != nil {
			return nil, err
		}
		g.ValidFrom, g.ValidTo = time.UnixMilli(from).UTC(), fromMS(to)
		out = append(out, g)
	}
	return out, rows.Err()
}

// SaveCategories adds or updates categories, all or none.
func (s *Store) SaveCategories(ctx context.Context, cs []catalog.Category) error {
	return s.tx(ctx, func(tx *wtx) error {
		for _, c := range cs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO categories (id, kind, code, major_class, name, dept_hint, public, local)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO UPDATE SET major_class = excluded.major_class,
				name = excluded.name, dept_hint = excluded.dept_hint, public = excluded.public, local = excluded.local`,
				c.ID, c.Kind, c.Code, c.MajorClass, c.Name, c.DeptHint, c.Public, c.Local); err != nil {
				return fmt.Errorf("store: category %s: %w", c.ID, err)
			}
		}
		return nil
	})
}

// Categories lists the catalog by id, each with its questions.
func (s *Store) Categories(ctx context.Context) ([]catalog.Category, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, kind, code, major_class, name, dept_hint, public, local, attributes FROM categories ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []catalog.Category
	for rows.Next() {
		var c catalog.Category
		var attrs string
		if err := rows.Scan(&c.ID, &c.Kind, &c.Code, &c.MajorClass, &c.Name, &c.DeptHint, &c.Public, &c.Local, &attrs); err != nil {
			return nil, err
		}
		if c.Attributes, err = readAttributes(c.ID, attrs); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func readAttributes(id, s string) ([]catalog.Attribute, error) {
	if s == "" {
		return nil, nil
	}
	var list []catalog.Attribute
	if err := json.Unmarshal([]byte(s), &list); err != nil {
		return nil, fmt.Errorf("store: category %s: attributes: %w", id, err)
	}
	return list, nil
}

// CategoryAttributes reads one category's questions (ErrNotFound for no
// such category).
func (s *Store) CategoryAttributes(ctx context.Context, id string) ([]catalog.Attribute, error) {
	var attrs string
	err := rdb{s}.QueryRowContext(ctx, `SELECT attributes FROM categories WHERE id = $1`, id).Scan(&attrs)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("category %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return readAttributes(id, attrs)
}

// SetCategoryAttributes replaces a category's questions (none: nil). A
// catalog saved again (SaveCategories) keeps them.
func (s *Store) SetCategoryAttributes(ctx context.Context, id string, list []catalog.Attribute) error {
	b := []byte{}
	if len(list) > 0 {
		b, _ = json.Marshal(list)
	}
	return s.tx(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `UPDATE categories SET attributes = $1 WHERE id = $2`, string(b), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("category %s: %w", id, ErrNotFound)
		}
		return nil
	})
}

// CreateUnit stores a unit and sets its id.
func (s *Store) CreateUnit(ctx context.Context, u *org.Unit) error {
	err := s.w.QueryRowContext(ctx, `INSERT INTO units (code, name, kind, street, parent) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		u.Code, u.Name, u.Kind, u.Street, nullID(u.Parent)).Scan(&u.ID)
	if err != nil {
		return fmt.Errorf("store: unit %s: %w", u.Code, err)
	}
	return nil
}

// Units lists every unit by id.
func (s *Store) Units(ctx context.Context) ([]org.Unit, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, code, name, kind, street, COALESCE(parent, 0) FROM units ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []org.Unit
	for rows.Next() {
		var u org.Unit
		if err := rows.Scan(&u.ID, &u.Code, &u.Name, &u.Kind, &u.Street, &u.Parent); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// Unit reads one unit.
func (s *Store) Unit(ctx context.Context, id int64) (org.Unit, error) {
	var u org.Unit
	err := rdb{s}.QueryRowContext(ctx, `SELECT id, code, name, kind, street, COALESCE(parent, 0) FROM units WHERE id = $1`, id).
		Scan(&u.ID, &u.Code, &u.Name, &u.Kind, &u.Street, &u.Parent)
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("store: unit %d: %w", id, ErrNotFound)
	}
	return u, err
}

// CreateAccount stores an account with its grids and sets its id.
func (s *Store) CreateAccount(ctx context.Context, a *org.Account) error {
	if !a.Role.Valid() {
		return fmt.Errorf("store: account %s: unknown role %q", a.Username, a.Role)
	}
	return s.tx(ctx, func(tx *wtx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO accounts (username, name, role, unit_id, phone, password_hash, active, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, a.Username, a.Name, a.Role, a.UnitID, a.Phone,
			a.PasswordHash, true, time.Now().UnixMilli()).Scan(&a.ID)
		if err != nil {
			return fmt.Errorf("store: account %s: %w", a.Username, err)
		}
		if err := saveGrids(ctx, tx, a); err != nil {
			return err
		}
		a.Active = true
		return nil
	})
}

// saveGrids replaces an account's grids.
func saveGrids(ctx context.Context, tx *wtx, a *org.Account) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM account_grids WHERE account_id = $1`, a.ID); err != nil {
		return err
	}
	for _, g := range a.Grids {
		if _, err := tx.ExecContext(ctx, `INSERT INTO account_grids (account_id, grid) VALUES ($1, $2)`, a.ID, g); err != nil {
			return fmt.Errorf("store: account %s grid %s: %w", a.Username, g, err)
		}
	}
	return nil
}

// Revoke says what an account update also ends, in its transaction.
type Revoke struct {
	Sessions bool   // every session of the account …
	Keep     string // … but this one (a session token), if set
	Tokens   bool   // every API token of the account
}

// UpdateAccount stores an account's name, role, unit, grids, password hash
// and whether it is active, and ends the sessions and tokens end names in
// the same transaction (reactivating an account does not bring them back).
func (s *Store) UpdateAccount(ctx context.Context, a *org.Account, now time.Time, end Revoke) error {
	if !a.Role.Valid() {
		return fmt.Errorf("store: account %s: unknown role %q", a.Username, a.Role)
	}
	return s.tx(ctx, func(tx *wtx) error {
		res, err := tx.ExecContext(ctx, `UPDATE accounts SET name = $1, role = $2, unit_id = $3, password_hash = $4, active = $5 WHERE id = $6`,
			a.Name, a.Role, a.UnitID, a.PasswordHash, a.Active, a.ID)
		if err != nil {
			return fmt.Errorf("store: account %s: %w", a.Username, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("store: account %s: %w", a.Username, ErrNotFound)
		}
		if err := saveGrids(ctx, tx, a); err != nil {
			return err
		}
		if end.Sessions {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE account_id = $1 AND token_hash <> $2`, a.ID, HashToken(end.Keep)); err != nil {
				return err
			}
		}
		if end.Tokens {
			_, err = tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL`, now.UnixMilli(), a.ID)
		}
		return err
	})
}

// Accounts lists accounts by id, with a grid worker's grids.
func (s *Store) Accounts(ctx context.Context) ([]org.Account, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, username, name, role, unit_id, phone, password_hash, active FROM accounts ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []org.Account
	at := map[int64]int{}
	for rows.Next() {
		var a org.Account
		if err := rows.Scan(&a.ID, &a.Username, &a.Name, &a.Role, &a.UnitID, &a.Phone, &a.PasswordHash, &a.Active); err != nil {
			return nil, err
		}
		at[a.ID] = len(out)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	grids, err := s.r.QueryContext(ctx, `SELECT account_id, grid FROM account_grids ORDER BY account_id, grid`)
	if err != nil {
		return nil, err
	}
	defer grids.Close()
	for grids.Next() {
		var id int64
		var g string
		if err := grids.Scan(&id, &g); err != nil {
			return nil, err
		}
		if i, ok := at[id]; ok {
			out[i].Grids = append(out[i].Grids, g)
		}
	}
	return out, grids.Err()
}

// AccountByUsername reads one account.
func (s *Store) AccountByUsername(ctx context.Context, username string) (*org.Account, error) {
	return s.account(ctx, "username", username)
}

// account loads one account by a unique column.
func (s *Store) account(ctx context.Context, col string, v any) (*org.Account, error) {
	var a org.Account
	err := rdb{s}.QueryRowContext(ctx, `SELECT id, username, name, role, unit_id, phone, password_hash, active FROM accounts WHERE `+col+` = $1`,
		v).Scan(&a.ID, &a.Username, &a.Name, &a.Role, &a.UnitID, &a.Phone, &a.PasswordHash, &a.Active)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: account %v: %w", v, ErrNotFound)
	}
	return &a, err
}

// SaveTimeLimits replaces the time-limit table.
func (s *Store) SaveTimeLimits(ctx context.Context, ls []deadline.Limit) error {
	for _, l := range ls {
		if err := l.Validate(); err != nil {
			return err
		}
	}
	return s.tx(ctx, func(tx *wtx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM time_limits`); err != nil {
			return err
		}
		for _, l := range ls {
			if _, err := tx.ExecContext(ctx, `INSERT INTO time_limits (scope, urgency, step, amount, unit, note) VALUES ($1, $2, $3, $4, $5, $6)`,
				l.Scope, l.Urgency, l.Step, l.Amount, l.Unit, l.Note); err != nil {
				return fmt.Errorf("store: time limit %s/%s/%s: %w", l.Scope, l.Urgency, l.Step, err)
			}
		}
		return nil
	})
}

// TimeLimits reads the time-limit table.
func (s *Store) TimeLimits(ctx context.Context) ([]deadline.Limit, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT scope, urgency, step, amount, unit, note FROM time_limits ORDER BY scope, step, urgency`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []deadline.Limit
	for rows.Next() {
		var l deadline.Limit
		var u, st string
		if err := rows.Scan(&l.Scope, &u, &st, &l.Amount, &l.Unit, &l.Note); err != nil {
			return nil, err
		}
		l.Urgency, l.Step = caseflow.Urgency(u), caseflow.Step(st)
		out = append(out, l)
	}
	return out, rows.Err()
}

// CalendarDay is a local override of the working calendar.
type CalendarDay struct {
	Day     string `json:"day"` // YYYY-MM-DD in Asia/Shanghai
	Working bool   `json:"working"`
	Note    string `json:"note,omitempty"`
}

// SaveCalendarDay sets (or replaces) a local calendar day.
func (s *Store) SaveCalendarDay(ctx context.Context, d CalendarDay, at time.Time) error {
	if _, err := time.Parse("2006-01-02", d.Day); err != nil {
		return fmt.Errorf("calendar day %q: want YYYY-MM-DD", d.Day)
	}
	_, err := s.w.ExecContext(ctx, `INSERT INTO calendar_days (day, working, note, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (day) DO UPDATE SET working = excluded.working, note = excluded.note, created_at = excluded.created_at`,
		d.Day, d.Working, d.Note, at.UnixMilli())
	return err
}

// DeleteCalendarDay removes a local override; the day follows the
// holiday files again.
func (s *Store) DeleteCalendarDay(ctx context.Context, day string) error {
	res, err := s.w.ExecContext(ctx, `DELETE FROM calendar_days WHERE day = $1`, day)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("calendar day %s: %w", day, ErrNotFound)
	}
	return nil
}

// CalendarDays lists the local overrides by date.
func (s *Store) CalendarDays(ctx context.Context) ([]CalendarDay, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT day, working, note FROM calendar_days ORDER BY day`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ds []CalendarDay
	for rows.Next() {
		var d CalendarDay
		if err := rows.Scan(&d.Day, &d.Working, &d.Note); err != nil {
			return nil, err
		}
		ds = append(ds, d)
	}
	return ds, rows.Err()
}

// NextLayerChange is the first moment after at when the grid layer
// changes (a redrawn layer takes effect); zero when none is scheduled.
func (s *Store) NextLayerChange(ctx context.Context, at time.Time) (time.Time, error) {
	var next sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT min(valid_from) FROM unit_grids WHERE valid_from > $1`, at.UnixMilli()).Scan(&next)
	return fromMS(next), err
}
