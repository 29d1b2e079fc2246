package demo

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/alarm"
	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/photos"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
)

// TestCameraNetwork: the demo's 40 cameras stand in the old town's
// communities and their month of alarms reviews at about 70 % precision,
// recounted from the raw alarms; the cases they filed are on the video
// channel, and most are closed by the month's end.
func TestCameraNetwork(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, store.SQLite)
	if _, err := Build(ctx, st, Options{Cases: 200, Seed: 7, End: end}); err != nil {
		t.Fatal(err)
	}
	a, err := app.New(ctx, st, app.Config{})
	if err != nil {
		t.Fatal(err)
	}
	a.Now = func() time.Time { return end }
	a.Photos = photos.Dir(filepath.Join(t.TempDir(), "photos"))
	res, err := Cameras(ctx, a, CameraOptions{Seed: 7, End: end, PerDay: 60})
	if err != nil {
		t.Fatal(err)
	}
	devs, _ := st.Devices(ctx)
	coms := map[string]bool{}
	for _, d := range devs {
		if d.Street != OldTown || d.Grid == "" {
			t.Fatalf("camera %s stands in %s/%s, not the old town", d.Code, d.Street, d.Grid)
		}
		coms[d.Community] = true
	}
	if len(devs) != 40 || len(coms) != 12 {
		t.Fatalf("%d cameras in %d communities, want 40 in the old town's 12", len(devs), len(coms))
	}
	// Recount from the raw alarms.
	by := map[alarm.Status]int{}
	var before int64
	total := 0
	for {
		list, err := st.Alarms(ctx, store.AlarmFilter{Limit: 500, Before: before})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) == 0 {
			break
		}
		for _, r := range list {
			by[r.Status]++
			total++
		}
		before = list[len(list)-1].ID
	}
	reviewed := by[alarm.StatusAccepted] + by[alarm.StatusFalse] + by[alarm.StatusMerged]
	precision := float64(by[alarm.StatusAccepted]+by[alarm.StatusMerged]) / float64(reviewed)
	if total != res.Alarms || reviewed != res.Reviewed || precision != res.Precision {
		t.Fatalf("the result says %d alarms, %d reviewed, precision %.3f; the rows %d, %d, %.3f", res.Alarms, res.Reviewed, res.Precision, total, reviewed, precision)
	}
	if precision < 0.62 || precision > 0.78 || reviewed < 200 {
		t.Fatalf("precision %.3f over %d reviewed, want about 70 %%", precision, reviewed)
	}
	cases, _ := st.Cases(ctx, store.CaseFilter{Channel: caseflow.ChannelVideo, Limit: 1000})
	closed := 0
	for _, c := range cases {
		if c.State == caseflow.Closed {
			closed++
		}
		if !strings.Contains(c.Description, "摄像头") {
			t.Fatalf("camera case %s reads %q", c.Number, c.Description)
		}
	}
	if len(cases) < 200 || closed*10 < len(cases)*7 {
		t.Fatalf("%d camera cases, %d closed", len(cases), closed)
	}
	t.Logf("%d cameras, %d alarms %v; %d reviewed, precision %.1f %%; %d camera cases, %d closed", len(devs), total, by, reviewed, 100*precision, len(cases), closed)
}
