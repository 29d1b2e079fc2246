package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/demo"
	"github.com/xiuhua/xiuhua/internal/ledger"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/store/storetest"
	"github.com/xiuhua/xiuhua/internal/web"
)

// benchApp opens the database named by $XIUHUA_BENCH_DB (a demo built
// with `xiuhua demo -cases N -no-serve`: a SQLite file or a postgres://
// URL), or builds a 20,000-case demo for the CI smoke run. Its clock is the
// newest case's report time.
func benchApp(b *testing.B) *app.App {
	b.Helper()
	ctx := context.Background()
	var st *store.Store
	if target := os.Getenv("XIUHUA_BENCH_DB"); target != "" {
		var err error
		if st, err = store.Open(ctx, target, store.Options{}); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		if err := st.Migrate(ctx); err != nil {
			b.Fatal(err)
		}
	} else {
		st = storetest.Open(b, store.SQLite)
		if _, err := demo.Build(ctx, st, demo.Options{Cases: 20_000, Seed: 4, End: time.Date(2026, 11, 20, 4, 0, 0, 0, time.UTC)}); err != nil {
			b.Fatal(err)
		}
	}
	a, err := app.New(ctx, st, app.Config{})
	if err != nil {
		b.Fatal(err)
	}
	latest, err := st.Cases(ctx, store.CaseFilter{Limit: 1})
	if err != nil || len(latest) == 0 {
		b.Fatalf("no cases: %v", err)
	}
	now := latest[0].ReportedAt
	a.Now = func() time.Time { return now }
	return a
}

// lastFullMonth is the month before the app's now.
func lastFullMonth(a *app.App) app.Period {
	p, _ := app.ParsePeriod(a.Now().AddDate(0, -1, 0).Format("2006-01"))
	return p
}

// BenchmarkEvaluateMonth: a month's evaluation of every department and
// every street (two evaluations).
func BenchmarkEvaluateMonth(b *testing.B) {
	a := benchApp(b)
	p := lastFullMonth(a)
	ctx := context.Background()
	for b.Loop() {
		for _, g := range []ledger.Group{ledger.ByDepartment, ledger.ByStreet} {
			if _, err := a.Evaluate(ctx, g, p, nil); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkEvaluateYear: the same for the calendar year holding the last
// full month (the year so far when that is the current year).
func BenchmarkEvaluateYear(b *testing.B) {
	a := benchApp(b)
	p, _ := app.ParsePeriod(lastFullMonth(a).From.Format("2006"))
	ctx := context.Background()
	for b.Loop() {
		for _, g := range []ledger.Group{ledger.ByDepartment, ledger.ByStreet} {
			if _, err := a.Evaluate(ctx, g, p, nil); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkEvaluateMonthRecount: the month's counts for departments and
// streets counted from the cases, as before the maintained aggregates.
func BenchmarkEvaluateMonthRecount(b *testing.B) {
	a := benchApp(b)
	p := lastFullMonth(a)
	ctx := context.Background()
	for b.Loop() {
		for _, g := range []ledger.Group{ledger.ByDepartment, ledger.ByStreet} {
			if _, _, err := a.EvaluationCounts(ctx, g, p, true); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkLedgerPage: a street's ledger for a month: its counts and the
// first page of 100 rows, as the page shows them.
func BenchmarkLedgerPage(b *testing.B) {
	a := benchApp(b)
	p := lastFullMonth(a)
	ctx := context.Background()
	f := store.CaseFilter{Street: "140213053", From: p.From, To: p.To, Now: a.Now(), Limit: 100, ByReport: true}
	for b.Loop() {
		if _, err := a.Store.Ledger(ctx, f); err != nil {
			b.Fatal(err)
		}
		if _, err := a.Store.Cases(ctx, f); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLedgerPageDistrict: the whole district's ledger for a month.
func BenchmarkLedgerPageDistrict(b *testing.B) {
	a := benchApp(b)
	p := lastFullMonth(a)
	ctx := context.Background()
	f := store.CaseFilter{From: p.From, To: p.To, Now: a.Now(), Limit: 100, ByReport: true}
	for b.Loop() {
		if _, err := a.Store.Ledger(ctx, f); err != nil {
			b.Fatal(err)
		}
		if _, err := a.Store.Cases(ctx, f); err != nil {
			b.Fatal(err)
		}
	}
}

// discard is a ResponseWriter that keeps the status and counts the bytes.
type discard struct {
	h    http.Header
	code int
	n    int64
}

func (d *discard) Header() http.Header { return d.h }
func (d *discard) Write(p []byte) (int, error) {
	if d.code == 0 {
		d.code = http.StatusOK
	}
	d.n += int64(len(p))
	return len(p), nil
}
func (d *discard) WriteHeader(code int) {
	if d.code == 0 {
		d.code = code
	}
}

// BenchmarkExportLedgerXLSX: the ledger of the most recent 100,000 cases
// (fewer in the smoke run) as .xlsx through the HTTP handler, with the
// most heap in use while it streams.
func BenchmarkExportLedgerXLSX(b *testing.B) {
	a := benchApp(b)
	ctx := context.Background()
	// The report day of the 100,000th newest case bounds the export.
	var from time.Time
	f := store.CaseFilter{Limit: 1000}
	for n := 0; n < 100_000; n += 1000 {
		cs, err := a.Store.Cases(ctx, f)
		if err != nil || len(cs) == 0 {
			break
		}
		from = cs[len(cs)-1].ReportedAt
		f.Before = cs[len(cs)-1].ID
	}
	h := web.New(a)
	url := "/api/v1/ledger?format=xlsx&from=" + from.In(time.FixedZone("CST", 8*3600)).AddDate(0, 0, 1).Format("2006-01-02")
	counts, _ := a.Store.Ledger(ctx, store.CaseFilter{From: from.AddDate(0, 0, 1), Now: a.Now()})
	token, _, err := a.CreateToken(ctx, "dispatcher1", fmt.Sprintf("bench-%d", time.Now().UnixNano()))
	if err != nil {
		b.Fatal(err)
	}
	peak := storetest.HeapPeak()
	var size int64
	for b.Loop() {
		w := &discard{h: http.Header{}}
		r := httptest.NewRequest("GET", url, nil)
		r.Header.Set("Authorization", "Bearer "+token)
		h.ServeHTTP(w, r)
		if w.code != http.StatusOK || w.n < counts.Total*50 {
			b.Fatalf("export: status %d, %d bytes for %d rows", w.code, w.n, counts.Total)
		}
		size = w.n
	}
	b.ReportMetric(float64(counts.Total), "rows")
	b.ReportMetric(float64(size)/1e6, "MB")
	b.ReportMetric(peak(), "peak-heap-MB")
}

// BenchmarkImportLedger100k: a 100,000-row CSV ledger checked and imported
// in one transaction into the one-cell test city.
func BenchmarkImportLedger100k(b *testing.B) {
	var csv strings.Builder
	csv.WriteString("案件编号,问题类别,问题描述,地址,经度,纬度,上报时间,结案时间\n")
	for i := range 100_000 {
		fmt.Fprintf(&csv, "IMP-%06d,M06011,垃圾堆积,某小区,%.5f,%.5f,2026-01-%02d 09:30,2026-01-%02d 16:00\n",
			i, 113.31+float64(i%1000)*0.0001, 40.01+float64(i/1000)*0.0005, 1+i%27, 2+i%27)
	}
	data := csv.String()
	for b.Loop() {
		b.StopTimer()
		a, _ := importApp(&testing.T{})
		b.StartTimer()
		res, err := a.ImportLedger(context.Background(), "ledger.csv", strings.NewReader(data), nil, true)
		if err != nil || res.Imported != 100_000 {
			b.Fatalf("%v %+v", err, res)
		}
	}
}

// BenchmarkImportHotline100k imports a district's 12345 export of 100,000
// orders in the mix a hotline's year has: four in ten answered at the desk
// and called back, three passed on and closed with the department's answer
// and a rating, one still open, and the rest transferred or not accepted;
// each with its caller, request type and the five elements, checked and
// committed in one transaction.
func BenchmarkImportHotline100k(b *testing.B) {
	var csv strings.Builder
	csv.WriteString("工单编号,问题类别,问题描述,经度,纬度,上报时间,结案时间,诉求类型,紧急程度,来电人,来电号码,是否同意回访,事发时间,事由,办理方式,受理说明,答复内容,是否解决,满意度\n")
	for i := range 100_000 {
		day := 1 + i%27
		fmt.Fprintf(&csv, "H-%06d,M06011,垃圾堆积,%.5f,%.5f,2026-01-%02d 09:30,", i, 113.31+float64(i%1000)*0.0001, 40.01+float64(i/1000)*0.0005, day)
		switch k := i % 10; {
		case k < 4:
			fmt.Fprintf(&csv, "2026-01-%02d 09:40,咨询,一般,张女士,139%08d,是,今天早上,垃圾清运,直接答复,,已告知清运时间,是,满意\n", day, i)
		case k < 7:
			fmt.Fprintf(&csv, "2026-01-%02d 16:00,投诉,紧急,李先生,138%08d,是,每天,垃圾堆积,派遣,,已清运,是,基本满意\n", day+1, i)
		case k < 9:
			fmt.Fprintf(&csv, ",求助,一般,王先生,137%08d,否,昨晚,垃圾,派遣,,,,\n", i)
		case i%20 == 9:
			fmt.Fprintf(&csv, "2026-01-%02d 09:35,求助,特急,赵先生,136%08d,否,,,转办,已转 110,,,\n", day, i)
		default:
			fmt.Fprintf(&csv, "2026-01-%02d 09:35,投诉,一般,孙女士,135%08d,否,,,不予受理,属民事纠纷,,,\n", day, i)
		}
	}
	data := csv.String()
	for b.Loop() {
		b.StopTimer()
		a, _ := importApp(&testing.T{})
		b.StartTimer()
		res, err := a.ImportLedger(context.Background(), "12345.csv", strings.NewReader(data), nil, true)
		if err != nil || res.Imported != 100_000 {
			b.Fatalf("%v %+v", err, res)
		}
	}
}
