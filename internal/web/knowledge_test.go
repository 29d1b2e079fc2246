package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/xiuhua/xiuhua/internal/store"
)

type knowledgeList struct {
	Points []struct {
		ID       int64
		Title    string
		Status   string
		KindName string `json:"kind_name"`
		Category []string
	}
	Total   int
	Expired int
}

func knowledgeOf(t *testing.T, url, token string) knowledgeList {
	t.Helper()
	code, body, _ := getAs(t, url, token)
	var l knowledgeList
	if code != 200 || json.Unmarshal([]byte(body), &l) != nil {
		t.Fatalf("%s: %d %s", url, code, body)
	}
	return l
}

// The desk's knowledge search: an operator finds the answer by a caller's
// everyday word, in force before the expired one; every member of staff
// may read, the centre keeps it; a bad point is refused naming its field
// and adds nothing.
func TestKnowledgeAtTheDesk(t *testing.T) {
	s, a := server(t)
	op, leader, handler := tokenOf(t, a, "operator1"), tokenOf(t, a, "leader"), tokenOf(t, a, "h-hwc")
	base := s.URL + "/api/v1/knowledge"

	got := knowledgeOf(t, base+"?q=摆摊", op)
	if len(got.Points) < 2 || got.Points[0].Title != "早市和夜市的经营时间" || got.Points[0].KindName != "办事指南" || got.Points[0].Status != "in_force" {
		t.Fatalf("摆摊: %+v", got.Points)
	}
	for i, p := range got.Points {
		if p.Status == "expired" && i+1 < len(got.Points) && got.Points[i+1].Status != "expired" {
			t.Errorf("an expired point before one in force: %+v", got.Points)
		}
	}
	if snow := knowledgeOf(t, base+"?q=降雪", handler); len(snow.Points) != 1 || snow.Points[0].Status != "expired" {
		t.Errorf("the winter notice of last season is flagged expired: %+v", snow.Points)
	}
	all := knowledgeOf(t, base+"?limit=200", op)
	if all.Total != len(all.Points) || all.Total < 15 {
		t.Fatalf("the list: %d of %d", len(all.Points), all.Total)
	}
	expired := knowledgeOf(t, base+"?expired=true&limit=200", op)
	if len(expired.Points) != all.Expired || all.Expired == 0 {
		t.Errorf("expired list %d, count %d", len(expired.Points), all.Expired)
	}

	post := func(token string, body any) (int, string) {
		j, _ := json.Marshal(body)
		code, out, _ := send(t, "POST", base, token, bytes.NewReader(j), map[string]string{"Content-Type": "application/json"})
		return code, out
	}
	good := map[string]any{"category": []string{"城市管理", "市容环境"}, "title": "店外经营", "content": "商户在店门外摆放商品经营的，按店外经营受理。",
		"issuer": "平城区城市管理综合行政执法大队", "kind": "faq", "keywords": []string{"店外", "出店"}, "from": "2026-01-01"}
	for field, edit := range map[string]func(m map[string]any){
		"title":    func(m map[string]any) { m["title"] = "" },
		"kind":     func(m map[string]any) { m["kind"] = "rumour" },
		"from":     func(m map[string]any) { m["from"] = "明天" },
		"until":    func(m map[string]any) { m["until"] = "2025-01-01" },
		"category": func(m map[string]any) { m["category"] = []string{} },
	} {
		m := map[string]any{}
		for k, v := range good {
			m[k] = v
		}
		edit(m)
		if code, out := post(op, m); code != 422 || !strings.Contains(out, `"field":"`+field+`"`) {
			t.Errorf("bad %s: %d %s", field, code, out)
		}
	}
	if code, _ := post(leader, good); code != 403 {
		t.Errorf("a leader reads the knowledge base but does not keep it: %d", code)
	}
	if code, _ := post(handler, good); code != 403 {
		t.Errorf("a department does not keep the hotline's knowledge base: %d", code)
	}
	if after := knowledgeOf(t, base, op); after.Total != all.Total {
		t.Fatalf("refused points were written: %d → %d", all.Total, after.Total)
	}
	code, out := post(op, good)
	if code != 201 {
		t.Fatalf("add: %d %s", code, out)
	}
	if got := knowledgeOf(t, base+"?q=出店", op); len(got.Points) != 1 || got.Points[0].Title != "店外经营" {
		t.Errorf("the new point is found by its keyword: %+v", got.Points)
	}
}

// The knowledge file: the export opens in Excel with the import's columns;
// the same file, edited, comes back in (a row with 编号 replaces its point,
// one without adds one); a file with bad rows names each line and column
// and changes nothing.
func TestKnowledgeFileRoundTrip(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	op := tokenOf(t, a, "operator1")
	code, body, h := getAs(t, s.URL+"/api/v1/knowledge/export?format=xlsx", op)
	if code != 200 || !strings.Contains(h.Get("Content-Disposition"), "knowledge.xlsx") {
		t.Fatalf("export: %d %v", code, h)
	}
	f, err := excelize.OpenReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	sheet := f.GetSheetName(0)
	rows, _ := f.GetRows(sheet)
	before, _, _ := a.Store.CountKnowledge(ctx, "2026-12-04")
	// The title row, the header, one row a point.
	if len(rows) != before+2 || rows[1][0] != "编号" || rows[1][2] != "知识标题" || !strings.HasPrefix(sheet, "知识库") {
		t.Fatalf("sheet %q, %d rows for %d points, header %v", sheet, len(rows), before, rows[1])
	}
	// Clerks edit the export: drop the title row, change a title, add a row.
	if err := f.RemoveRow(sheet, 1); err != nil {
		t.Fatal(err)
	}
	id := rows[2][0]
	_ = f.SetCellValue(sheet, "C2", "改过的标题")
	_ = f.SetSheetRow(sheet, fmt.Sprintf("A%d", before+2), &[]any{"", "城市管理/市容环境", "新的一条", "内容", "平城区环卫处", "常见问答", "新词", "平城区", "2026-02-01", ""})
	var edited bytes.Buffer
	_ = f.Write(&edited)
	imp := func(q string, b []byte) (int, string) {
		code, out, _ := send(t, "POST", s.URL+"/api/v1/knowledge/import?name=k.xlsx"+q, op, bytes.NewReader(b),
			map[string]string{"Content-Type": "application/octet-stream"})
		return code, out
	}
	code, out := imp("&dry_run=true", edited.Bytes())
	if code != 200 || !strings.Contains(out, `"added":1`) || !strings.Contains(out, fmt.Sprintf(`"replaced":%d`, before)) || !strings.Contains(out, `"imported":false`) {
		t.Fatalf("preview: %d %s", code, out)
	}
	if n, _, _ := a.Store.CountKnowledge(ctx, "2026-12-04"); n != before {
		t.Fatal("a preview wrote points")
	}
	if code, out := imp("", edited.Bytes()); code != 200 || !strings.Contains(out, `"imported":true`) {
		t.Fatalf("import: %d %s", code, out)
	}
	var n int64
	fmt.Sscan(id, &n)
	if p, _ := a.Store.KnowledgePoint(ctx, n); p.Title != "改过的标题" {
		t.Errorf("the edited row replaced point %d: %q", n, p.Title)
	}
	if after, _, _ := a.Store.CountKnowledge(ctx, "2026-12-04"); after != before+1 {
		t.Errorf("one point added: %d → %d", before, after)
	}

	// Bad rows: each named by line and column; nothing is written.
	csv := "知识分类,知识标题,知识内容,发布单位,知识类型,关键词,适用范围,生效日期,编号\n" +
		"城市管理,好的一条,内容,环卫处,常见问答,,,2026-01-01,\n" +
		"城市管理,类型不对,内容,环卫处,小道消息,,,2026-01-01,\n" +
		"城市管理,,没有标题,环卫处,常见问答,,,2026-01-01,\n" +
		"城市管理,编号不存在,内容,环卫处,常见问答,,,2026-01-01,999999\n"
	code, out, _ = send(t, "POST", s.URL+"/api/v1/knowledge/import?name=k.csv", op, strings.NewReader(csv), map[string]string{"Content-Type": "text/csv"})
	var p struct {
		Errors []struct {
			Line   int
			Column string
			Field  string
		}
	}
	if code != 422 || json.Unmarshal([]byte(out), &p) != nil || len(p.Errors) != 2 || p.Errors[0].Line != 3 || p.Errors[0].Column != "知识类型" ||
		p.Errors[1].Line != 4 || p.Errors[1].Field != "title" {
		t.Fatalf("bad rows: %d %s", code, out)
	}
	csv = strings.Replace(csv, "小道消息", "常见问答", 1)
	csv = strings.Replace(csv, ",,没有标题", ",有标题了,内容", 1)
	code, out, _ = send(t, "POST", s.URL+"/api/v1/knowledge/import?name=k.csv", op, strings.NewReader(csv), map[string]string{"Content-Type": "text/csv"})
	if code != 422 || !strings.Contains(out, `"line":5`) || !strings.Contains(out, `"field":"id"`) {
		t.Fatalf("a point that does not exist: %d %s", code, out)
	}
	if after, _, _ := a.Store.CountKnowledge(ctx, "2026-12-04"); after != before+1 {
		t.Errorf("refused files wrote points: %d", after)
	}
	if code, _, _ := send(t, "POST", s.URL+"/api/v1/knowledge/import?name=k.doc", op, strings.NewReader("x"), nil); code != 400 {
		t.Errorf("a .doc: %d", code)
	}
	_ = store.ErrNotFound
}

// An answer at the desk cites the knowledge points it used: they are on
// the case's answer event; a point that does not exist is refused, naming
// it, and the call stays open.
func TestAnswerCitesKnowledge(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	op := tokenOf(t, a, "operator1")
	all, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 1})
	j, _ := json.Marshal(map[string]any{"category": "M06011", "description": "问早市几点收摊", "lon": all[0].Point.Lon, "lat": all[0].Point.Lat,
		"request_type": "enquiry", "caller": map[string]any{"phone": "13912345678"}})
	code, out, _ := send(t, "POST", s.URL+"/api/v1/cases", op, bytes.NewReader(j), map[string]string{"Content-Type": "application/json"})
	var c struct{ Number string }
	if code != 201 || json.Unmarshal([]byte(out), &c) != nil {
		t.Fatalf("the call: %d %s", code, out)
	}
	point := knowledgeOf(t, s.URL+"/api/v1/knowledge?q=早市", op).Points[0]
	answer := func(ids ...int64) (int, string) {
		j, _ := json.Marshal(map[string]any{"version": 1, "note": "早市 8:30 收摊", "knowledge": ids})
		code, out, _ := send(t, "POST", s.URL+"/api/v1/cases/"+c.Number+"/actions/answer", op, bytes.NewReader(j), map[string]string{"Content-Type": "application/json"})
		return code, out
	}
	if code, out := answer(point.ID, 999999); code != 422 || !strings.Contains(out, `"field":"knowledge[1]"`) {
		t.Fatalf("an unknown point: %d %s", code, out)
	}
	if cs, _ := a.Store.CaseByNumber(ctx, c.Number); cs.State != "待受理" && cs.Version != 1 {
		t.Fatalf("a refused answer changed the case: %s v%d", cs.State, cs.Version)
	}
	if code, out := answer(point.ID); code != 200 {
		t.Fatalf("answer: %d %s", code, out)
	}
	cs, _ := a.Store.CaseByNumber(ctx, c.Number)
	evs, _ := a.Store.Events(ctx, cs.ID)
	last := evs[len(evs)-1]
	if last.Action != "answer" || len(last.Data.Knowledge) != 1 || last.Data.Knowledge[0] != point.ID {
		t.Fatalf("the answer event: %+v", last)
	}
	// Other steps cite no knowledge.
	j, _ = json.Marshal(map[string]any{"version": cs.Version, "note": "x", "knowledge": []int64{point.ID}})
	if code, _, _ := send(t, "POST", s.URL+"/api/v1/cases/"+c.Number+"/actions/comment", op, bytes.NewReader(j), map[string]string{"Content-Type": "application/json"}); code != 422 {
		t.Errorf("a comment citing knowledge: %d", code)
	}
	_ = http.StatusOK
}
