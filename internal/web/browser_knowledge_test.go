package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/store"
)

// A caller asks when the morning market closes. The operator picks the
// category and the knowledge panel already offers its answers; a search by
// the caller's own word finds the market's hours; the point is cited, the
// order filed as an enquiry and answered from its file with the answer's
// text taken from the point, which the order then records. On a phone the
// panel fits the screen.
func TestBrowserDeskAnswersFromTheKnowledgeBase(t *testing.T) {
	bctx := browser(t)
	s, a := server(t)
	ctx := context.Background()
	all, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 1})
	point := knowledgeOf(t, s.URL+"/api/v1/knowledge?q=早市", tokenOf(t, a, "operator1")).Points[0]
	p := &page{t: t, ctx: bctx, base: s.URL, dir: shots(t)}
	p.login("operator1")
	p.do("the desk", chromedp.WaitVisible(chromedp.CSS(`#in-phone`)), chromedp.WaitVisible(chromedp.CSS(`#kb-q`)))
	p.do("the category", chromedp.SendKeys(chromedp.CSS(`#in-phone`), "13700002222"), chromedp.SendKeys(chromedp.CSS(`#in-category`), "jclj"))
	p.wait("category suggestions", `document.querySelectorAll('#in-category-list li').length > 0`)
	p.do("pick it", chromedp.SendKeys(chromedp.CSS(`#in-category`), "\r"))
	// The category's own question shows under it.
	p.do("its question", chromedp.WaitVisible(chromedp.CSS(`#q-amount`)), chromedp.SetValue(chromedp.CSS(`#q-amount`), "cart"))
	p.wait("answers for the category", `[...document.querySelectorAll('#kb-results [data-kb]')].some(li => li.textContent.includes('生活垃圾清运时间'))`)
	p.do("the caller's word", chromedp.SendKeys(chromedp.CSS(`#kb-q`), "摆摊\r"))
	p.wait("the market's hours first", `document.querySelector('#kb-results [data-kb]') && document.querySelector('#kb-results [data-kb]').dataset.kb === '`+strconv.FormatInt(point.ID, 10)+`'`)
	if txt := p.text(`#kb-results [data-kb]`); !strings.Contains(txt, "5:30至8:30") || !strings.Contains(txt, "有效") || !strings.Contains(txt, "办事指南") {
		t.Errorf("the point as the operator reads it: %q", txt)
	}
	p.do("cite it", chromedp.Click(chromedp.CSS(`#kb-results [data-cite="`+strconv.FormatInt(point.ID, 10)+`"]`)))
	p.wait("cited", `document.querySelector('#kb-cited').textContent.includes('早市和夜市的经营时间')`)
	// An expired point is shown flagged and cannot be cited.
	p.eval(`document.querySelector('#kb-q').value = ''`)
	p.do("last winter", chromedp.SendKeys(chromedp.CSS(`#kb-q`), "降雪\r"))
	p.wait("the expired notice", `document.querySelectorAll('#kb-results [data-kb]').length === 1 && document.querySelector('#kb-results').textContent.includes('降雪后清扫积雪') && document.querySelector('#kb-results [data-status="expired"]') !== null`)
	if n := p.eval(`String(document.querySelectorAll('#kb-results [data-cite]').length)`); n != "0" {
		t.Error("an expired point offers to be cited")
	}
	p.shot("desk-knowledge")
	p.do("phone size", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	if w := p.eval(`String(document.documentElement.scrollWidth <= window.innerWidth)`); w != "true" {
		t.Error("the desk with its knowledge panel scrolls sideways at 390 px")
	}
	p.do("desk size", chromedp.EmulateViewport(1400, 900))

	// The order: an enquiry, placed by the map of the first case's point.
	p.do("the enquiry", chromedp.SetValue(chromedp.CSS(`#in-type`), "enquiry"), chromedp.SendKeys(chromedp.CSS(`#in-matter`), "咨询早市收摊时间"),
		chromedp.SendKeys(chromedp.CSS(`#in-when`), "每天早上"), chromedp.SendKeys(chromedp.CSS(`#in-description`), "问早市几点收摊"))
	short := placeName(t, a, all[0].Place.Community)
	p.do("the place", chromedp.SendKeys(chromedp.CSS(`#in-place`), short))
	p.wait("place suggestions", `document.querySelectorAll('#in-place-list li').length > 0`)
	p.do("pick the place", chromedp.SendKeys(chromedp.CSS(`#in-place`), "\r"), chromedp.Click(chromedp.CSS(`#in-submit`)), chromedp.WaitVisible(chromedp.CSS(`#in-done`)))
	number := p.eval(`document.querySelector('#in-done').dataset.number`)
	p.wait("its file", `document.querySelector('#detail [data-case]') && document.querySelector('#detail [data-case]').textContent === '`+number+`'`)
	if got := p.text(`#detail [data-answer="amount"]`); got != "一车以内" {
		t.Errorf("the answer on the case file: %q", got)
	}
	if got := p.text(`#detail [data-element="matter"]`); got != "咨询早市收摊时间" || p.text(`#detail [data-request-type]`) != "咨询" {
		t.Errorf("the case file's five elements: %q", got)
	}
	p.do("open the answer", chromedp.Click(chromedp.CSS(`#detail button[data-action="answer"]`)), chromedp.WaitVisible(chromedp.CSS(`#detail [data-knowledge]`)))
	if note := p.eval(`document.querySelector('#detail textarea[data-field="note"]').value`); !strings.Contains(note, "5:30至8:30") {
		t.Errorf("the answer starts from the cited point: %q", note)
	}
	p.do("answer", chromedp.Click(chromedp.CSS(`button[data-submit="answer"]`)))
	p.wait("answered", `!document.querySelector('button[data-submit="answer"]')`)
	p.wait("nothing cited any more", `!document.querySelector('#kb-cited').textContent.trim()`)
	c, _ := a.Store.CaseByNumber(ctx, number)
	evs, _ := a.Store.Events(ctx, c.ID)
	last := evs[len(evs)-1]
	if c.State != caseflow.Closed || c.CloseType != caseflow.CloseAnswered || len(last.Data.Knowledge) != 1 || last.Data.Knowledge[0] != point.ID {
		t.Fatalf("the answered enquiry: %s %s, knowledge %v", c.State, c.CloseType, last.Data.Knowledge)
	}
}

// placeName is a community's name as callers say it (without 居民委员会).
func placeName(t *testing.T, a *app.App, code string) string {
	t.Helper()
	divs, err := a.Store.Divisions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range divs {
		if d.Code == code {
			return strings.TrimSuffix(strings.TrimSuffix(d.Name, "居民委员会"), "村民委员会")
		}
	}
	t.Fatalf("no division %s", code)
	return ""
}

// The dispatcher keeps the knowledge base: the page counts the points and
// flags the expired; a point without a title is refused naming the field;
// a new one is added and found; a file with a bad row is refused by line
// with nothing imported, and the corrected file is previewed and imported.
func TestBrowserKnowledgePage(t *testing.T) {
	bctx := browser(t)
	s, a := server(t)
	ctx := context.Background()
	before, expired, _ := a.Store.CountKnowledge(ctx, "2026-12-04")
	p := &page{t: t, ctx: bctx, base: s.URL, dir: shots(t)}
	p.login("dispatcher1")
	p.do("the page", chromedp.Navigate(s.URL+"/app#/knowledge"), chromedp.WaitVisible(chromedp.CSS(`#kb-table`)))
	p.wait("counts", `document.querySelector('#kb-counts').textContent.includes('共 `+strconv.Itoa(before)+` 条')`)
	if expired == 0 || !strings.Contains(p.text(`#kb-counts`), strconv.Itoa(expired)+" 条已过期") {
		t.Errorf("the expired are counted: %q (%d)", p.text(`#kb-counts`), expired)
	}
	p.do("only expired", chromedp.Click(chromedp.CSS(`#kb-expired`)))
	p.wait("the expired list", `document.querySelectorAll('#kb-table tbody [data-status="expired"]').length === `+strconv.Itoa(expired)+
		` && document.querySelectorAll('#kb-table tbody tr').length === `+strconv.Itoa(expired))
	p.shot("knowledge-page")
	p.do("new point", chromedp.Click(chromedp.CSS(`#kb-add`)), chromedp.WaitVisible(chromedp.CSS(`#kb-form`)),
		chromedp.SendKeys(chromedp.CSS(`#kb-category`), "城市管理/市容环境"), chromedp.SendKeys(chromedp.CSS(`#kb-content`), "商户在店门外摆放商品经营的，按店外经营受理。"),
		chromedp.SendKeys(chromedp.CSS(`#kb-issuer`), "平城区城市管理综合行政执法大队"), chromedp.Click(chromedp.CSS(`#kb-save`)))
	p.wait("refused by name", `document.querySelector('#kb-form-err').textContent.includes('标题')`)
	if n, _, _ := a.Store.CountKnowledge(ctx, "2026-12-04"); n != before {
		t.Fatal("a point without a title was saved")
	}
	p.do("the title", chromedp.SendKeys(chromedp.CSS(`#kb-title`), "店外经营"), chromedp.SendKeys(chromedp.CSS(`#kb-keywords`), "出店、店外"), chromedp.Click(chromedp.CSS(`#kb-save`)))
	p.wait("saved", `!document.querySelector('#kb-form') && document.querySelector('#kb-counts').textContent.includes('共 `+strconv.Itoa(before+1)+` 条')`)

	dir := t.TempDir()
	bad := filepath.Join(dir, "知识.csv")
	rows := "知识分类,知识标题,知识内容,发布单位,知识类型,关键词,适用范围,生效日期\n" +
		"城市管理,犬只管理,文明养犬，出门拴绳。,平城区公安分局,常见问答,养狗、遛狗,平城区,2026-01-01\n" +
		"城市管理,占道洗车,占道洗车按占道经营受理。,平城区城市管理综合行政执法大队,小道消息,洗车,平城区,2026-01-01\n"
	os.WriteFile(bad, []byte(rows), 0o644)
	p.do("the file", chromedp.Click(chromedp.CSS(`#kb-file-box summary`)), chromedp.SetUploadFiles(chromedp.CSS(`#kb-file`), []string{bad}), chromedp.Click(chromedp.CSS(`#kb-check`)))
	p.wait("the bad line", `document.querySelector('#kb-file-err [data-line="3"]') && document.querySelector('#kb-file-err').textContent.includes('知识类型')`)
	good := filepath.Join(dir, "知识2.csv")
	os.WriteFile(good, []byte(strings.Replace(rows, "小道消息", "常见问答", 1)), 0o644)
	p.do("the corrected file", chromedp.SetUploadFiles(chromedp.CSS(`#kb-file`), []string{good}), chromedp.Click(chromedp.CSS(`#kb-check`)))
	p.wait("the preview", `document.querySelector('#kb-preview') && document.querySelector('#kb-preview').textContent.includes('新增 2 条')`)
	if n, _, _ := a.Store.CountKnowledge(ctx, "2026-12-04"); n != before+1 {
		t.Fatal("a preview imported points")
	}
	p.do("import", chromedp.Click(chromedp.CSS(`#kb-import`)))
	p.wait("imported", `document.querySelector('#kb-counts').textContent.includes('共 `+strconv.Itoa(before+3)+` 条')`)
	p.do("phone size", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	if w := p.eval(`String(document.documentElement.scrollWidth <= window.innerWidth)`); w != "true" {
		t.Error("the knowledge page scrolls sideways at 390 px")
	}
	p.shot("knowledge-page-phone")
}
