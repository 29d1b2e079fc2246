package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/xiuhua/xiuhua/internal/store"
)

// A category's questions (Open311 attributes): the administrator asks
// them, Open311 clients find them in the service definition and answer
// them as attribute[code], the desk and residents answer them in JSON; the
// answers are on the case's first event for staff, a wrong answer is
// refused naming its question, and a wrong question naming its field.
func TestCategoryQuestions(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	adm, op := tokenOf(t, a, "admin"), tokenOf(t, a, "operator1")
	put := func(body string) (int, string) {
		code, out, _ := send(t, "PUT", s.URL+"/api/v1/admin/categories/M06028", adm, strings.NewReader(body), map[string]string{"Content-Type": "application/json"})
		return code, out
	}
	if code, out := put(`{"attributes":[{"code":"when","question":"什么时候","datatype":"singlevaluelist"}]}`); code != 400 || !strings.Contains(out, `"field":"attributes[0].values"`) {
		t.Fatalf("a list question without choices: %d %s", code, out)
	}
	if qs, _ := a.Store.CategoryAttributes(ctx, "M06028"); len(qs) != 0 {
		t.Fatal("a refused question was saved")
	}
	if code, out := put(`{"public":true,"attributes":[{"code":"when","question":"什么时候吵","datatype":"singlevaluelist","required":true,
		"values":[{"key":"night","name":"夜间（22点后）"},{"key":"day","name":"白天"}]},{"code":"source","question":"噪声来自哪里","datatype":"string"}]}`); code != 200 {
		t.Fatalf("the questions: %d %s", code, out)
	}
	// Open311: the service says it has metadata; its definition asks.
	_, list, _ := getAs(t, s.URL+"/open311/v2/services.json", "")
	if !strings.Contains(list, `"service_code":"M06028","service_name":"噪声扰民"`) || !strings.Contains(list[strings.Index(list, `"M06028"`):], `"metadata":true`) {
		t.Errorf("services.json for M06028: %.300s", list[strings.Index(list, `"M06028"`):])
	}
	code, def, _ := getAs(t, s.URL+"/open311/v2/services/M06028.json", "")
	if code != 200 || !strings.Contains(def, `"code":"when"`) || !strings.Contains(def, `"datatype":"singlevaluelist"`) || !strings.Contains(def, `"key":"night"`) || !strings.Contains(def, `"order":2`) {
		t.Fatalf("service definition: %d %s", code, def)
	}
	if code, x, _ := getAs(t, s.URL+"/open311/v2/services/M06028.xml", ""); code != 200 || !strings.Contains(x, "<attributes><attribute><variable>true</variable><code>when</code>") {
		t.Errorf("service definition in XML: %s", x)
	}
	cs, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 1})
	lat, lon := f6(cs[0].Point.Lat), f6(cs[0].Point.Lon)
	post := func(form url.Values) (int, string) {
		form.Set("api_key", op)
		form.Set("service_code", "M06028")
		form.Set("lat", lat)
		form.Set("long", lon)
		resp, err := http.PostForm(s.URL+"/open311/v2/requests.json", form)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(b)
	}
	before, _ := a.Store.CountCases(ctx)
	for _, bad := range []url.Values{{"description": {"楼下吵"}}, {"attribute[when]": {"dawn"}}, {"attribute[when]": {"night"}, "attribute[colour]": {"red"}}} {
		if code, out := post(bad); code != 400 {
			t.Errorf("%v: %d %s", bad, code, out)
		}
	}
	if after, _ := a.Store.CountCases(ctx); sum(after) != sum(before) {
		t.Fatal("refused answers filed cases")
	}
	code, out := post(url.Values{"description": {"楼下烧烤店夜里很吵"}, "attribute[when]": {"night"}, "attribute[source]": {"烧烤店音箱"}})
	var made []struct {
		ID string `json:"service_request_id"`
	}
	if code != 200 || json.Unmarshal([]byte(out), &made) != nil || len(made) != 1 {
		t.Fatalf("an answered request: %d %s", code, out)
	}
	answers := func(number string) map[string]string {
		c, _ := a.Store.CaseByNumber(ctx, number)
		evs, _ := a.Store.Events(ctx, c.ID)
		return evs[0].Data.Attributes
	}
	if got := answers(made[0].ID); got["when"] != "night" || got["source"] != "烧烤店音箱" {
		t.Errorf("kept answers: %v", got)
	}
	// The desk answers in JSON; a wrong answer names its question.
	desk := func(attrs map[string]string) (int, string) {
		j, _ := json.Marshal(map[string]any{"category": "M06028", "description": "广场舞音响太大", "lon": cs[0].Point.Lon, "lat": cs[0].Point.Lat,
			"request_type": "complaint", "attributes": attrs})
		code, out, _ := send(t, "POST", s.URL+"/api/v1/cases", op, bytes.NewReader(j), map[string]string{"Content-Type": "application/json"})
		return code, out
	}
	if code, out := desk(map[string]string{"when": "dusk"}); code != 422 || !strings.Contains(out, `"field":"attributes.when"`) {
		t.Errorf("a wrong answer at the desk: %d %s", code, out)
	}
	code, out = desk(map[string]string{"when": "day"})
	var c struct{ Number string }
	if code != 201 || json.Unmarshal([]byte(out), &c) != nil || answers(c.Number)["when"] != "day" {
		t.Errorf("the desk's answer: %d %s", code, out)
	}
	// A resident answers on the board; the answers stay off the public page.
	j, _ := json.Marshal(map[string]any{"category": "M06028", "description": "工地夜间施工", "lon": cs[0].Point.Lon, "lat": cs[0].Point.Lat,
		"attributes": map[string]string{"when": "night", "source": "三号楼旁的工地"}})
	code, out, _ = send(t, "POST", s.URL+"/api/v1/public/reports", "", bytes.NewReader(j), map[string]string{"Content-Type": "application/json"})
	if code != 201 || json.Unmarshal([]byte(out), &c) != nil || answers(c.Number)["source"] != "三号楼旁的工地" {
		t.Fatalf("a resident's answers: %d %s", code, out)
	}
	if _, pub, _ := getAs(t, s.URL+"/api/v1/public/cases/"+c.Number, ""); strings.Contains(pub, "三号楼旁的工地") {
		t.Error("a resident's free-text answer on the public page")
	}
}

// The administrator sets a category's questions on the catalog page, as
// a table: a list question without choices is refused in words and saves
// nothing; with its choices it is saved, and the catalog counts it.
func TestBrowserAdminSetsQuestions(t *testing.T) {
	bctx := browser(t)
	s, a := server(t)
	ctx := context.Background()
	p := &page{t: t, ctx: bctx, base: s.URL, dir: shots(t)}
	p.login("admin")
	p.eval(`location.hash = '#/admin'; 'ok'`)
	p.do("catalog", chromedp.WaitVisible(chromedp.CSS(`[data-section="catalog"]`)), chromedp.Click(chromedp.CSS(`[data-section="catalog"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-questions="M06028"]`)), chromedp.Click(chromedp.CSS(`[data-questions="M06028"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#q-add`)), chromedp.Click(chromedp.CSS(`#q-add`)),
		chromedp.SendKeys(chromedp.CSS(`#questions-panel [data-f=code]`), "when"), chromedp.SendKeys(chromedp.CSS(`#questions-panel [data-f=question]`), "什么时候吵"),
		chromedp.SetValue(chromedp.CSS(`#questions-panel [data-f=datatype]`), "singlevaluelist"), chromedp.Click(chromedp.CSS(`#q-save`)))
	p.wait("refused in words", `document.querySelector("#q-err").textContent.includes("选项")`)
	if qs, _ := a.Store.CategoryAttributes(ctx, "M06028"); len(qs) != 0 {
		t.Fatal("a refused question was saved")
	}
	p.do("its choices", chromedp.SendKeys(chromedp.CSS(`#questions-panel [data-f=values]`), "night=夜间；day=白天"), chromedp.Click(chromedp.CSS(`#q-save`)))
	p.wait("saved", `document.querySelector('tr[data-category="M06028"]') && document.querySelector('tr[data-category="M06028"]').textContent.includes('1 个问题')`)
	qs, _ := a.Store.CategoryAttributes(ctx, "M06028")
	if len(qs) != 1 || qs[0].Code != "when" || len(qs[0].Values) != 2 || qs[0].Values[0].Name != "夜间" {
		t.Fatalf("saved questions: %+v", qs)
	}
	p.shot("admin-questions")
}
