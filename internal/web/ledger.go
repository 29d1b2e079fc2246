package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/ledger"
	"github.com/xiuhua/xiuhua/internal/sheet"
	"github.com/xiuhua/xiuhua/internal/store"
)

// zeroing is 问题归零 for the filter's area or unit: open problems at the end
// of each of the last days days, and the days since the last new one.
func (s *Server) zeroing(w http.ResponseWriter, r *http.Request) {
	f, ok := s.caseFilter(w, r)
	if !ok {
		return
	}
	scope(principal(r), &f)
	days, ok := intParam(w, r.URL.Query(), "days", 30, 1, 366)
	if !ok {
		return
	}
	z, err := s.app.Store.Zeroing(r.Context(), f, days, s.app.Now(), calendar.Shanghai)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, z)
}

// format reads ?format=json|csv|xlsx.
func format(w http.ResponseWriter, r *http.Request) (string, bool) {
	f := r.URL.Query().Get("format")
	switch f {
	case "", "json":
		return "json", true
	case "csv", "xlsx":
		return f, true
	}
	problem(w, http.StatusBadRequest, "invalid", "format", "format must be json, csv or xlsx")
	return "", false
}

// download starts a file response.
func download(w http.ResponseWriter, f sheet.Format, name string) {
	w.Header().Set("Content-Type", f.ContentType())
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.%s"`, name, f))
}

var ledgerColumns = []sheet.Column{
	{Header: "案件编号", Width: 16}, {Header: "类别", Width: 9}, {Header: "街道", Width: 11}, {Header: "社区", Width: 14},
	{Header: "网格", Width: 16}, {Header: "渠道", Width: 8}, {Header: "状态", Width: 8},
	{Header: "上报时间", Width: 17, Kind: sheet.Time}, {Header: "立案时间", Width: 17, Kind: sheet.Time},
	{Header: "派遣时间", Width: 17, Kind: sheet.Time}, {Header: "结案时间", Width: 17, Kind: sheet.Time},
	{Header: "时限", Width: 17, Kind: sheet.Time}, {Header: "超期", Width: 6}, {Header: "返工次数", Width: 8, Kind: sheet.Int},
	{Header: "主办单位", Width: 24}, {Header: "处置人账号", Width: 14}, {Header: "问题描述", Width: 40},
}

// exportLimit is the most rows one export holds: a larger result is
// refused, naming its size, so that the reader narrows the search (a
// district's whole history is millions of rows; Excel holds 1,048,576).
// A variable for the tests only.
var exportLimit atomic.Int64

func init() { exportLimit.Store(100_000) }

// ledger is the 台账: the cases of a filter with their totals, as JSON
// (one page) or as a whole file (csv, xlsx) with a totals row. It is also
// the command centre's search export: the same filter as GET
// /api/v1/cases, in the reader's scope.
func (s *Server) ledger(w http.ResponseWriter, r *http.Request) {
	f, ok := s.caseFilter(w, r)
	if !ok {
		return
	}
	scope(principal(r), &f)
	f.ByReport = true // newest report first, as ledgers are kept
	fm, ok := format(w, r)
	if !ok {
		return
	}
	if fm != "json" {
		// The limit first, by the cheapest count (an index's entries).
		n, err := s.app.Store.CountMatching(r.Context(), f)
		if err != nil {
			fail(w, r, err)
			return
		}
		if max := exportLimit.Load(); n > max {
			problemWith(w, http.StatusUnprocessableEntity, "too_many_rows", "", map[string]any{"n": n, "max": max},
				fmt.Sprintf("the result has %d cases, more than the %d an export holds: narrow the search", n, max))
			return
		}
	}
	counts, err := s.app.Store.Ledger(r.Context(), f)
	if err != nil {
		fail(w, r, err)
		return
	}
	if fm == "json" {
		f.Limit = 100
		cs, err := s.app.Store.Cases(r.Context(), f)
		if err != nil {
			fail(w, r, err)
			return
		}
		out := struct {
			Counts      store.LedgerCounts `json:"counts"`
			Cases       []CaseView         `json:"cases"`
			ExportLimit int64              `json:"export_limit"` // the most rows format=csv|xlsx gives
		}{Counts: counts, Cases: []CaseView{}, ExportLimit: exportLimit.Load()}
		for i := range cs {
			out.Cases = append(out.Cases, view(&cs[i], f.Now))
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	n, err := s.exportNames(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	download(w, sheet.Format(fm), "ledger")
	sw, err := sheet.New(sheet.Format(fm), w, "台账 "+n.describe(r), ledgerColumns, calendar.Shanghai)
	if err != nil {
		fail(w, r, err)
		return
	}
	// One streaming query: every row the counts count.
	var reworked int64
	err = s.app.Store.EachLedgerRow(r.Context(), f, func(c *caseflow.Case, leadUnit, handler int64) error {
		var lead, handlerName string
		if leadUnit != 0 {
			lead, handlerName = n.units[leadUnit], n.accounts[handler]
		}
		overdue := c.State.Open() && c.State != caseflow.Suspended && !c.Deadline.IsZero() && f.Now.After(c.Deadline)
		if c.Reworks > 0 || c.Reopens > 0 {
			reworked++
		}
		return sw.Row(c.Number, n.name(n.categories, c.CategoryID), n.name(n.places, c.Place.Street), n.name(n.places, c.Place.Community),
			n.name(n.grids, c.Place.Grid), n.name(channelNames, string(c.Channel)), stateNames[c.State], c.ReportedAt, c.RegisteredAt,
			c.DispatchedAt, c.ClosedAt, c.Deadline, overdue, c.Reworks+c.Reopens, lead, handlerName, c.Description)
	})
	if err != nil {
		s.abort(r, err)
		return
	}
	if err := sw.Totals(fmt.Sprintf("合计 %d 件", counts.Total), fmt.Sprintf("未结 %d", counts.Open), fmt.Sprintf("已结 %d", counts.Closed),
		fmt.Sprintf("超期 %d", counts.Overdue), fmt.Sprintf("返工 %d", reworked), fmt.Sprintf("挂账 %d", counts.Suspended),
		fmt.Sprintf("作废 %d", counts.Voided)); err != nil {
		s.abort(r, err)
		return
	}
	if err := sw.Close(); err != nil {
		s.abort(r, err)
	}
}

// channelNames are the channels as the centre calls them.
var channelNames = map[string]string{string(caseflow.ChannelPatrol): "网格巡查", string(caseflow.ChannelHotline): "12345热线",
	string(caseflow.ChannelWeb): "群众网上反映", string(caseflow.ChannelOpen311): "Open311", string(caseflow.ChannelImport): "台账导入",
	string(caseflow.ChannelVideo): "视频智能识别", string(caseflow.ChannelIoT): "物联感知"}

// queueNames are the waiting lists as the centre's tabs call them.
var queueNames = map[string]string{"reported": "待立案", "registered": "待派遣", "requests": "待审批", "supervised": "督办中",
	"dispatched": "待签收", "in_progress": "处置中", "pending_check": "待核查", "pending_close": "待结案", "suspended": "挂账",
	"overdue": "超期", "callback": "待回访", "review": "待复核", "suspected": "疑似告警"}

// exportNamer names codes for a file: categories, streets and
// communities, grids, units and accounts.
type exportNamer struct {
	categories, places, grids, unitByCode map[string]string
	units, accounts                       map[int64]string
}

// name is a code's name, or the code itself when it has none.
func (exportNamer) name(m map[string]string, code string) string {
	if v, ok := m[code]; ok {
		return v
	}
	return code
}

func (s *Server) exportNames(ctx context.Context) (exportNamer, error) {
	n := exportNamer{categories: map[string]string{}, places: map[string]string{}, grids: map[string]string{}, unitByCode: map[string]string{}}
	var err error
	if n.units, n.accounts, err = s.names(ctx); err != nil {
		return n, err
	}
	units, err := s.app.Store.Units(ctx)
	if err != nil {
		return n, err
	}
	for _, u := range units {
		n.unitByCode[u.Code] = u.Name
	}
	cats, err := s.app.Store.Categories(ctx)
	if err != nil {
		return n, err
	}
	for _, c := range cats {
		n.categories[c.ID] = c.Name
		if len(c.ID) > 3 {
			n.categories[c.ID[:3]] = c.MajorClass // a class (M06) searched whole
		}
	}
	divs, err := s.app.Store.Divisions(ctx)
	if err != nil {
		return n, err
	}
	for _, d := range divs {
		n.places[d.Code] = d.Name
	}
	grids, err := s.app.Store.Grids(ctx, s.app.Now())
	if err != nil {
		return n, err
	}
	for _, g := range grids {
		n.grids[g.Code] = g.Name
	}
	return n, nil
}

// describe is the filter in words, for a file's title row: names, not
// codes; days in Beijing time as asked.
func (n exportNamer) describe(r *http.Request) string {
	q := r.URL.Query()
	var parts []string
	if v := strings.TrimSpace(q.Get("q")); v != "" {
		parts = append(parts, "“"+v+"”")
	}
	for _, k := range []string{"street", "community"} {
		if v := q.Get(k); v != "" {
			parts = append(parts, n.name(n.places, v))
		}
	}
	if v := q.Get("grid"); v != "" {
		parts = append(parts, n.name(n.grids, v))
	}
	if v := q.Get("unit"); v != "" {
		parts = append(parts, n.name(n.unitByCode, v))
	}
	if v := q.Get("category"); v != "" {
		parts = append(parts, n.name(n.categories, v))
	}
	if v := q.Get("channel"); v != "" {
		parts = append(parts, n.name(channelNames, v))
	}
	if v := q.Get("state"); v != "" {
		parts = append(parts, stateNames[caseflow.State(v)])
	}
	if v := q.Get("queue"); v != "" {
		parts = append(parts, n.name(queueNames, v))
	}
	if q.Get("overdue") == "true" {
		parts = append(parts, "超期")
	}
	from, to := q.Get("from"), q.Get("to")
	switch {
	case from != "" && to != "":
		parts = append(parts, from+" 至 "+to)
	case from != "":
		parts = append(parts, from+" 起")
	case to != "":
		parts = append(parts, "至 "+to)
	}
	if len(parts) == 0 {
		return "全部"
	}
	return strings.Join(parts, " · ")
}

// abort logs an error after the response has started: the client sees a
// truncated file.
func (s *Server) abort(r *http.Request, err error) {
	if !errors.Is(err, context.Canceled) {
		slog.Error("export failed mid-way", "path", r.URL.Path, "err", err)
	}
}

// names maps unit ids to names and account ids to usernames.
func (s *Server) names(ctx context.Context) (map[int64]string, map[int64]string, error) {
	units, err := s.app.Store.Units(ctx)
	if err != nil {
		return nil, nil, err
	}
	accts, err := s.app.Store.Accounts(ctx)
	if err != nil {
		return nil, nil, err
	}
	un, an := map[int64]string{}, map[int64]string{}
	for _, u := range units {
		un[u.ID] = u.Name
	}
	for _, a := range accts {
		an[a.ID] = a.Username
	}
	return un, an, nil
}

// describe is the filter in words, for a file's title row.
func describe(r *http.Request) string {
	var parts []string
	for _, k := range []string{"street", "community", "grid", "unit", "category", "state", "from", "to", "overdue", "group", "period"} {
		if v := r.URL.Query().Get(k); v != "" {
			parts = append(parts, k+"="+v)
		}
	}
	if len(parts) == 0 {
		return "全部"
	}
	return strings.Join(parts, " ")
}

// evaluation is 综合评价 for a group and period, with optional weights
// (?w.close_rate=20&w.on_time_close_rate=40), as JSON, CSV or .xlsx.
func (s *Server) evaluation(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	g := ledger.Group(q.Get("group"))
	if g == "" {
		problem(w, http.StatusBadRequest, "required", "group", "group must be department, street, community or worker")
		return
	}
	p, err := app.ParsePeriod(q.Get("period"))
	if err != nil {
		problem(w, http.StatusBadRequest, "invalid", "period", err.Error())
		return
	}
	var weights ledger.Weights
	for k, vs := range q {
		if !strings.HasPrefix(k, "w.") {
			continue
		}
		v, err := strconv.ParseFloat(vs[0], 64)
		if err != nil {
			problem(w, http.StatusBadRequest, "invalid", k, k+" must be a number")
			return
		}
		if weights == nil {
			weights = ledger.Weights{}
		}
		weights[strings.TrimPrefix(k, "w.")] = v
	}
	min := int64(-1)
	if v := q.Get("min_sample"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 || n > 100000 {
			problem(w, http.StatusBadRequest, "invalid", "min_sample", "min_sample is the sample a unit needs to be ranked: a whole number from 0")
			return
		}
		min = n
	}
	fm, ok := format(w, r)
	if !ok {
		return
	}
	e, err := s.app.Evaluate(r.Context(), g, p, weights)
	if err != nil {
		if strings.Contains(err.Error(), "unknown group") {
			problem(w, http.StatusBadRequest, "invalid", "group", err.Error())
			return
		}
		if weights != nil && weights.Validate() != nil {
			problem(w, http.StatusBadRequest, "invalid", "weights", err.Error())
			return
		}
		fail(w, r, err)
		return
	}
	if min >= 0 {
		e.Rerank(min)
	}
	if fm == "json" {
		writeJSON(w, http.StatusOK, e)
		return
	}
	download(w, sheet.Format(fm), "evaluation-"+string(g)+"-"+p.Name)
	if err := e.WriteSheet(sheet.Format(fm), w); err != nil {
		s.abort(r, err)
	}
}

func scoreText(f *float64) string {
	if f == nil {
		return ""
	}
	return strconv.FormatFloat(*f, 'f', 2, 64)
}

func (s *Server) definitions(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, ledger.DefinitionsFor(s.app.Hotline()))
}
