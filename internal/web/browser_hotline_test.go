package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/store"
)

// A call walked through every desk it passes: the operator takes it, the
// centre dispatches it, the department's liaison contacts the caller and
// answers them, the callback is 不满意, the review finds it justified, the
// department answers again after the rework, and the second callback is 满意.
func TestBrowserHotlineCallToRating(t *testing.T) {
	bctx := browser(t)
	s, a := server(t)
	ctx := context.Background()
	layer, _ := a.Store.Divisions(ctx)
	var communityName string
	all, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 1000})
	for _, c := range all {
		for _, d := range layer {
			if d.Code == c.Place.Community {
				communityName = d.Name
			}
		}
		if communityName != "" {
			break
		}
	}
	p := &page{t: t, ctx: bctx, base: s.URL, dir: shots(t)}
	field := func(f string) string { return `#detail [data-field="` + f + `"]` }

	// 1. The operator takes the call at the desk.
	p.login("operator1")
	p.do("the desk", chromedp.WaitVisible(chromedp.CSS(`#in-phone`)), chromedp.SendKeys(chromedp.CSS(`#in-phone`), "13700002222"),
		chromedp.SendKeys(chromedp.CSS(`#in-name`), "王女士"), chromedp.SendKeys(chromedp.CSS(`#in-category`), "jclj"))
	p.wait("category suggestions", `document.querySelectorAll('#in-category-list li').length > 0`)
	short := strings.TrimSuffix(strings.TrimSuffix(communityName, "居民委员会"), "村民委员会")
	p.do("the matter and place", chromedp.SendKeys(chromedp.CSS(`#in-category`), "\r"),
		chromedp.SendKeys(chromedp.CSS(`#in-description`), "楼后空地堆了一堆建筑垃圾，一周没人管"), chromedp.SendKeys(chromedp.CSS(`#in-place`), short))
	p.wait("place suggestions", `document.querySelectorAll('#in-place-list li').length > 0`)
	p.do("file", chromedp.SendKeys(chromedp.CSS(`#in-place`), "\r"), chromedp.Click(chromedp.CSS(`#in-submit`)), chromedp.WaitVisible(chromedp.CSS(`#in-done`)))
	number := p.eval(`document.querySelector('#in-done').dataset.number`)
	load := func() *caseflow.Case {
		t.Helper()
		c, err := a.Store.CaseByNumber(ctx, number)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if c := load(); c.Channel != caseflow.ChannelHotline || c.Reporter.Phone != "13700002222" {
		t.Fatalf("the call filed: %+v", c)
	}

	// 2. The centre registers and dispatches it by the dispatch table.
	openCase := func(what string) {
		t.Helper()
		p.eval(`location.hash = '#/centre'; 'ok'`)
		p.do(what, chromedp.WaitVisible(chromedp.CSS(`#q`)), chromedp.SendKeys(chromedp.CSS(`#q`), number+"\r"),
			chromedp.WaitVisible(chromedp.CSS(`tr[data-number="`+number+`"]`)), chromedp.Click(chromedp.CSS(`tr[data-number="`+number+`"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#detail [data-case="`+number+`"]`)))
	}
	p.login("dispatcher1")
	openCase("the dispatcher opens the call")
	p.act("register")
	p.act("dispatch")
	c := load()
	if c.State != caseflow.Dispatched || len(c.Tasks) != 1 || c.Tasks[0].ContactDue.IsZero() {
		t.Fatalf("dispatched: %s, tasks %+v", c.State, c.Tasks)
	}
	units, _ := a.Store.Units(ctx)
	liaison := ""
	for _, u := range units {
		if u.ID == c.Tasks[0].UnitID {
			liaison = "h-" + u.Code
		}
	}

	// 3. The liaison sees the first-contact limit on the desk, signs,
	// contacts the caller (by phone, now, Beijing time) and answers them.
	openDesk := func(what string) {
		t.Helper()
		p.eval(`location.hash = '#/desk'; 'ok'`)
		p.do(what, chromedp.WaitVisible(chromedp.CSS(`#tasks tr[data-number="`+number+`"]`)), chromedp.Click(chromedp.CSS(`#tasks tr[data-number="`+number+`"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#detail [data-case="`+number+`"]`)))
	}
	p.login(liaison)
	openDesk("the liaison's desk")
	p.wait("the contact limit on the desk", `document.querySelector('#tasks tr[data-number="`+number+`"] [data-contact-due]') !== null`)
	p.wait("and on the file", `document.querySelector('#detail [data-contact-due]') !== null`)
	if p.eval(`String(!!document.querySelector('#detail button[data-action="caller_answer"]'))`) != "false" {
		t.Fatal("the answer is offered before the caller is contacted")
	}
	p.act("sign")
	now := a.Now().In(calendar.Shanghai).Format("2006-01-02T15:04") // the app's clock stands still here: dispatched this minute
	p.act("contact", chromedp.SetValue(chromedp.CSS(field("contacted_at")), now), chromedp.SetValue(chromedp.CSS(field("method")), "phone"),
		chromedp.SendKeys(chromedp.CSS(field("note")), "电话联系王女士，约定明天上午清运"))
	p.wait("the contact on the file", `document.querySelector('#detail [data-contacted="phone"]') !== null`)
	if c := load(); c.Tasks[0].ContactedAt.IsZero() || c.Tasks[0].ContactMethod != caseflow.ContactPhone {
		t.Fatalf("the contact kept: %+v", c.Tasks[0])
	}
	p.shot("hotline-contact")
	p.act("caller_answer", chromedp.SendKeys(chromedp.CSS(field("reply")), "建筑垃圾已清运完毕，感谢您的反映"),
		chromedp.SendKeys(chromedp.CSS(field("note")), "调派清运车一台，费用由施工方承担"))
	if c := load(); c.State != caseflow.Closed || c.CallbackDue.IsZero() {
		t.Fatalf("answered: %s, callback due %s", c.State, c.CallbackDue)
	}

	// 4. The operator calls back: 不满意.
	callback := func(rating string, solved bool) {
		t.Helper()
		p.login("operator1")
		p.eval(`location.hash = '#/centre'; 'ok'`)
		p.do("the callback list", chromedp.WaitVisible(chromedp.CSS(`[data-tab="callback"]`)), chromedp.Click(chromedp.CSS(`[data-tab="callback"]`)),
			chromedp.WaitVisible(chromedp.CSS(`tr[data-number="`+number+`"]`)), chromedp.Click(chromedp.CSS(`tr[data-number="`+number+`"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#detail [data-case="`+number+`"]`)))
		p.wait("the reply on the file", `document.querySelector('#detail [data-reply]') !== null`)
		yes := "false"
		if solved {
			yes = "true"
		}
		p.act("callback", chromedp.SetValue(chromedp.CSS(field("reach")), "reached"), chromedp.SetValue(chromedp.CSS(field("rating")), rating),
			chromedp.SetValue(chromedp.CSS(field("solved")), yes))
		p.wait("the rating on the file", `document.querySelector('#detail [data-rating="`+rating+`"]') !== null`)
	}
	callback("dissatisfied", false)
	if c := load(); c.Rating != caseflow.RatingDissatisfied || c.Review != caseflow.ReviewPending {
		t.Fatalf("不满意: %q %q", c.Rating, c.Review)
	}
	txt := p.text(`#detail`)
	if !strings.Contains(txt, "建筑垃圾已清运完毕") || !strings.Contains(txt, "不满意") || !strings.Contains(txt, "待复核") {
		t.Errorf("the file after the callback: %.600s", txt)
	}
	p.shot("hotline-callback")

	// 5. The centre reviews it: justified, back for rework.
	p.login("dispatcher1")
	p.eval(`location.hash = '#/centre'; 'ok'`)
	p.do("the reviews", chromedp.WaitVisible(chromedp.CSS(`[data-tab="review"]`)), chromedp.Click(chromedp.CSS(`[data-tab="review"]`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-number="`+number+`"]`)), chromedp.Click(chromedp.CSS(`tr[data-number="`+number+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#detail [data-case="`+number+`"]`)))
	p.act("review", chromedp.SetValue(chromedp.CSS(field("justified")), "true"), chromedp.SendKeys(chromedp.CSS(field("reason")), "现场仍有残留垃圾，退回重办"))
	if c := load(); c.State != caseflow.InProgress || c.Reopens != 1 {
		t.Fatalf("after the review: %s, reopens %d", c.State, c.Reopens)
	}

	// 6. The rework: the liaison answers again; the second callback is 满意.
	p.login(liaison)
	openDesk("the reworked order on the desk")
	p.wait("to answer", `document.querySelector('#tasks tr[data-number="`+number+`"] [data-to-answer]') !== null`)
	p.act("caller_answer", chromedp.SendKeys(chromedp.CSS(field("reply")), "残留垃圾已全部清理，现场已恢复整洁"))
	callback("satisfied", true)
	c = load()
	if c.State != caseflow.Closed || c.Rating != caseflow.RatingSatisfied || c.Review != caseflow.ReviewNone || !c.CallbackDue.IsZero() {
		t.Fatalf("the end: %s %q %q due %s", c.State, c.Rating, c.Review, c.CallbackDue)
	}
	evs, _ := a.Store.Events(ctx, c.ID)
	var walked []string
	for _, e := range evs {
		walked = append(walked, string(e.Action))
	}
	if got := strings.Join(walked, " "); got != "report register dispatch sign contact caller_answer callback review caller_answer callback" {
		t.Errorf("the order's history: %s", got)
	}
	p.shot("hotline-rated")
}
