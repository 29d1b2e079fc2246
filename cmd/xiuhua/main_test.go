package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// binary builds xiuhua once per test run.
func binary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "xiuhua")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// The README's first command: the demo builds, serves over HTTP, and stops
// cleanly on SIGINT; a second run reuses the data.
func TestDemoCommandServes(t *testing.T) {
	bin := binary(t)
	data := t.TempDir()
	for run := 0; run < 2; run++ {
		cmd := exec.Command(bin, "demo", "-cases", "300", "-data", data, "-addr", "127.0.0.1:0")
		stdout, _ := cmd.StdoutPipe()
		cmd.Stderr = io.Discard
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		urlRe := regexp.MustCompile(`running at (http://127\.0\.0\.1:\d+/)`)
		sc := bufio.NewScanner(stdout)
		var url string
		var text strings.Builder
		deadline := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
		for sc.Scan() {
			text.WriteString(sc.Text() + "\n")
			if m := urlRe.FindStringSubmatch(sc.Text()); m != nil {
				url = m[1]
				break
			}
		}
		deadline.Stop()
		if url == "" {
			cmd.Process.Kill()
			t.Fatalf("no URL printed:\n%s", text.String())
		}
		go io.Copy(io.Discard, stdout)
		resp, err := http.Get(url + "api/v1/stats")
		if err != nil {
			t.Fatal(err)
		}
		var stats struct {
			Total     int `json:"total"`
			UnitGrids int `json:"unit_grids"`
		}
		json.NewDecoder(resp.Body).Decode(&stats)
		resp.Body.Close()
		if stats.Total != 312 || stats.UnitGrids < 21000 {
			t.Fatalf("run %d: stats %+v", run, stats)
		}
		if run == 0 && !strings.Contains(text.String(), "Built in") {
			t.Fatalf("first run did not build:\n%s", text.String())
		}
		if run == 1 && !strings.Contains(text.String(), "existing demo") {
			t.Fatalf("second run rebuilt:\n%s", text.String())
		}
		if !strings.Contains(text.String(), "dispatcher1") {
			t.Fatalf("no demo logins printed:\n%s", text.String())
		}
		cmd.Process.Signal(syscall.SIGINT)
		if err := cmd.Wait(); err != nil {
			t.Fatalf("run %d: did not stop cleanly: %v", run, err)
		}
	}
	// An operator can check the maintained evaluation figures against
	// counting the cases.
	month := time.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01")
	for _, g := range []string{"department", "street", "community"} {
		out, err := exec.Command(bin, "evaluate", "-check", "-group", g, "-period", month, "-data", data).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "the aggregates agree with counting the cases") {
			t.Fatalf("evaluate -check -group %s: %v\n%s", g, err, out)
		}
	}
}

func TestBadInputNamesTheProblem(t *testing.T) {
	bin := binary(t)
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("code,name,level,parent_code\n14,山西省,province,\n1402,大同市,town,14\n"), 0o644)
	badRules := filepath.Join(t.TempDir(), "rules.csv")
	os.WriteFile(badRules, []byte("category,area,ownership,lead,assist,note\nM06,*,,hwc,,\nM06011,*,,nobody,,\n"), 0o644)
	badLayer := filepath.Join(t.TempDir(), "layer.geojson")
	os.WriteFile(badLayer, []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"x"},`+
		`"geometry":{"type":"Polygon","coordinates":[[[113.3,40.1],[113.4,40.1],[113.4,40.2],[113.3,40.1]]]}}]}`), 0o644)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "-addr", "nowhere"}, "-addr"},
		{[]string{"serve", "-sqlite-sync", "OFF"}, "-sqlite-sync"},
		{[]string{"import", "divisions", bad, "-data", t.TempDir()}, "line 3, column level"},
		{[]string{"frobnicate"}, "unknown command"},
		{[]string{"serve", "-warn-share", "1.5"}, "-warn-share"},
		{[]string{"serve", "-watch-every", "30s", "-watch-lease", "10s"}, "-watch-lease"},
		{[]string{"serve", "-escalate-after", "soon"}, "-escalate-after"},
		{[]string{"serve", "-retention", "audit=30d"}, "at least 180 days"},
		{[]string{"serve", "-retention", "photos=3d"}, "-retention"},
		{[]string{"serve", "-retention", "inbox=half a year"}, "number of days"},
		{[]string{"serve", "-work-hours", "08:30-12:00,11:00-13:00"}, "overlap"},
		{[]string{"calendar", "set", "2026-10-08", "maybe", "-data", t.TempDir()}, "off or work"},
		{[]string{"calendar", "add", "2026-10-08 09:00", "3 weeks", "-data", t.TempDir()}, "working days"},
		{[]string{"webhook", "add", "-url", "ftp://x", "-data", t.TempDir()}, "http or https"},
		{[]string{"import", "dispatch", badRules, "-data", t.TempDir()}, `rule #3: unknown lead department "nobody"`},
		{[]string{"import", "grids", badLayer, "-data", t.TempDir()}, "feature 0"},
		{[]string{"dispatch", "add", "-category", "M06011", "-lead", "hwc", "-data", t.TempDir()}, `unknown lead department "hwc"`},
		{[]string{"route", "-lon", "40.1", "-lat", "113.3", "-category", "M06011", "-data", t.TempDir()}, "latitude"},
	} {
		out, err := exec.Command(bin, tt.args...).CombinedOutput()
		if err == nil || !strings.Contains(string(out), tt.want) {
			t.Errorf("%v: err %v, output %s", tt.args, err, out)
		}
	}
}
