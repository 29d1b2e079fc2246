package web

import (
	"bytes"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/ledger"
	"github.com/xiuhua/xiuhua/internal/store"
)

// The monthly report (月度报告) for the district or one street: the month's
// figures, the rankings, the cases overdue at its end and the recurring
// hotspots. A page, and the same page as a file (?download=1).

type reportData struct {
	Title      string
	Period     app.Period
	AsOf       string
	Street     string
	Counts     store.LedgerCounts
	Streets    []ledger.Row
	Depts      []ledger.Row
	Overdue    []CaseView
	OverdueAll int64
	Hotspots   []store.Hotspot
	Published  bool
	Rates      []ledger.Rate
	MinSample  int64
}

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct": func(f *float64) string {
		if f == nil {
			return "—"
		}
		return template.HTMLEscapeString(formatPct(*f))
	},
	"score": func(f *float64) string {
		if f == nil {
			return "—"
		}
		return scoreText(f)
	},
	"day": func(v any) string {
		switch t := v.(type) {
		case time.Time:
			return t.In(calendar.Shanghai).Format("01-02 15:04")
		case *time.Time:
			if t != nil {
				return t.In(calendar.Shanghai).Format("01-02 15:04")
			}
		}
		return ""
	},
}).Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Title}}</title>
<style>body{font-family:system-ui,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2rem;max-width:64rem;color:#222}
table{border-collapse:collapse;width:100%;margin-bottom:1.5rem}td,th{border-bottom:1px solid #ddd;padding:.25rem .5rem;text-align:left;font-size:.85rem}
.n{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#777}h2{margin-top:2rem}</style></head><body>
<h1>{{.Title}}</h1>
<p class="muted">统计期 Period {{.Period.Name}} · 截至 As of {{.AsOf}}{{if .Published}} · 考核结果已发布 Published{{end}}</p>
<h2>本月概况 The month</h2>
<table><tr><th>上报 Reported</th><th>未结 Open</th><th>已结 Closed</th><th>超期 Overdue</th><th>返工 Reworked</th><th>挂账 Suspended</th><th>作废 Voided</th><th>重复 Duplicates</th></tr>
<tr class="n"><td class="n">{{.Counts.Total}}</td><td class="n">{{.Counts.Open}}</td><td class="n">{{.Counts.Closed}}</td><td class="n">{{.Counts.Overdue}}</td><td class="n">{{.Counts.Reworked}}</td><td class="n">{{.Counts.Suspended}}</td><td class="n">{{.Counts.Voided}}</td><td class="n">{{.Counts.Duplicates}}</td></tr></table>
{{if .Streets}}<h2>街道排名 Streets</h2>
<table><tr><th>排名</th><th>街道</th><th class="n">得分</th><th class="n">应结案</th><th class="n">结案率</th><th class="n">按期结案率</th><th class="n">返工率</th><th class="n">超期未结</th></tr>
{{range .Streets}}<tr><td>{{if .Rank}}{{.Rank}}{{else if .SmallSample}}样本不足{{else}}—{{end}}</td><td>{{.Name}}</td><td class="n">{{score .Score}}</td><td class="n">{{index .Counts "due"}}</td><td class="n">{{pct (index .Rates "close_rate")}}</td><td class="n">{{pct (index .Rates "on_time_close_rate")}}</td><td class="n">{{pct (index .Rates "rework_rate")}}</td><td class="n">{{index .Counts "overdue_open"}}</td></tr>
{{end}}</table>{{end}}
<h2>部门排名 Departments</h2>
<table><tr><th>排名</th><th>单位</th><th class="n">得分</th><th class="n">应处置</th><th class="n">按期处置率</th><th class="n">按期结案率</th><th class="n">回退</th><th class="n">延期</th><th class="n">派单争议</th><th class="n">仲裁超期</th></tr>
{{range .Depts}}<tr><td>{{if .Rank}}{{.Rank}}{{else if .SmallSample}}样本不足{{else}}—{{end}}</td><td>{{.Name}}</td><td class="n">{{score .Score}}</td><td class="n">{{index .Counts "tasks"}}</td><td class="n">{{pct (index .Rates "on_time_handle_rate")}}</td><td class="n">{{pct (index .Rates "on_time_close_rate")}}</td><td class="n">{{index .Counts "returned"}}</td><td class="n">{{index .Counts "extended"}}</td><td class="n">{{index .Counts "disputed"}}</td><td class="n">{{index .Counts "arbitrated_late"}}</td></tr>
{{end}}</table>
<p class="muted">应结案数少于 {{.MinSample}} 件的单位列出得分但不排名 Units with fewer than {{.MinSample}} due cases are scored, not ranked.</p>
<h2>超期未结案件 Overdue at the end of the month ({{.OverdueAll}})</h2>
<table><tr><th>编号</th><th>类别</th><th>状态</th><th>时限</th><th>描述</th></tr>
{{range .Overdue}}<tr><td>{{.Number}}</td><td>{{.Category}}</td><td>{{.State}}</td><td>{{if .Deadline}}{{day .Deadline}}{{end}}</td><td>{{.Description}}</td></tr>
{{else}}<tr><td colspan="5" class="muted">无 None</td></tr>{{end}}</table>
<h2>反复发生的问题点位 Recurring hotspots (长效)</h2>
<table><tr><th>类别</th><th>街道</th><th class="n">件数</th><th>首次</th><th>最近</th><th>位置</th></tr>
{{range .Hotspots}}<tr><td>{{.Category}}</td><td>{{.Street}}</td><td class="n">{{.Count}}</td><td>{{day .First}}</td><td>{{day .Last}}</td><td>{{printf "%.5f, %.5f" .Lon .Lat}}</td></tr>
{{else}}<tr><td colspan="6" class="muted">无 None</td></tr>{{end}}</table>
<p class="muted">指标定义 Definitions: /api/v1/evaluations/definitions · 不含个人信息 No personal data.</p>
</body></html>`))

func formatPct(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) + "%" }

// monthlyReport renders the month's report for the district or ?street=.
func (s *Server) monthlyReport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, err := app.ParsePeriod(q.Get("period"))
	if err != nil {
		problem(w, http.StatusBadRequest, "invalid", "period", err.Error())
		return
	}
	ctx := r.Context()
	street := q.Get("street")
	asOf := s.app.Now()
	if asOf.After(p.To) {
		asOf = p.To
	}
	d := reportData{Period: p, AsOf: asOf.In(calendar.Shanghai).Format("2006-01-02 15:04"), Street: street, Rates: ledger.Rates}
	d.Title = "平城区城市精细化管理 " + p.Name + " 月度报告"
	if street != "" {
		d.Title = street + " " + p.Name + " 月度报告"
		if divs, err := s.app.Store.Divisions(ctx); err == nil {
			for _, dv := range divs {
				if dv.Code == street {
					d.Title = dv.Name + " " + p.Name + " 月度报告"
				}
			}
		}
	}
	f := store.CaseFilter{Street: street, From: p.From, To: p.To, Now: asOf}
	if d.Counts, err = s.app.Store.Ledger(ctx, f); err != nil {
		fail(w, r, err)
		return
	}
	if street == "" {
		e, err := s.app.Evaluate(ctx, ledger.ByStreet, p, nil)
		if err != nil {
			fail(w, r, err)
			return
		}
		d.Streets, d.Published = e.Rows, e.Published
	}
	dep, err := s.app.Evaluate(ctx, ledger.ByDepartment, p, nil)
	if err != nil {
		fail(w, r, err)
		return
	}
	d.MinSample = dep.MinSample
	for _, row := range dep.Rows {
		if row.Counts["tasks"] > 0 || row.Counts["registered"] > 0 {
			d.Depts = append(d.Depts, row)
		}
	}
	od := store.CaseFilter{Street: street, Overdue: true, Now: asOf, To: p.To, Limit: 100}
	cs, err := s.app.Store.Cases(ctx, od)
	if err != nil {
		fail(w, r, err)
		return
	}
	for i := range cs {
		d.Overdue = append(d.Overdue, view(&cs[i], asOf))
	}
	od.Limit = 0
	oc, err := s.app.Store.Ledger(ctx, od)
	if err != nil {
		fail(w, r, err)
		return
	}
	d.OverdueAll = oc.Total
	hs, err := s.app.Store.Hotspots(ctx, store.HotspotFilter{Street: street, From: p.From, To: p.To})
	if err != nil {
		fail(w, r, err)
		return
	}
	d.Hotspots = hs[:min(len(hs), 20)]
	var b bytes.Buffer
	if err := reportTmpl.Execute(&b, d); err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if q.Get("download") != "" {
		w.Header().Set("Content-Disposition", `attachment; filename="report-`+p.Name+`.html"`)
	}
	w.Write(b.Bytes())
}
