package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"

	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/deadline"
	"github.com/xiuhua/xiuhua/internal/store"
)

// HolidayImport is what importing a year's holiday file does, or would do
// when only previewed.
type HolidayImport struct {
	Year     int         `json:"year"`
	Days     int         `json:"days"`
	Replaces bool        `json:"replaces"` // a file for the year was in force
	Moves    []MovedCase `json:"moves"`    // running deadlines that move
	Imported bool        `json:"imported"`
	Missing  []int       `json:"missing_years"` // this year and next still without a file, after the import
}

// MovedCase is one case whose running deadlines move.
type MovedCase struct {
	CaseID  int64             `json:"-"`
	Number  string            `json:"number"`
	Retimes []caseflow.Retime `json:"retimes"`
}

// retimeBatch bounds the cases read at a time while looking for running
// deadlines that move.
const retimeBatch = 500

// ImportHolidayFile checks a year's holiday file (the State Council's, in
// the holiday-cn format) and, with commit, puts it in force on every
// instance and moves the running deadlines it changes, each with a case
// event naming the file. Without commit it only says what would move.
// Importing the same file again moves nothing twice: cases whose event
// already names this file are passed over.
func (a *App) ImportHolidayFile(ctx context.Context, by string, body []byte, commit bool) (HolidayImport, error) {
	f, err := calendar.ParseHolidayFile(body)
	if err != nil {
		return HolidayImport{}, err
	}
	files, err := HolidayFiles(ctx, a.Store)
	if err != nil {
		return HolidayImport{}, err
	}
	res := HolidayImport{Year: f.Year, Days: len(f.Days)}
	without := make([][]byte, 0, len(files)) // the files in force but this year's
	for _, b := range files {
		g, err := calendar.ParseHolidayFile(b)
		if err != nil {
			return HolidayImport{}, err
		}
		if g.Year == f.Year {
			res.Replaces = true
			continue
		}
		without = append(without, b)
	}
	oldPol, err := a.policyWith(ctx, without)
	if err != nil {
		return HolidayImport{}, err
	}
	newPol, err := a.policyWith(ctx, append(without, body))
	if err != nil {
		return HolidayImport{}, err
	}
	sum := sha256.Sum256(body)
	mark := fmt.Sprintf("holiday file %d sha256:%s", f.Year, hex.EncodeToString(sum[:6]))
	now := a.Now()
	if commit {
		if err := a.Store.SaveHolidayFile(ctx, store.HolidayFile{Year: f.Year, Body: body, ImportedAt: now, ImportedBy: by}); err != nil {
			return HolidayImport{}, err
		}
		if err := a.ConfigChanged(ctx, ConfigPolicy); err != nil {
			return HolidayImport{}, err
		}
	}
	for after := int64(0); ; {
		ids, err := a.Store.CasesWithDeadlinesAfter(ctx, now, after, retimeBatch)
		if err != nil {
			return res, err
		}
		for _, id := range ids {
			m, err := a.retimeCase(ctx, id, oldPol, newPol, mark, commit)
			if err != nil {
				return res, fmt.Errorf("app: retime case %d: %w", id, err)
			}
			if m != nil {
				res.Moves = append(res.Moves, *m)
			}
		}
		if len(ids) < retimeBatch {
			break
		}
		after = ids[len(ids)-1]
	}
	res.Imported = commit
	res.Missing = newPol.Calendar().MissingYears(now.Year(), now.Year()+1)
	if commit {
		slog.Info("holiday file imported", "year", f.Year, "by", by, "cases_retimed", len(res.Moves))
	}
	return res, nil
}

// retimeCase moves one case's running deadlines from the old policy to the
// new, retrying when the case changed under it.
func (a *App) retimeCase(ctx context.Context, id int64, oldPol, newPol *deadline.Policy, mark string, commit bool) (*MovedCase, error) {
	for try := 0; ; try++ {
		c, err := a.Store.Case(ctx, id)
		if err != nil {
			return nil, err
		}
		if commit {
			evs, err := a.Store.Events(ctx, id)
			if err != nil {
				return nil, err
			}
			for _, e := range evs {
				if e.Action == caseflow.ActRetime && e.Reason == mark {
					return nil, nil // moved by this file already
				}
			}
		}
		rs := deadline.Retime(oldPol, newPol, c, a.Now())
		if len(rs) == 0 {
			return nil, nil
		}
		m := &MovedCase{CaseID: id, Number: c.Number, Retimes: rs}
		if !commit {
			return m, nil
		}
		_, _, err = a.Store.Transition(ctx, id, caseflow.Command{Action: caseflow.ActRetime, Actor: caseflow.Actor{Role: caseflow.System},
			At: a.Now(), ExpectedVersion: c.Version, Reason: mark, Retimes: rs}, a.Policy)
		var ce *caseflow.Error
		if errors.As(err, &ce) && (ce.Code == caseflow.CodeStale || ce.Code == caseflow.CodeWrongState) && try < 3 {
			continue // the case moved meanwhile: look again
		}
		if errors.As(err, &ce) && ce.Code == caseflow.CodeWrongState {
			return nil, nil // it left the states with running deadlines
		}
		if err != nil {
			return nil, err
		}
		return m, nil
	}
}

// policyWith builds the policy in force with these holiday files instead
// of the ones in the store.
func (a *App) policyWith(ctx context.Context, files [][]byte) (*deadline.Policy, error) {
	return buildPolicy(ctx, a.Store, a.cfg, files)
}
