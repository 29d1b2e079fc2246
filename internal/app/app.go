// Package app wires the domain to the store: it resolves a report's point
// to its places, computes deadlines with the time-limit policy on the
// working calendar, and hands each transition to the store. HTTP handlers,
// the CLI and the demo call it; it imports neither net/http nor SQL.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/xiuhua/xiuhua/internal/access"
	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/catalog"
	"github.com/xiuhua/xiuhua/internal/deadline"
	"github.com/xiuhua/xiuhua/internal/ledger"
	"github.com/xiuhua/xiuhua/internal/notify"
	"github.com/xiuhua/xiuhua/internal/notify/channel"
	"github.com/xiuhua/xiuhua/internal/photos"
	"github.com/xiuhua/xiuhua/internal/places"
	"github.com/xiuhua/xiuhua/internal/refdata"
	"github.com/xiuhua/xiuhua/internal/routing"
	"github.com/xiuhua/xiuhua/internal/store"
)

// App is the running system.
type App struct {
	Store  *store.Store
	Policy *Policy // the time-limit policy in force (swapped by ReloadPolicy)
	Now    func() time.Time
	Photos photos.Blobs // where photos live; nil: uploads are refused
	// Ladder is the escalation ladder the sender climbs (-notify-ladder);
	// nil: notify.DefaultLadder.
	Ladder *notify.Ladder
	// Channels are the mail and SMS channels the binary was given, by
	// kind, for the rules page to describe (group robots are in the store).
	Channels map[string]channel.Described
	index    atomic.Pointer[places.Index]
	routes   atomic.Pointer[routing.Table]
	// placesUntil is when the loaded layer stops being the valid one
	// (Unix ms; 0: no redraw scheduled).
	placesUntil atomic.Int64
	cfg         Config
	holders     holders      // who holds a token or session, for a moment
	pruned      atomic.Int64 // the hour login counters were last pruned (pruneLoginCounters)
	refusals    refusals     // which refused sign-ins were logged this minute
	// loadedGens are the configuration counters read before the
	// configuration was loaded (see FollowConfig).
	loadedGens map[string]int64
}

// Config is how a district sets its working calendar and alerts.
type Config struct {
	Hours       string              // working windows, "08:30-12:00,14:30-18:00"; empty: calendar.DefaultWindows
	SummerHours string              // windows in summer; empty: none
	Summer      string              // the summer, "05-01..09-30"
	Alerts      deadline.Alerts     // zero: deadline.DefaultAlerts
	Places      *places.Index       // the point index over the layer valid now, if the caller holds it (see UsePlaces); nil: read from the store
	Hotline     ledger.HotlineRules // the city's choices about the hotline's three rates
}

// Hotline is the city's choices about the hotline's three rates.
func (a *App) Hotline() ledger.HotlineRules { return a.cfg.Hotline }

// HolidayFiles are the holiday files in force: those built in, each
// replaced by a file of the same year imported at run time, and the
// imported years the binary does not know.
func HolidayFiles(ctx context.Context, st *store.Store) ([][]byte, error) {
	imported, err := st.HolidayFiles(ctx)
	if err != nil {
		return nil, err
	}
	byYear := map[int][]byte{}
	var years []int
	for _, b := range refdata.Holidays() {
		f, err := calendar.ParseHolidayFile(b)
		if err != nil {
			return nil, err
		}
		byYear[f.Year] = b
		years = append(years, f.Year)
	}
	for _, f := range imported {
		if _, ok := byYear[f.Year]; !ok {
			years = append(years, f.Year)
		}
		byYear[f.Year] = f.Body
	}
	slices.Sort(years)
	out := make([][]byte, 0, len(years))
	for _, y := range years {
		out = append(out, byYear[y])
	}
	return out, nil
}

// Calendar builds the working calendar: windows, seasons, the State
// Council's holiday files and the district's own days off from the store.
func Calendar(ctx context.Context, st *store.Store, cfg Config) (*calendar.Calendar, error) {
	return calendarWith(ctx, st, cfg, nil, nil)
}

// calendarWith is Calendar with these holiday files (nil: those in force).
func calendarWith(ctx context.Context, st *store.Store, cfg Config, files [][]byte, override *[]store.CalendarDay) (*calendar.Calendar, error) {
	ws := calendar.DefaultWindows
	if cfg.Hours != "" {
		var err error
		if ws, err = calendar.ParseWindows(cfg.Hours); err != nil {
			return nil, err
		}
	}
	if files == nil {
		var err error
		if files, err = HolidayFiles(ctx, st); err != nil {
			return nil, err
		}
	}
	cal, err := calendar.New(ws, files...)
	if err != nil {
		return nil, err
	}
	if cfg.SummerHours != "" {
		sw, err := calendar.ParseWindows(cfg.SummerHours)
		if err != nil {
			return nil, err
		}
		from, to, err := calendar.ParseSeason(cfg.Summer)
		if err != nil {
			return nil, err
		}
		if cal, err = cal.WithSeason(from, to, sw); err != nil {
			return nil, err
		}
	}
	var days []store.CalendarDay
	if override != nil {
		days = *override
	} else if days, err = st.CalendarDays(ctx); err != nil {
		return nil, fmt.Errorf("app: calendar days: %w", err)
	}
	for _, d := range days {
		t, err := time.ParseInLocation("2006-01-02", d.Day, calendar.Shanghai)
		if err != nil {
			return nil, fmt.Errorf("app: calendar day %q: %w", d.Day, err)
		}
		cal = cal.WithDay(t, d.Working)
	}
	return cal, nil
}

// New loads the calendar, the time limits and the current grid layer.
func New(ctx context.Context, st *store.Store, cfg Config) (*App, error) {
	a := &App{Store: st, Policy: &Policy{}, Now: time.Now, cfg: cfg}
	gens, err := st.ConfigGenerations(ctx)
	if err != nil {
		return nil, err
	}
	a.loadedGens = gens
	if err := a.ReloadPolicy(ctx); err != nil {
		return nil, err
	}
	now := time.Now()
	if miss := a.Policy.Calendar().MissingYears(now.Year(), now.Year()+1); len(miss) > 0 {
		slog.Warn("NO HOLIDAY FILE: working time in these years counts weekends only; add the State Council's holiday file",
			"years", miss)
	}
	if cfg.Places != nil {
		if err := a.UsePlaces(ctx, cfg.Places); err != nil {
			return nil, err
		}
	} else if err := a.ReloadPlaces(ctx); err != nil {
		return nil, err
	}
	if err := a.ReloadRoutes(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

// BuildPolicy makes the time-limit policy from the configuration and the
// store: the calendar with the district's own days and the time-limit
// table (the defaults when it is empty).
func BuildPolicy(ctx context.Context, st *store.Store, cfg Config) (*deadline.Policy, error) {
	return buildPolicy(ctx, st, cfg, nil)
}

func buildPolicy(ctx context.Context, st *store.Store, cfg Config, files [][]byte) (*deadline.Policy, error) {
	return buildPolicyWith(ctx, st, cfg, files, nil)
}

// buildPolicyWith builds the policy with these holiday files (nil: the
// ones in force) and these district days (nil: the store's).
func buildPolicyWith(ctx context.Context, st *store.Store, cfg Config, files [][]byte, days *[]store.CalendarDay) (*deadline.Policy, error) {
	cal, err := calendarWith(ctx, st, cfg, files, days)
	if err != nil {
		return nil, err
	}
	limits, err := st.TimeLimits(ctx)
	if err != nil {
		return nil, fmt.Errorf("app: time limits: %w", err)
	}
	if len(limits) == 0 {
		limits = deadline.DefaultLimits()
	}
	pol, err := deadline.NewPolicy(cal, limits)
	if err != nil {
		return nil, err
	}
	if cfg.Alerts != (deadline.Alerts{}) {
		if pol, err = pol.WithAlerts(cfg.Alerts); err != nil {
			return nil, err
		}
	}
	return pol, nil
}

// ReloadPolicy rebuilds the policy after the calendar or the time limits
// changed; every holder of a.Policy sees the new one. Deadlines already
// running keep their times; new steps use the new policy.
func (a *App) ReloadPolicy(ctx context.Context) error {
	pol, err := BuildPolicy(ctx, a.Store, a.cfg)
	if err != nil {
		return err
	}
	a.Policy.Set(pol)
	return nil
}

// ReloadPlaces rebuilds the point index from the grid layer valid now,
// and notes when a redrawn layer takes over.
func (a *App) ReloadPlaces(ctx context.Context) error {
	units, err := a.Store.UnitGrids(ctx, a.Now())
	if err != nil {
		return fmt.Errorf("app: load unit grids: %w", err)
	}
	return a.UsePlaces(ctx, places.NewIndex(units))
}

// UsePlaces makes ix, built over the grid layer valid now, the point
// index, and notes when a redrawn layer takes over: for a caller that
// already holds the layer (ReloadPlaces reads it from the store). An
// index is read-only and may serve several apps.
func (a *App) UsePlaces(ctx context.Context, ix *places.Index) error {
	next, err := a.Store.NextLayerChange(ctx, a.Now())
	if err != nil {
		return fmt.Errorf("app: next grid layer: %w", err)
	}
	a.index.Store(ix)
	if next.IsZero() {
		a.placesUntil.Store(0)
	} else {
		a.placesUntil.Store(next.UnixMilli())
	}
	return nil
}

// Index is the point index valid now: a layer redrawn from a date takes
// over at that date (the first lookup after it reloads).
func (a *App) Index() *places.Index {
	if until := a.placesUntil.Load(); until != 0 && a.Now().UnixMilli() >= until {
		if err := a.ReloadPlaces(context.Background()); err != nil {
			slog.Error("reloading the grid layer", "err", err)
		}
	}
	return a.index.Load()
}

// ReportInput is a new problem as it arrives.
type ReportInput struct {
	Channel     caseflow.Channel
	CategoryID  string
	Urgency     caseflow.Urgency
	Description string
	Address     string
	Lon, Lat    float64
	Reporter    caseflow.Reporter
	Photos      []string         // uploaded photo ids, the report's evidence
	Intake      *caseflow.Intake // a call taken at the hotline desk
	// Attributes answer the category's questions (code → value).
	Attributes map[string]string
}

// ReportAs files a case for a signed-in person, who must be allowed to
// report there; with an idempotency key a retry returns the first case
// (created false).
func (a *App) ReportAs(ctx context.Context, in ReportInput, p access.Principal, key string) (*caseflow.Case, bool, error) {
	answers, err := a.answers(ctx, in)
	if err != nil {
		return nil, false, err
	}
	c, ev, err := a.prepare(in, p.Actor())
	if err != nil {
		return nil, false, err
	}
	ev.Data.Attributes = answers
	if err := access.CanReport(p, c.Place); err != nil {
		return nil, false, err
	}
	if key == "" {
		return c, true, a.Store.CreateCase(ctx, c, &ev, a.Policy)
	}
	id, created, err := a.Store.CreateCaseOnce(ctx, c, &ev, a.Policy, p.AccountID, key)
	if err != nil {
		return nil, false, err
	}
	if !created {
		c, err = a.Store.Case(ctx, id)
	}
	return c, created, err
}

// Report files a new case: the point is resolved to its unit grid, grid,
// community and street, and the case and its first event are stored.
func (a *App) Report(ctx context.Context, in ReportInput, actor caseflow.Actor) (*caseflow.Case, error) {
	answers, err := a.answers(ctx, in)
	if err != nil {
		return nil, err
	}
	c, ev, err := a.prepare(in, actor)
	if err != nil {
		return nil, err
	}
	ev.Data.Attributes = answers
	if err := a.Store.CreateCase(ctx, c, &ev, a.Policy); err != nil {
		return nil, err
	}
	return c, nil
}

// answers checks a report's answers to its category's questions (a
// category without questions takes none); an unknown category is left to
// the case loop to refuse.
func (a *App) answers(ctx context.Context, in ReportInput) (map[string]string, error) {
	qs, err := a.Store.CategoryAttributes(ctx, in.CategoryID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && len(qs) == 0 && len(in.Attributes) == 0) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	got, err := catalog.Answer(qs, in.Attributes)
	var ae *catalog.AttributeError
	if errors.As(err, &ae) {
		code := caseflow.CodeInvalid
		if ae.Missing {
			code = caseflow.CodeRequired
		}
		return nil, &caseflow.Error{Code: code, Action: caseflow.ActReport, Field: ae.Field, Msg: ae.Msg, Params: ae.Params()}
	}
	return got, err
}

// prepare places a report and validates it as the case loop's first event.
func (a *App) prepare(in ReportInput, actor caseflow.Actor) (*caseflow.Case, caseflow.Event, error) {
	if in.Urgency == "" {
		in.Urgency = caseflow.Normal
	}
	u, err := a.Index().Locate(in.Lon, in.Lat)
	if err != nil {
		return nil, caseflow.Event{}, &caseflow.Error{Code: caseflow.CodeInvalid, Action: caseflow.ActReport, Field: "location", Msg: err.Error()}
	}
	c := &caseflow.Case{Channel: in.Channel, CategoryID: in.CategoryID, Urgency: in.Urgency,
		Description: strings.TrimSpace(in.Description), Address: strings.TrimSpace(in.Address),
		Point: caseflow.Point{Lon: in.Lon, Lat: in.Lat}, Reporter: in.Reporter,
		Place: caseflow.Place{UnitGrid: u.Code, Grid: u.Grid, Community: u.Community, Street: u.Street}}
	ev, err := caseflow.Report(c, actor, a.Now(), a.Policy)
	if err == nil && len(in.Photos) > 0 {
		ev.Data.Photos = in.Photos
	}
	if err == nil {
		ev.Data.Intake = in.Intake
	}
	return c, ev, err
}

// Correction checks what the centre corrects in a report (a category of
// the catalog, a point in the district) and places the point; nil when
// nothing is corrected.
func (a *App) Correction(ctx context.Context, action caseflow.Action, category string, lon, lat *float64) (*caseflow.Correction, error) {
	if category == "" && lon == nil && lat == nil {
		return nil, nil
	}
	k := &caseflow.Correction{}
	if category != "" {
		cats, err := a.Store.Categories(ctx)
		if err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(cats, func(c catalog.Category) bool { return c.ID == category }) {
			return nil, &caseflow.Error{Code: caseflow.CodeInvalid, Action: action, Field: "category", Msg: "unknown category " + category}
		}
		k.CategoryID = category
	}
	if lon != nil || lat != nil {
		if lon == nil || lat == nil {
			return nil, &caseflow.Error{Code: caseflow.CodeInvalid, Action: action, Field: "lon", Msg: "a corrected place needs both lon and lat"}
		}
		u, err := a.Index().Locate(*lon, *lat)
		if err != nil {
			return nil, &caseflow.Error{Code: caseflow.CodeInvalid, Action: action, Field: "location", Msg: err.Error()}
		}
		k.Point = &caseflow.Point{Lon: *lon, Lat: *lat}
		k.Place = &caseflow.Place{UnitGrid: u.Code, Grid: u.Grid, Community: u.Community, Street: u.Street}
	}
	return k, nil
}

// ActOnce is Act with an idempotency key of the account: a command sent
// again with the same key changes nothing (applied false).
func (a *App) ActOnce(ctx context.Context, caseID int64, cmd caseflow.Command, accountID int64, key string) (*caseflow.Case, bool, error) {
	if cmd.At.IsZero() {
		cmd.At = a.Now()
	}
	if err := a.callerPrefs(ctx, caseID, &cmd); err != nil {
		return nil, false, err
	}
	return a.Store.TransitionOnce(ctx, caseID, cmd, a.Policy, accountID, key)
}

// closing are the steps that may close a hotline order and so schedule
// its callback.
var closing = []caseflow.Action{caseflow.ActAnswer, caseflow.ActCallerAnswer, caseflow.ActReportBack, caseflow.ActClose, caseflow.ActFollow}

// callerPrefs tells a closing step what the caller said at intake: a
// caller who declined callbacks is not put on the callback list.
func (a *App) callerPrefs(ctx context.Context, caseID int64, cmd *caseflow.Command) error {
	if !slices.Contains(closing, cmd.Action) {
		return nil
	}
	evs, err := a.Store.Events(ctx, caseID)
	if err != nil {
		return err
	}
	if len(evs) > 0 && evs[0].Data.Intake != nil {
		cmd.NoCallback = evs[0].Data.Intake.NoCallback
	}
	return nil
}

// Act makes one transition at the current time.
func (a *App) Act(ctx context.Context, caseID int64, cmd caseflow.Command) (*caseflow.Case, caseflow.Event, error) {
	if cmd.At.IsZero() {
		cmd.At = a.Now()
	}
	if err := a.callerPrefs(ctx, caseID, &cmd); err != nil {
		return nil, caseflow.Event{}, err
	}
	n, ev, err := a.Store.Transition(ctx, caseID, cmd, a.Policy)
	if err == nil && ev.ToState == caseflow.Closed && ev.FromState != caseflow.Closed {
		a.followMerged(ctx, n, ev)
	}
	return n, ev, err
}

// followMerged gives the orders merged into c, now closed, its answer and
// each its own callback (caseflow.ActFollow). The parent's transition is
// already committed; a merged order that cannot follow now is logged and
// can follow when the parent closes again.
func (a *App) followMerged(ctx context.Context, c *caseflow.Case, ev caseflow.Event) {
	numbers, err := a.Store.MergedInto(ctx, c.ID, 1000)
	if err != nil || len(numbers) == 0 {
		if err != nil {
			slog.Error("merged orders not told", "case", c.Number, "err", err)
		}
		return
	}
	reply, solved := "", true
	switch {
	case ev.Data.Answer != nil:
		reply, solved = ev.Data.Answer.Reply, ev.Data.Answer.Solved
	case ev.Action == caseflow.ActAnswer:
		reply = ev.Data.Note
	default:
		// Closed by the centre after the check: the department's answer,
		// if the order had one, is the last answer on its timeline.
		if evs, err := a.Store.Events(ctx, c.ID); err == nil {
			for i := len(evs) - 1; i >= 0; i-- {
				if x := evs[i].Data.Answer; x != nil {
					reply, solved = x.Reply, x.Solved
					break
				}
			}
		}
	}
	for _, number := range numbers {
		m, err := a.Store.CaseByNumber(ctx, number)
		if err != nil || m.State != caseflow.Voided || !m.AnsweredAt.IsZero() {
			continue
		}
		s := solved
		follow := caseflow.Command{Action: caseflow.ActFollow, Actor: caseflow.Actor{Role: caseflow.System},
			At: ev.At, ExpectedVersion: m.Version, Reply: reply, Solved: &s}
		if err := a.callerPrefs(ctx, m.ID, &follow); err != nil {
			slog.Error("a merged order did not follow its parent", "case", m.Number, "parent", c.Number, "err", err)
			continue
		}
		if _, _, err := a.Store.Transition(ctx, m.ID, follow, a.Policy); err != nil {
			slog.Error("a merged order did not follow its parent", "case", m.Number, "parent", c.Number, "err", err)
		}
	}
}
