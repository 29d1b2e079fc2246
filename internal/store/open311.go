package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/caseflow"
)

// Open311Query selects service requests for GeoReport v2's GET requests.
type Open311Query struct {
	Numbers       []string // service_request_id: overrides everything else
	Categories    []string // service_code
	From, To      time.Time
	Open, Closed  bool // status filter; both false: any
	UpdatedAfter  time.Time
	UpdatedBefore time.Time
	Limit, Offset int
	Rule          PublicRule // for lists: only what the public rule lists
}

// PublicRule narrows a public listing to the cases the privacy rule lets
// through (publish.Listable and publish.VerifyFirst): a case in one of
// Listable, not merged away, and verified when in one of VerifyFirst.
// Empty: no narrowing.
type PublicRule struct {
	Listable    []caseflow.State
	VerifyFirst []caseflow.State
}

// where is the rule as SQL on the cases table under alias t, its
// arguments appended to args.
func (p PublicRule) where(t string, args *[]any) string {
	return p.whereState(t, t+"state", args)
}

// whereState is where with the state read as stateExpr: the state with an
// empty string appended keeps a query on a place index from being answered
// from the state index instead (on SQLite; PostgreSQL reads the same text).
func (p PublicRule) whereState(t, stateExpr string, args *[]any) string {
	if len(p.Listable) == 0 {
		return ""
	}
	in := func(sts []caseflow.State) string {
		var ph []string
		for _, st := range sts {
			*args = append(*args, string(st))
			ph = append(ph, fmt.Sprintf("$%d", len(*args)))
		}
		return strings.Join(ph, ", ")
	}
	cond := stateExpr + " IN (" + in(p.Listable) + ") AND " + t + "duplicate_of IS NULL"
	if len(p.VerifyFirst) > 0 {
		cond += " AND (" + t + "verified OR " + stateExpr + " NOT IN (" + in(p.VerifyFirst) + "))"
	}
	return cond
}

// Open311Requests lists cases of public categories, newest first.
func (s *Store) Open311Requests(ctx context.Context, q Open311Query) ([]caseflow.Case, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	in := func(col string, vals []string) {
		var ph []string
		for _, v := range vals {
			args = append(args, v)
			ph = append(ph, fmt.Sprintf("$%d", len(args)))
		}
		where = append(where, col+" IN ("+strings.Join(ph, ", ")+")")
	}
	where = append(where, "category_id IN (SELECT id FROM categories WHERE public)")
	if len(q.Numbers) > 0 {
		in("number", q.Numbers)
	} else {
		if len(q.Categories) > 0 {
			in("category_id", q.Categories)
		}
		add("reported_at >= $%d", q.From.UnixMilli())
		add("reported_at <= $%d", q.To.UnixMilli())
		switch {
		case q.Open && !q.Closed:
			where = append(where, "state NOT IN ('closed', 'voided')")
		case q.Closed && !q.Open:
			where = append(where, "state IN ('closed', 'voided')")
		}
		if !q.UpdatedAfter.IsZero() {
			add("updated_at > $%d", q.UpdatedAfter.UnixMilli())
		}
		if !q.UpdatedBefore.IsZero() {
			add("updated_at < $%d", q.UpdatedBefore.UnixMilli())
		}
		if cond := q.Rule.where("", &args); cond != "" {
			where = append(where, cond)
		}
	}
	query := `SELECT ` + caseCols + ` FROM cases WHERE ` + strings.Join(where, " AND ") +
		fmt.Sprintf(` ORDER BY reported_at DESC, id DESC LIMIT %d OFFSET %d`, q.Limit, q.Offset)
	return s.queryCases(ctx, query, args...)
}

// Update is a public state change of a case, for Open311 notes and
// mySociety's servicerequestupdates.
type Update struct {
	CaseID int64
	Number string
	Seq    int
	State  caseflow.State
	At     time.Time
}

// Updates lists state changes of public cases in [from, to), oldest first,
// or of the given cases when ids is not empty; rule narrows them to cases
// the public rule lists.
func (s *Store) Updates(ctx context.Context, from, to time.Time, ids []int64, limit int, rule PublicRule) ([]Update, error) {
	q := `SELECT e.case_id, c.number, e.seq, e.to_state, e.at FROM events e JOIN cases c ON c.id = e.case_id
		WHERE (e.from_state <> e.to_state OR e.action = 'report') AND c.category_id IN (SELECT id FROM categories WHERE public)`
	var args []any
	if len(ids) > 0 {
		var ph []string
		for _, id := range ids {
			args = append(args, id)
			ph = append(ph, fmt.Sprintf("$%d", len(args)))
		}
		q += ` AND e.case_id IN (` + strings.Join(ph, ", ") + `)`
	} else {
		args = append(args, from.UnixMilli(), to.UnixMilli())
		q += ` AND e.at >= $1 AND e.at < $2`
	}
	if cond := rule.where("c.", &args); cond != "" {
		q += ` AND ` + cond
	}
	q += fmt.Sprintf(` ORDER BY e.at, e.case_id, e.seq LIMIT %d`, limit)
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: updates: %w", err)
	}
	defer rows.Close()
	var out []Update
	for rows.Next() {
		var u Update
		var at int64
		if err := rows.Scan(&u.CaseID, &u.Number, &u.Seq, &u.State, &at); err != nil {
			return nil, err
		}
		u.At = time.UnixMilli(at).UTC()
		out = append(out, u)
	}
	return out, rows.Err()
}
