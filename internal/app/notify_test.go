package app_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/access"
	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/notify"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
	"github.com/xiuhua/xiuhua/internal/watch"
)

// The dry run says what the watcher then does: for a handling deadline at
// each stage (warned, overdue with its automatic reminder, escalated with
// its automatic supervision order), the inbox lines it predicts are the
// lines the watcher writes, and the sends it predicts (channel, masked
// address, ladder step, when) are the sends the messenger plans from
// them — on both engines.
func TestNotifyDryRunAgreesWithTheWatcher(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := storetest.NewFixture(t, st)
		a, err := app.New(ctx, st, app.Config{})
		if err != nil {
			t.Fatal(err)
		}
		c := f.Report(t, storetest.T0)
		c = f.Do(t, c, caseflow.Command{Action: caseflow.ActRegister, Actor: f.Disp, At: storetest.T0.Add(10 * time.Minute)})
		c = f.Do(t, c, caseflow.Command{Action: caseflow.ActDispatch, Actor: f.Disp, At: storetest.T0.Add(20 * time.Minute),
			Assignments: []caseflow.Assignment{{UnitID: f.Env.ID, Lead: true}}})
		if err := st.SaveRobot(ctx, &store.RobotConfig{RobotInfo: store.RobotInfo{UnitID: f.Env.ID, Kind: "dingtalk", Name: "环卫处值班群", Lang: "zh-CN", Active: true}, Token: "tok"}, storetest.T0); err != nil {
			t.Fatal(err)
		}
		if err := st.SetAccountContacts(ctx, f.Handler.AccountID, store.Contacts{Phone: "13903520001", Lang: "zh-CN", Channels: []string{}, Liaison: true}); err != nil {
			t.Fatal(err)
		}
		if err := st.SetAccountContacts(ctx, f.Leader.AccountID, store.Contacts{Phone: "13903520009", Email: "sun@pingcheng.gov.cn", Lang: "en", Channels: []string{"mail"}}); err != nil {
			t.Fatal(err)
		}
		// Every line written before is planned first, so the messenger's
		// sends below are only those of the stage.
		m := &watch.Messenger{Store: st, Ladder: a.NotifyLadder(), Calendar: a.Policy.Calendar}
		if _, err := m.PlanOnce(ctx); err != nil {
			t.Fatal(err)
		}
		p := access.Principal{AccountID: f.Disp.AccountID, Role: caseflow.Dispatcher, UnitID: f.Centre.ID}
		task := func() store.Watch {
			ws, err := st.CaseWatches(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range ws {
				if strings.HasPrefix(w.Key, "task:") {
					return w
				}
			}
			t.Fatal("no task watch")
			return store.Watch{}
		}
		maxID := func(table string) int64 {
			var n int64
			if err := st.DB().QueryRow(`SELECT coalesce(max(id), 0) FROM ` + table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		for _, stage := range app.Stages {
			w := task()
			now := w.NextAt
			a.Now = func() time.Time { return now }
			d, err := a.NotifyDryRun(ctx, p, c.Number, stage)
			if err != nil {
				t.Fatal(err)
			}
			var predicted, predictedSends []string
			for _, dd := range d.Deadlines {
				if dd.Step != caseflow.StepHandle || dd.UnitID != f.Env.ID {
					continue
				}
				for _, l := range dd.Lines {
					predicted = append(predicted, fmt.Sprintf("%s unit %d account %d", l.Kind, l.UnitID, l.AccountID))
					for _, s := range l.Sends {
						predictedSends = append(predictedSends, fmt.Sprintf("%s %s step %d at %s", s.Channel, s.To, s.Step, s.NotBefore.UTC().Format(time.RFC3339)))
					}
				}
			}
			lines, sends := maxID("notifications"), maxID("sends")
			if _, err := st.Advance(ctx, w, now, a.Policy); err != nil {
				t.Fatalf("%s: %v", stage, err)
			}
			if _, err := m.PlanOnce(ctx); err != nil {
				t.Fatal(err)
			}
			var written, planned []string
			rows, err := st.DB().Query(`SELECT kind, coalesce(unit_id, 0), coalesce(account_id, 0) FROM notifications WHERE id > $1`, lines)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var kind string
				var unit, acc int64
				rows.Scan(&kind, &unit, &acc)
				written = append(written, fmt.Sprintf("%s unit %d account %d", kind, unit, acc))
			}
			rows.Close()
			names := map[string]string{"1": "环卫处值班群"}
			rows, err = st.DB().Query(`SELECT channel, address, step, not_before FROM sends WHERE id > $1`, sends)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var ch, addr string
				var step int
				var nb int64
				rows.Scan(&ch, &addr, &step, &nb)
				to := notify.MaskAddress(ch, addr)
				if ch == notify.SendRobot {
					to = names[addr]
				}
				planned = append(planned, fmt.Sprintf("%s %s step %d at %s", ch, to, step, time.UnixMilli(nb).UTC().Format(time.RFC3339)))
			}
			rows.Close()
			for _, l := range [][]string{predicted, written, predictedSends, planned} {
				sort.Strings(l)
			}
			if len(written) == 0 || !slices.Equal(predicted, written) {
				t.Errorf("%s: the dry run predicted lines\n%v\nthe watcher wrote\n%v", stage, predicted, written)
			}
			if len(planned) == 0 || !slices.Equal(predictedSends, planned) {
				t.Errorf("%s: the dry run predicted sends\n%v\nthe messenger planned\n%v", stage, predictedSends, planned)
			}
			t.Logf("%s: %d lines, %d sends", stage, len(written), len(planned))
			if c, err = st.Case(ctx, c.ID); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// BenchmarkNotifyDryRun times the case file's dry run for 超期 升级 on a
// dispatched case with a robot, a liaison and a leader to reach (SQLite).
func BenchmarkNotifyDryRun(b *testing.B) {
	ctx := context.Background()
	st := storetest.Open(b, store.SQLite)
	f := storetest.NewFixture(b, st)
	a, err := app.New(ctx, st, app.Config{})
	if err != nil {
		b.Fatal(err)
	}
	c := f.Report(b, storetest.T0)
	c = f.Do(b, c, caseflow.Command{Action: caseflow.ActRegister, Actor: f.Disp, At: storetest.T0.Add(10 * time.Minute)})
	f.Do(b, c, caseflow.Command{Action: caseflow.ActDispatch, Actor: f.Disp, At: storetest.T0.Add(20 * time.Minute),
		Assignments: []caseflow.Assignment{{UnitID: f.Env.ID, Lead: true}}})
	st.SaveRobot(ctx, &store.RobotConfig{RobotInfo: store.RobotInfo{UnitID: f.Env.ID, Kind: "dingtalk", Name: "环卫处值班群", Lang: "zh-CN", Active: true}, Token: "tok"}, storetest.T0)
	st.SetAccountContacts(ctx, f.Handler.AccountID, store.Contacts{Phone: "13903520001", Lang: "zh-CN", Channels: []string{}, Liaison: true})
	p := access.Principal{AccountID: f.Disp.AccountID, Role: caseflow.Dispatcher, UnitID: f.Centre.ID}
	a.Now = func() time.Time { return storetest.T0.Add(time.Hour) }
	for b.Loop() {
		if _, err := a.NotifyDryRun(ctx, p, c.Number, notify.Escalated); err != nil {
			b.Fatal(err)
		}
	}
}
