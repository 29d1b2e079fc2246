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
	if res.Moves, err = a.retimeRunning(ctx, oldPol, newPol, mark, commit); err != nil {
		return res, err
	}
	res.Imported = commit
	res.Missing = newPol.Calendar().MissingYears(now.Year(), now.Year()+1)
	if commit {
		slog.Info("holiday file imported", "year", f.Year, "by", by, "cases_retimed", len(res.Moves))
	}
	return res, nil
}

// retimeRunning moves the running deadlines that the new policy puts
// elsewhere than the old, case by case, each with a retime event giving
// mark as its reason; without commit it only says what would move.
func (a *App) retimeRunning(ctx context.Context, oldPol, newPol *deadline.Policy, mark string, commit bool) ([]MovedCase, error) {
	var moves []MovedCase
	for after := int64(0); ; {
		ids, err := a.Store.CasesWithDeadlinesAfter(ctx, a.Now(), after, retimeBatch)
		if err != nil {
			return moves, err
		}
		for _, id := range ids {
			m, err := a.retimeCase(ctx, id, oldPol, newPol, mark, commit)
			if err != nil {
				return moves, fmt.Errorf("app: retime case %d: %w", id, err)
			}
			if m != nil {
				moves = append(moves, *m)
			}
		}
		if len(ids) < retimeBatch {
			return moves, nil
		}
		after = ids[len(ids)-1]
	}
}

// DayChange is what setting or removing one of the district's own days
// does, or would do when only previewed.
type DayChange struct {
	Day      string      `json:"day"`
	Working  *bool       `json:"working"` // nil: the district's setting is removed
	Moves    []MovedCase `json:"moves"`   // running deadlines that move
	Applied  bool        `json:"applied"`
	Previous *bool       `json:"previous"` // the district's setting before, if any
}

// ErrNoDaySetting is removing a district day that was never set.
var ErrNoDaySetting = errors.New("the district has no setting for that day")

// ChangeCalendarDay makes a day a working day or a day off for the
// district (set), or removes the district's setting for it (set nil), and
// moves the running deadlines the change affects: a deadline keeps its
// working time left, so a new day off pushes the deadlines running over
// it one working day later and a new working day pulls them earlier.
// Without commit it only says what would move.
func (a *App) ChangeCalendarDay(ctx context.Context, by string, day string, set *store.CalendarDay, commit bool) (DayChange, error) {
	res := DayChange{Day: day}
	days, err := a.Store.CalendarDays(ctx)
	if err != nil {
		return res, err
	}
	next := make([]store.CalendarDay, 0, len(days)+1)
	for _, d := range days {
		if d.Day == day {
			w := d.Working
			res.Previous = &w
			continue
		}
		next = append(next, d)
	}
	if set == nil && res.Previous == nil {
		return res, ErrNoDaySetting
	}
	if set != nil {
		set.Day = day
		next = append(next, *set)
		w := set.Working
		res.Working = &w
	}
	oldPol, err := buildPolicyWith(ctx, a.Store, a.cfg, nil, &days)
	if err != nil {
		return res, err
	}
	newPol, err := buildPolicyWith(ctx, a.Store, a.cfg, nil, &next)
	if err != nil {
		return res, err
	}
	now := a.Now()
	kind := "removed"
	if set != nil {
		kind = map[bool]string{true: "working day", false: "day off"}[set.Working]
	}
	mark := fmt.Sprintf("calendar day %s %s by %s at %s", day, kind, by, now.In(calendar.Shanghai).Format("2006-01-02 15:04:05"))
	if commit {
		if set != nil {
			err = a.Store.SaveCalendarDay(ctx, *set, now)
		} else {
			err = a.Store.DeleteCalendarDay(ctx, day)
		}
		if err != nil {
			return res, err
		}
		if err := a.ConfigChanged(ctx, ConfigPolicy); err != nil {
			return res, err
		}
	}
	if res.Moves, err = a.retimeRunning(ctx, oldPol, newPol, mark, commit); err != nil {
		return res, err
	}
	if res.Moves == nil {
		res.Moves = []MovedCase{}
	}
	res.Applied = commit
	if commit {
		slog.Info("calendar day changed", "day", day, "change", kind, "by", by, "cases_retimed", len(res.Moves))
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
