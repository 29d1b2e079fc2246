package app

import (
	"context"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/catalog"
	"github.com/xiuhua/xiuhua/internal/ledger"
	"github.com/xiuhua/xiuhua/internal/places"
	"github.com/xiuhua/xiuhua/internal/refdata"
	"github.com/xiuhua/xiuhua/internal/store"
)

// ImportResult is a preview or the outcome of an import.
type ImportResult struct {
	Rows     int                `json:"rows"`
	Imported int                `json:"imported"` // 0 for a preview or when anything was wrong
	Sample   []ledger.ImportRow `json:"sample"`   // the first rows as read
}

// ImportLedger reads a spreadsheet ledger (.xlsx or .csv), checks every
// row, and with commit imports all of them in one transaction — or none:
// any error comes back naming its line and column, and nothing is written.
// Imported cases keep their numbers and times; their history says they
// were imported. Run it while nobody else is filing cases (the bulk loader
// numbers rows itself).
func (a *App) ImportLedger(ctx context.Context, name string, r io.Reader, m ledger.Mapping, commit bool) (*ImportResult, error) {
	t, err := ledger.ReadTable(name, r)
	if err != nil {
		return nil, err
	}
	cats, err := a.Store.Categories(ctx)
	if err != nil {
		return nil, err
	}
	byID, byName := map[string]bool{}, map[string]string{}
	questions := map[string][]catalog.Attribute{}
	for _, c := range cats {
		byID[c.ID] = true
		if len(c.Attributes) > 0 {
			questions[c.ID] = c.Attributes
		}
		if _, dup := byName[c.Name]; dup {
			byName[c.Name] = "" // ambiguous: a component and a matter share it
		} else {
			byName[c.Name] = c.ID
		}
	}
	var numbers []string
	if col := numberColumn(t, m); col >= 0 {
		for _, rec := range t.Rows {
			if col < len(rec) {
				numbers = append(numbers, rec[col])
			}
		}
	}
	taken, err := a.Store.NumbersTaken(ctx, numbers)
	if err != nil {
		return nil, err
	}
	ix := a.Index()
	rows, err := t.Parse(m, ledger.Checks{
		Category: func(v string) (string, bool) {
			if byID[v] {
				return v, true
			}
			id := byName[v]
			return id, id != ""
		},
		Exists: func(n string) bool { return taken[n] },
		Place: func(lon, lat float64) error {
			_, err := ix.Locate(lon, lat)
			return err
		},
		Case: func(n string) (int64, bool) {
			c, err := a.Store.CaseByNumber(ctx, n)
			if err != nil {
				return 0, false
			}
			return c.ID, true
		},
		Questions: questions,
		Loc:       calendar.Shanghai, Now: a.Now(),
	})
	if err != nil {
		return nil, err
	}
	res := &ImportResult{Rows: len(rows), Sample: rows[:min(len(rows), 10)]}
	if !commit {
		return res, nil
	}
	l, err := a.Store.NewLoader(ctx)
	if err != nil {
		return nil, err
	}
	l.SetBatch(math.MaxInt32)
	l.Alerting, l.Now = a.Policy, a.Now()
	ids := map[string]int64{} // the numbers of this file, for the orders merged into them
	for _, r := range rows {
		dup := ids[r.DuplicateOf]
		if dup == 0 && r.Outcome == ledger.OutcomeMerged {
			c, err := a.Store.CaseByNumber(ctx, r.DuplicateOf)
			if err != nil {
				return nil, fmt.Errorf("import: line %d: %w", r.Line, err)
			}
			dup = c.ID
		}
		c, evs, err := a.importedHistory(name, r, ix, dup)
		if err != nil {
			return nil, fmt.Errorf("import: line %d: %w", r.Line, err)
		}
		if err := l.Add(c, evs); err != nil {
			return nil, err
		}
		ids[c.Number] = c.ID
	}
	if err := l.Close(); err != nil {
		return nil, fmt.Errorf("import: nothing imported: %w", err)
	}
	res.Imported = len(rows)
	return res, nil
}

// importedHistory is a row's case with its history. An order the desk
// ended (answered, transferred, not accepted, merged) takes the case
// loop's own steps, as the desk would have taken them then; one passed
// on is registered, and closed when the ledger says so, with the
// department's answer. A callback result is the loop's callback on it.
// Imported orders are history: none is put on the callback list.
func (a *App) importedHistory(file string, r ledger.ImportRow, ix *places.Index, duplicateOf int64) (*caseflow.Case, []caseflow.Event, error) {
	u, _ := ix.Locate(r.Lon, r.Lat)
	c := &caseflow.Case{Number: r.Number, Channel: r.Channel, CategoryID: r.Category, Urgency: r.Urgency,
		State: caseflow.Registered, Description: r.Description, Address: r.Address, Point: caseflow.Point{Lon: r.Lon, Lat: r.Lat},
		Place:      caseflow.Place{UnitGrid: u.Code, Grid: u.Grid, Community: u.Community, Street: u.Street},
		Reporter:   r.Caller,
		ReportedAt: caseflow.Instant(r.ReportedAt), UpdatedAt: caseflow.Instant(r.ReportedAt), Version: 2}
	note := caseflow.EventData{Note: fmt.Sprintf("导入历史台账 %s 第 %d 行", file, r.Line)}
	sys, desk := caseflow.Actor{Role: caseflow.System}, caseflow.Actor{Role: caseflow.Operator}
	first := note
	first.Intake, first.Attributes = r.Intake, r.Attributes
	var evs []caseflow.Event
	at := r.ClosedAt
	if at.IsZero() {
		at = r.ReportedAt
	}
	step := func(cmd caseflow.Command) error {
		cmd.At, cmd.ExpectedVersion = at, c.Version
		ev, err := caseflow.Apply(c, cmd, a.Policy)
		if err != nil {
			return err
		}
		if cmd.Action != caseflow.ActAnswer { // the answer's note is what the caller was told, nothing else
			ev.Data.Note = strings.TrimSpace(strings.Join([]string{ev.Data.Note, note.Note}, " "))
		}
		evs = append(evs, ev)
		return nil
	}
	if r.Outcome != ledger.OutcomeDispatched {
		reporter := sys
		if r.Intake != nil {
			reporter = desk
		}
		ev, err := caseflow.Report(c, reporter, r.ReportedAt, a.Policy)
		if err != nil {
			return nil, nil, err
		}
		first.Location = ev.Data.Location
		ev.Data = first
		evs = append(evs, ev)
		noCallback := r.Intake != nil && r.Intake.NoCallback
		switch r.Outcome {
		case ledger.OutcomeAnswered:
			err = step(caseflow.Command{Action: caseflow.ActAnswer, Actor: desk, Note: r.Answer.Reply, NoCallback: noCallback})
		case ledger.OutcomeTransferred:
			err = step(caseflow.Command{Action: caseflow.ActTransfer, Actor: desk, Reason: r.OutcomeNote})
		case ledger.OutcomeNotAccepted:
			err = step(caseflow.Command{Action: caseflow.ActDecline, Actor: desk, Reason: r.OutcomeNote})
		case ledger.OutcomeMerged:
			err = step(caseflow.Command{Action: caseflow.ActMerge, Actor: desk, DuplicateOf: duplicateOf, Reason: "重复诉求"})
		}
		if err != nil {
			return nil, nil, err
		}
	} else {
		c.RegisteredAt = c.ReportedAt
		evs = []caseflow.Event{
			{Seq: 1, Action: caseflow.ActReport, ToState: caseflow.Reported, Actor: sys, At: c.ReportedAt, Data: first},
			{Seq: 2, Action: caseflow.ActRegister, FromState: caseflow.Reported, ToState: caseflow.Registered, Actor: sys, At: c.ReportedAt, Data: note},
		}
		if r.ClosedAt.IsZero() {
			c.Deadline = a.Policy.Due(caseflow.StepDispatch, c.CategoryID, c.Urgency, c.ReportedAt)
		} else {
			c.State, c.ClosedAt, c.CloseType, c.UpdatedAt, c.Version = caseflow.Closed, caseflow.Instant(r.ClosedAt), caseflow.CloseNormal, caseflow.Instant(r.ClosedAt), 3
			closed := note
			closed.CloseType = caseflow.CloseNormal
			reason := "原台账记载已结案"
			if r.Answer != nil {
				// The department's answer to the caller, on the close.
				closed.Answer = r.Answer
				c.AnsweredAt = c.ClosedAt
				if !r.Answer.Solved && r.Unsolved != "" {
					reason = r.Unsolved
				}
			}
			evs = append(evs, caseflow.Event{Seq: 3, Action: caseflow.ActClose, FromState: caseflow.Registered, ToState: caseflow.Closed,
				Actor: sys, At: c.ClosedAt, Reason: reason, Data: closed})
		}
	}
	if r.Reach != "" {
		if !r.CallbackAt.IsZero() {
			at = r.CallbackAt
		}
		var solved *bool
		if r.Answer != nil && r.Rating != "" {
			solved = &r.Answer.Solved
		}
		if err := step(caseflow.Command{Action: caseflow.ActCallback, Actor: desk, Reach: r.Reach, Rating: r.Rating, Solved: solved}); err != nil {
			return nil, nil, err
		}
	}
	c.CallbackDue = time.Time{}
	return c, evs, nil
}

// numberColumn finds the case number's column, for the duplicate check.
func numberColumn(t *ledger.Table, m ledger.Mapping) int {
	names := ledger.DefaultHeaders[ledger.FNumber]
	if h, ok := m[ledger.FNumber]; ok {
		names = []string{h}
	}
	for i, h := range t.Header {
		for _, n := range names {
			if h == n {
				return i
			}
		}
	}
	return -1
}

// ImportGrids checks a grid layer (GeoJSON) against the district outline
// and divisions and, with commit, stores it valid from from; cases keep
// the places they were filed in. Nothing is written when anything is wrong.
func (a *App) ImportGrids(ctx context.Context, b []byte, from time.Time, commit bool) (grids, units int, err error) {
	g, u, err := ParseGrids(ctx, a.Store, b, from)
	if err != nil || !commit {
		return len(g), len(u), err
	}
	if err := a.Store.SaveLayer(ctx, g, u, from); err != nil {
		return 0, 0, err
	}
	return len(g), len(u), a.ConfigChanged(ctx, ConfigPlaces)
}

// ParseGrids checks a grid layer against the outline and the stored
// divisions.
func ParseGrids(ctx context.Context, st *store.Store, b []byte, from time.Time) ([]places.Grid, []places.UnitGrid, error) {
	outline, err := places.ParseOutline(refdata.Outline())
	if err != nil {
		return nil, nil, err
	}
	divs, err := st.Divisions(ctx)
	if err != nil {
		return nil, nil, err
	}
	known := map[string]bool{}
	for _, d := range divs {
		known[d.Code] = true
	}
	return places.ParseLayer(b, places.LayerOptions{Outline: outline, Divisions: known, ValidFrom: from})
}
