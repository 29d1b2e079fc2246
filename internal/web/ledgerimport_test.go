package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/xuri/excelize/v2"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/ledger"
	"github.com/xiuhua/xiuhua/internal/store"
)

// The ledger import on the admin page: the template lists every column
// (the 12345 order's and one per category question) and imports when
// filled in; a check writes nothing; a bad cell is a 422 naming its line,
// column and field; only administrators reach it. In Chromium the refusal
// reads in Chinese by line and column, and the import lands.
func TestLedgerImportOverHTTP(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	adm := adminToken
	all, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 1})
	lon, lat := f6(all[0].Point.Lon), f6(all[0].Point.Lat)

	// The template: every field's column, the questions, what each takes.
	code, body, hdr := getAs(t, s.URL+"/api/v1/admin/ledger/template?format=xlsx", adm)
	if code != 200 || !strings.Contains(hdr.Get("Content-Disposition"), "ledger-template.xlsx") {
		t.Fatalf("template: %d %v", code, hdr)
	}
	f, err := excelize.OpenReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows("台账")
	help, _ := f.GetRows("填写说明")
	for _, want := range []string{"诉求类型", "紧急程度", "来电人", "来电号码", "是否匿名", "是否同意回访", "事发时间", "涉及人员", "事由", "办理方式", "答复内容", "是否解决", "满意度", "摊位数", "经营什么"} {
		if len(rows) != 1 || !strings.Contains(strings.Join(rows[0], ","), want) {
			t.Errorf("the template lacks the column %s: %v", want, rows)
		}
	}
	if len(help) < len(ledger.Fields)+2 || !strings.Contains(strings.Join(help[len(help)-2], ","), "attr:") {
		t.Errorf("the template's help: %v", help)
	}
	code, body, _ = getAs(t, s.URL+"/api/v1/admin/ledger/template?format=csv", adm)
	header, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).Read()
	if code != 200 || err != nil {
		t.Fatalf("csv template: %d %v", code, err)
	}
	// Filled in: one 12345 order answered at the desk, one passed on.
	row := func(cells map[string]string) []string {
		out := make([]string, len(header))
		for i, h := range header {
			out[i] = cells[h]
		}
		return out
	}
	good := map[string]string{"案件编号": "T-1", "类别编码": "M09006", "问题描述": "早市摊贩占道", "经度": lon, "纬度": lat, "上报时间": "2026-10-12 08:00",
		"结案时间": "2026-10-12 08:10", "诉求类型": "咨询", "来电人": "孙女士", "来电号码": "13612345678", "办理方式": "直接答复", "答复内容": "已告知早市的管理时间", "满意度": "满意",
		"摊位数": "5", "经营什么": "produce"}
	file := func(rs ...map[string]string) string {
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		w.Write(header)
		for _, r := range rs {
			w.Write(row(r))
		}
		w.Flush()
		return b.String()
	}
	second := map[string]string{"案件编号": "T-2", "类别编码": "M09006", "问题描述": "夜市占道", "经度": lon, "纬度": lat, "上报时间": "2026-10-13 20:00", "诉求类型": "投诉", "紧急程度": "紧急"}
	bad := map[string]string{"案件编号": "T-3", "类别编码": "M09006", "问题描述": "占道", "经度": lon, "纬度": lat, "上报时间": "2026-10-13 20:00", "诉求类型": "投诉", "来电号码": "12345",
		"摊位数": "0"}
	post := func(token, q, body string) (int, string) {
		code, out, _ := send(t, "POST", s.URL+"/api/v1/admin/ledger?name=12345.csv"+q, token, strings.NewReader(body), map[string]string{"Content-Type": "text/csv"})
		return code, out
	}
	before := written(t, a)
	code, out := post(adm, "&dry_run=true", file(good, second))
	var res struct{ Rows, Imported int }
	if json.Unmarshal([]byte(out), &res); code != 200 || res.Rows != 2 || res.Imported != 0 {
		t.Fatalf("a check: %d %s", code, out)
	}
	code, out = post(adm, "", file(good, second, bad))
	var p struct {
		Errors []struct {
			Code, Field, Column string
			Line                int
		}
	}
	if json.Unmarshal([]byte(out), &p); code != 422 || len(p.Errors) != 2 || p.Errors[0].Line != 4 || p.Errors[0].Column != "来电号码" || p.Errors[0].Field != "caller.phone" ||
		p.Errors[1].Column != "摊位数" || p.Errors[1].Field != "attributes.stalls" {
		t.Fatalf("a bad row: %d %s", code, out)
	}
	if code, _ := post(tokenOf(t, a, "dispatcher1"), "", file(good)); code != 403 {
		t.Errorf("a dispatcher imports a ledger: %d", code)
	}
	if code, out := post(adm, "&map=numbr=编号", file(good)); code != 400 || !strings.Contains(out, `"field":"map"`) {
		t.Errorf("a bad mapping: %d %s", code, out)
	}
	if after := written(t, a); after != before {
		t.Fatalf("a check and refused imports wrote %d cases", after[0]-before[0])
	}
	// Each field a refusal can name reads as words in both languages.
	for _, lang := range []string{"zh-CN", "en"} {
		b, _ := os.ReadFile(filepath.Join("ui", "i18n", lang+".json"))
		var cat map[string]string
		json.Unmarshal(b, &cat)
		for _, f := range ledger.Fields {
			for _, part := range strings.Split(string(f), ".") {
				if cat["field."+part] == "" {
					t.Errorf("%s: no words for the field %s (field.%s)", lang, f, part)
				}
			}
		}
	}

	// In the browser: the refusal by line and column, in Chinese; then the import.
	bctx := browser(t)
	dir := t.TempDir()
	badFile, goodFile := filepath.Join(dir, "12345-bad.csv"), filepath.Join(dir, "12345.csv")
	os.WriteFile(badFile, []byte(file(good, second, bad)), 0o644)
	os.WriteFile(goodFile, []byte(file(good, second)), 0o644)
	pg := &page{t: t, ctx: bctx, base: s.URL, dir: shots(t)}
	pg.do("desktop", chromedp.EmulateViewport(1366, 768))
	pg.login("admin")
	pg.eval(`location.hash = '#/admin'; 'ok'`)
	pg.do("ledger tab", chromedp.WaitVisible(chromedp.CSS(`[data-section="ledger"]`)), chromedp.Click(chromedp.CSS(`[data-section="ledger"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#ledger-file`)), chromedp.SetUploadFiles(chromedp.CSS(`#ledger-file`), []string{badFile}),
		chromedp.Click(chromedp.CSS(`#ledger-check`)), chromedp.WaitVisible(chromedp.CSS(`#ledger-errors`)))
	txt := pg.text(`#ledger-errors`)
	for _, want := range []string{"有 2 处不对", "第 4 行「来电号码」：来电号码须为手机号（如 13912345678）或带区号的座机（如 0352-1234567）", "第 4 行「摊位数」：问题填写有误"} {
		if !strings.Contains(txt, want) {
			t.Errorf("the refusal reads %q, want %q", txt, want)
		}
	}
	if english := strings.NewReplacer("CSV", "", "Excel", "", ".xlsx", "", ".csv", "").Replace(pg.text(`#admin-body`)); strings.ContainsAny(english, "abcdefghijklmnopqrstuvwxyz") {
		t.Errorf("English on the Chinese ledger page: %q", english)
	}
	pg.shot("ledger-refused")
	pg.do("good file", chromedp.SetUploadFiles(chromedp.CSS(`#ledger-file`), []string{goodFile}), chromedp.Click(chromedp.CSS(`#ledger-check`)),
		chromedp.WaitVisible(chromedp.CSS(`#ledger-preview`)))
	if txt := pg.text(`#ledger-preview`); !strings.Contains(txt, "2 行都可以导入") || !strings.Contains(txt, "T-1") || !strings.Contains(txt, "咨询") {
		t.Errorf("the check reads %q", txt)
	}
	pg.shot("ledger-checked")
	pg.do("import", chromedp.Click(chromedp.CSS(`#ledger-import`)), chromedp.WaitVisible(chromedp.CSS(`#confirm-ok`)), chromedp.Click(chromedp.CSS(`#confirm-ok`)),
		chromedp.WaitVisible(chromedp.CSS(`#ledger-done`)))
	c, err := a.Store.CaseByNumber(ctx, "T-1")
	if err != nil || c.CloseType != caseflow.CloseAnswered || c.Reporter.Phone != "13612345678" || c.Rating != caseflow.RatingSatisfied {
		t.Fatalf("imported: %+v %v", c, err)
	}
	evs, _ := a.Store.Events(ctx, c.ID)
	if evs[0].Data.Attributes["stalls"] != "5" || evs[0].Data.Intake == nil || evs[0].Data.Intake.Type != caseflow.Enquiry {
		t.Errorf("the first event: %+v", evs[0].Data)
	}
	if c, _ := a.Store.CaseByNumber(ctx, "T-2"); c.Urgency != caseflow.Urgent || c.State != caseflow.Registered {
		t.Errorf("the order passed on: %+v", c)
	}
	// The centre opens the imported order: its steps at the desk, its answers.
	pg.login("dispatcher1")
	pg.do("the imported order", chromedp.Navigate(s.URL+"/app#/centre"), chromedp.WaitVisible(chromedp.CSS(`#q`)),
		chromedp.SendKeys(chromedp.CSS("#q"), "T-1"), chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-number="T-1"]`)), chromedp.Click(chromedp.CSS(`tr[data-number="T-1"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-answer="stalls"]`)))
	if txt := pg.text(`#detail`); !strings.Contains(txt, "直接答复") || !strings.Contains(txt, "回访") || !strings.Contains(txt, "咨询") || !strings.Contains(txt, "摊位数") {
		t.Errorf("the imported order in the centre:\n%s", txt)
	}
	pg.shot("ledger-imported-case")
}
