package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/places"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/watch"
)

// An administrator's morning in 系统管理, at 1400×900: every tab in words
// (no {n}, no message keys); an account found by a search on its second
// page and deactivated after the confirmation (a cancelled one stays
// active); a time limit edited in the table, a wrong row refused beside it
// first; a dispatch rule added by names and deleted after the
// confirmation; a webhook added with its secret shown once, its delivery
// seen after a case event, and paused after the confirmation.
func TestBrowserAdminMorning(t *testing.T) {
	bctx := browser(t)
	s, a := server(t)
	ctx := context.Background()
	var got atomic.Int32
	var down atomic.Bool
	sub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		if down.Load() {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		}
	}))
	defer sub.Close()
	p := &page{t: t, ctx: bctx, base: s.URL, dir: shots(t)}
	p.login("admin")
	p.eval(`location.hash = '#/admin'; 'ok'`)
	p.do("admin", chromedp.WaitVisible(chromedp.CSS(`#dry-result`)))
	// calm lets the passing note fade before a screenshot.
	calm := func() {
		t.Helper()
		p.eval(`document.getElementById('toast').classList.remove('show'); 'ok'`)
		p.wait("the note faded", `getComputedStyle(document.getElementById('toast')).opacity === '0'`)
	}
	// Every tab: its label and its page in words.
	words := func(tab string) {
		t.Helper()
		txt := p.eval(`document.querySelector('main').innerText`)
		if strings.Contains(txt, "{") || strings.Contains(txt, "admin.") || strings.Contains(txt, "undefined") {
			i := strings.IndexAny(txt, "{u")
			if j := strings.Index(txt, "admin."); j >= 0 {
				i = j
			}
			t.Errorf("the %s tab shows a placeholder or a key: …%.80s…", tab, txt[max(0, i-20):])
		}
	}
	for _, tab := range []string{"dispatch", "users", "grids", "catalog", "calendar", "webhooks", "notify", "robots", "sends"} {
		p.do("tab "+tab, chromedp.Click(chromedp.CSS(`[data-section="`+tab+`"]`)))
		p.wait(tab+" shown", `document.querySelector('#admin-body').textContent !== '' && !document.querySelector('#admin-body > p.muted')`)
		words(tab)
		p.shot("admin-tab-" + tab)
	}
	if tabs := p.text(`.tabs`); !strings.Contains(tabs, "账号") || !strings.Contains(tabs, "Webhook 订阅") {
		t.Errorf("the tab labels: %q", tabs)
	}

	// Accounts: a role typed in words narrows by role.
	p.do("a role in words", chromedp.Click(chromedp.CSS(`[data-section="users"]`)), chromedp.WaitVisible(chromedp.CSS(`#user-q`)),
		chromedp.SendKeys(chromedp.CSS(`#user-q`), "派遣员"), chromedp.Click(chromedp.CSS(`#users-go`)))
	p.wait("dispatchers", `document.querySelector('#user-role').value === 'dispatcher' && document.querySelectorAll('#users tr[data-user]').length > 0 && [...document.querySelectorAll('#users tr[data-user] td:nth-child(3)')].every(td => td.textContent === '派遣员')`)
	p.eval(`document.querySelector('#user-role').value = ''; document.querySelector('#user-q').value = ''; 'ok'`)
	// Accounts: a search, its second page, a deactivation asked first.
	p.do("accounts", chromedp.SendKeys(chromedp.CSS(`#user-q`), "gw140213"), chromedp.Click(chromedp.CSS(`#users-go`)))
	p.wait("searched", `document.querySelectorAll('#users tr[data-user]').length === 50 && [...document.querySelectorAll('#users tr[data-user]')].every(tr => tr.dataset.user.startsWith('gw140213'))`)
	first := p.text(`#users-range`)
	p.do("second page", chromedp.Click(chromedp.CSS(`#users-next`)))
	p.wait("second page shown", `document.querySelector('#users').dataset.offset === '50'`)
	if r := p.text(`#users-range`); !strings.HasPrefix(r, "第 51–") || r == first {
		t.Errorf("the second page says %q (the first %q)", r, first)
	}
	if role := p.eval(`document.querySelector('#users tr[data-user] td:nth-child(3)').firstChild.textContent`); role != "网格员" {
		t.Errorf("the role column says %q, not in words", role)
	}
	if unit := p.eval(`document.querySelector('#users tr[data-user] td:nth-child(4) .muted')?.textContent || ''`); unit == "" || strings.Contains(unit, "community") {
		t.Errorf("the unit kind says %q", unit)
	}
	who := p.eval(`document.querySelectorAll('#users tr[data-user]')[1].dataset.user`)
	other := p.eval(`document.querySelectorAll('#users tr[data-user]')[2].dataset.user`)
	p.do("deactivate, cancelled", chromedp.Click(chromedp.CSS(`[data-toggle-user="`+other+`"]`)), chromedp.WaitVisible(chromedp.CSS(`#confirm-cancel`)),
		chromedp.Click(chromedp.CSS(`#confirm-cancel`)))
	p.wait("dialog closed", `!document.querySelector('#confirm')`)
	p.do("deactivate", chromedp.Click(chromedp.CSS(`[data-toggle-user="`+who+`"]`)), chromedp.WaitVisible(chromedp.CSS(`#confirm-ok`)))
	if q := p.text(`#confirm`); !strings.Contains(q, "停用") || !strings.Contains(q, who) {
		t.Errorf("the confirmation says %q", q)
	}
	p.shot("admin-users-confirm")
	p.do("confirm", chromedp.Click(chromedp.CSS(`#confirm-ok`)))
	p.wait("deactivated", `document.querySelector('[data-toggle-user="`+who+`"]')?.textContent === '启用' && document.querySelector('#users').dataset.offset === '50'`)
	calm()
	p.shot("admin-users-page2")
	if acc, _ := a.Store.AccountByUsername(ctx, who); acc.Active {
		t.Errorf("%s is active after the confirmed deactivation", who)
	}
	if acc, _ := a.Store.AccountByUsername(ctx, other); !acc.Active {
		t.Errorf("%s was deactivated though the confirmation was cancelled", other)
	}
	// The other one's name put right in its row.
	p.do("edit", chromedp.Click(chromedp.CSS(`[data-edit-user="`+other+`"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-save-user="`+other+`"]`)))
	p.eval(`document.querySelector('tr[data-user="` + other + `"] [data-edit=name]').value = ''; 'ok'`)
	p.do("new name", chromedp.SendKeys(chromedp.CSS(`tr[data-user="`+other+`"] [data-edit=name]`), "张网格"), chromedp.Click(chromedp.CSS(`[data-save-user="`+other+`"]`)))
	p.wait("name saved", `document.querySelector('tr[data-user="`+other+`"] td:nth-child(2)')?.textContent === '张网格'`)
	if acc, _ := a.Store.AccountByUsername(ctx, other); acc.Name != "张网格" || !acc.Active {
		t.Errorf("%s after the edit: %+v", other, acc)
	} else if acc, _ := a.Store.AccountByID(ctx, acc.ID); len(acc.Grids) != 1 {
		t.Errorf("%s after the edit: %+v", other, acc)
	}

	// Time limits: a wrong amount is refused beside its row, then one
	// limit changed and saved.
	p.do("catalog", chromedp.Click(chromedp.CSS(`[data-section="catalog"]`)), chromedp.WaitVisible(chromedp.CSS(`#limits-save`)))
	row := p.eval(`String([...document.querySelectorAll('#limits tr[data-limit-row]')].findIndex(tr => tr.querySelector('[data-f=scope]').value === 'M06011' && tr.querySelector('[data-f=step]').value === 'handle' && tr.querySelector('[data-f=urgency]').value === ''))`)
	if row == "-1" {
		t.Fatal("no row for 积存垃圾渣土 handle in the table")
	}
	sel := `#limits tr[data-limit-row="` + row + `"]`
	if txt := p.eval(`document.querySelector('` + sel + `').innerText`); !strings.Contains(txt, "积存垃圾渣土") || !strings.Contains(txt, "处置") || !strings.Contains(txt, "工作日") {
		t.Errorf("the row for M06011 says %q, not in words", txt)
	}
	p.do("a wrong amount", chromedp.SetValue(chromedp.CSS(sel+` [data-f=amount]`), "0"), chromedp.Click(chromedp.CSS(`#limits-save`)))
	p.wait("refused beside the row", `document.querySelector('`+sel+` .row-err').textContent !== ''`)
	if e := p.text(sel + ` .row-err`); !strings.Contains(e, "时限须为") {
		t.Errorf("the row's refusal says %q", e)
	}
	calm()
	p.shot("admin-limits-refused")
	if l, _ := a.Policy.Load().Lookup(caseflow.StepHandle, "M06011", caseflow.Normal); l.Amount != 2 {
		t.Fatalf("the refused table changed the limit: %+v", l)
	}
	p.do("a right amount", chromedp.SetValue(chromedp.CSS(sel+` [data-f=amount]`), "3"), chromedp.Click(chromedp.CSS(`#limits-save`)))
	p.wait("saved", `document.getElementById('toast').textContent.includes('时限表已保存') && document.querySelector('`+sel+` .row-err').textContent === ''`)
	if l, _ := a.Policy.Load().Lookup(caseflow.StepHandle, "M06011", caseflow.Normal); l.Amount != 3 {
		t.Errorf("after saving the table: %+v", l)
	}
	// The hotline's steps keep their rows through the save: the first
	// contact and the callback, each in words in its row.
	for step, amount := range map[caseflow.Step]int{caseflow.StepContact: 4, caseflow.StepCallback: 2, caseflow.StepReview: 3} {
		if l, ok := a.Policy.Load().Lookup(step, "M06011", caseflow.Normal); !ok || l.Amount != amount {
			t.Errorf("the %s limit after saving the table: %+v %v", step, l, ok)
		}
		if n := p.eval(`String([...document.querySelectorAll('#limits [data-f=step]')].filter(s => s.value === '` + string(step) + `').length)`); n == "0" {
			t.Errorf("no %s row in the time-limit table", step)
		}
	}

	// A dispatch rule by names, then deleted after the confirmation.
	divs, _ := a.Store.Divisions(ctx)
	rules, _ := a.Store.DispatchRules(ctx)
	var area places.Division
	for _, d := range divs {
		taken := false
		for _, r := range rules {
			taken = taken || r.Area == d.Code && r.Category == "M06011"
		}
		if d.Level == places.LevelCommunity && !taken {
			area = d
			break
		}
	}
	p.do("dispatch", chromedp.Click(chromedp.CSS(`[data-section="dispatch"]`)), chromedp.WaitVisible(chromedp.CSS(`#rule-category`)),
		chromedp.SendKeys(chromedp.CSS(`#rule-category`), "不存在的分类"), chromedp.Click(chromedp.CSS(`#rule-form button[type=submit]`)))
	if m := p.text(`#rule-form p.err`); !strings.Contains(m, "请从列表中选择分类") {
		t.Errorf("an unknown category's message: %q", m)
	}
	p.eval(`document.querySelector('#rule-category').value = ''; 'ok'`)
	p.do("the right name", chromedp.SendKeys(chromedp.CSS(`#rule-category`), "积存垃圾渣土"))
	p.eval(`const s = document.querySelector('#rule-area'); s.value = [...s.options].find(o => o.textContent.endsWith(' · ` + area.Name + `')).value; ` +
		`const l = document.querySelector('#rule-lead'); l.value = [...l.options].find(o => o.textContent.includes('园林')).value; ` +
		`const h = document.querySelector('#rule-assist'); h.value = [...h.options].find(o => o.textContent.endsWith('街道办事处')).value; 'ok'`)
	p.do("add rule", chromedp.Click(chromedp.CSS(`#rule-form button[type=submit]`)))
	p.wait("rule listed", `[...document.querySelectorAll('#rules tr[data-rule]')].some(tr => tr.textContent.includes('积存垃圾渣土') && tr.textContent.includes('`+area.Name+`') && tr.textContent.includes('园林'))`)
	rules2, _ := a.Store.DispatchRules(ctx)
	added := rules2[len(rules2)-1]
	if added.Category != "M06011" || added.Area != area.Code || added.Lead != "ylc" || len(added.Assist) != 1 || !strings.HasPrefix(added.Assist[0], "jd") {
		t.Fatalf("the rule added by names: %+v", added)
	}
	p.do("see rule", chromedp.ScrollIntoView(chromedp.CSS(fmt.Sprintf(`tr[data-rule="%d"]`, added.ID))))
	calm()
	p.shot("admin-dispatch-rule-added")
	p.do("delete rule", chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-delete-rule="%d"]`, added.ID))), chromedp.WaitVisible(chromedp.CSS(`#confirm-ok`)))
	if q := p.text(`#confirm`); !strings.Contains(q, "积存垃圾渣土") || !strings.Contains(q, area.Name) {
		t.Errorf("the delete confirmation says %q", q)
	}
	p.shot("admin-dispatch-delete-confirm")
	p.do("confirm delete", chromedp.Click(chromedp.CSS(`#confirm-ok`)))
	p.wait("rule gone", fmt.Sprintf(`!document.querySelector('tr[data-rule="%d"]') && !!document.querySelector('#rules')`, added.ID))
	if rules3, _ := a.Store.DispatchRules(ctx); len(rules3) != len(rules) {
		t.Errorf("after the delete: %d rules, were %d", len(rules3), len(rules))
	}

	// A webhook: added, its secret shown once, its delivery after a case
	// event, paused after the confirmation.
	p.do("webhooks", chromedp.Click(chromedp.CSS(`[data-section="webhooks"]`)), chromedp.WaitVisible(chromedp.CSS(`#hook-url`)),
		chromedp.SendKeys(chromedp.CSS(`#hook-url`), sub.URL+"/xiuhua"), chromedp.SetValue(chromedp.CSS(`#hook-topics`), "case.*"),
		chromedp.Click(chromedp.CSS(`#hook-add`)))
	p.wait("secret shown", `!!document.querySelector('#hook-secret-shown')`)
	hooks, _ := a.Store.Webhooks(ctx)
	if len(hooks) != 1 || hooks[0].URL != sub.URL+"/xiuhua" {
		t.Fatalf("webhooks after the form: %+v", hooks)
	}
	if shown := p.text(`#hook-secret-shown`); shown != hooks[0].Secret {
		t.Errorf("the secret shown %q is not the one kept", shown)
	}
	p.shot("admin-webhook-added")
	cs, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 1})
	if code, body := signIn(t, s.URL, "dispatcher2").do("POST", "/api/v1/cases", map[string]any{"category": "M06011", "description": "订阅测试：垃圾堆放", "lon": cs[0].Point.Lon, "lat": cs[0].Point.Lat}); code != 201 {
		t.Fatalf("report: %d %s", code, body)
	}
	if _, err := (&watch.Deliverer{Store: a.Store}).DeliverOnce(ctx); err != nil || got.Load() == 0 {
		t.Fatalf("delivery: %v, %d received", err, got.Load())
	}
	p.do("deliveries", chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-show-deliveries="%d"]`, hooks[0].ID))))
	p.wait("delivery listed", `!!document.querySelector('#deliveries tr[data-delivery][data-state="done"]')`)
	if row := p.text(`#deliveries tr[data-delivery]`); !strings.Contains(row, "case.") || !strings.Contains(row, "已送达") || !strings.Contains(row, "HTTP 200") {
		t.Errorf("the delivery row says %q", row)
	}
	words("webhooks")
	p.do("see deliveries", chromedp.ScrollIntoView(chromedp.CSS(`#deliveries`)))
	calm()
	p.shot("admin-webhook-deliveries")
	// The subscriber is down: a delivery parks; sent again from its row
	// and then, for a second one, from the webhook's row.
	down.Store(true)
	park := func(desc string) {
		t.Helper()
		if code, body := signIn(t, s.URL, "dispatcher2").do("POST", "/api/v1/cases", map[string]any{"category": "M06011", "description": desc, "lon": cs[0].Point.Lon, "lat": cs[0].Point.Lat}); code != 201 {
			t.Fatalf("report: %d %s", code, body)
		}
		if _, err := (&watch.Deliverer{Store: a.Store, MaxAttempts: 1}).DeliverOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}
	park("订阅方停机：第一件")
	p.do("refresh deliveries", chromedp.Click(chromedp.CSS(`#deliveries-refresh`)))
	p.wait("parked listed", `!!document.querySelector('#deliveries tr[data-state="parked"] [data-replay]')`)
	if row := p.text(`#deliveries tr[data-state="parked"]`); !strings.Contains(row, "已搁置") || !strings.Contains(row, "HTTP 503") {
		t.Errorf("the parked delivery's row says %q", row)
	}
	p.wait("the list counts it", fmt.Sprintf(`document.querySelector('[data-waiting="%d"]').textContent === '1 条已搁置'`, hooks[0].ID))
	calm()
	p.shot("admin-webhook-parked")
	down.Store(false)
	p.do("replay one", chromedp.Click(chromedp.CSS(`#deliveries tr[data-state="parked"] [data-replay]`)))
	p.wait("queued again", `!document.querySelector('#deliveries tr[data-state="parked"]') && !!document.querySelector('#deliveries tr[data-state="pending"]')`)
	if _, err := (&watch.Deliverer{Store: a.Store}).DeliverOnce(ctx); err != nil {
		t.Fatal(err)
	}
	down.Store(true)
	park("订阅方停机：第二件")
	down.Store(false)
	p.do("webhooks again", chromedp.Click(chromedp.CSS(`[data-section="webhooks"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-replay-all]`)))
	if w := p.text(fmt.Sprintf(`[data-waiting="%d"]`, hooks[0].ID)); w != "1 条已搁置" {
		t.Errorf("the webhook's waiting deliveries say %q", w)
	}
	p.do("replay all", chromedp.Click(chromedp.CSS(`[data-replay-all]`)))
	p.wait("all queued", `!document.querySelector('[data-replay-all]') && document.getElementById('toast').textContent.includes('1 条已搁置的投递已重新排队')`)
	if _, err := (&watch.Deliverer{Store: a.Store}).DeliverOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := a.Store.DeliveryCounts(ctx); n[store.DeliveryDone] != 3 || n[store.DeliveryParked]+n[store.DeliveryPending] != 0 {
		t.Errorf("after the replays: %v", n)
	}
	p.do("webhooks reloaded", chromedp.Click(chromedp.CSS(`[data-section="webhooks"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-pause-hook]`)))
	p.do("pause", chromedp.Click(chromedp.CSS(fmt.Sprintf(`[data-pause-hook="%d"]`, hooks[0].ID))), chromedp.WaitVisible(chromedp.CSS(`#confirm-ok`)),
		chromedp.Click(chromedp.CSS(`#confirm-ok`)))
	p.wait("paused", fmt.Sprintf(`document.querySelector('[data-pause-hook="%d"]')?.dataset.active === 'false'`, hooks[0].ID))
	if h, _ := a.Store.Webhook(ctx, hooks[0].ID); h.Active {
		t.Error("the webhook is active after the confirmed pause")
	}
	if p.eval(`document.querySelector('#hook-secret-shown') ? 'shown' : 'gone'`) != "gone" {
		t.Error("the secret is still shown after the page was reloaded")
	}
	if w := p.text(fmt.Sprintf(`[data-waiting="%d"]`, hooks[0].ID)); w != "无" {
		t.Errorf("the webhook's waiting deliveries say %q, with every delivery done", w)
	}
	calm()
	p.shot("admin-webhook-paused")

	// The same tabs in English: words, no keys, no placeholders.
	p.do("english", chromedp.Click(chromedp.CSS("#lang")), chromedp.WaitVisible(chromedp.CSS(`[data-section="users"]`)))
	for _, tab := range []string{"dispatch", "users", "grids", "catalog", "calendar", "webhooks", "notify", "robots", "sends"} {
		p.do("tab "+tab+" in English", chromedp.Click(chromedp.CSS(`[data-section="`+tab+`"]`)))
		p.wait(tab+" shown in English", `document.querySelector('#admin-body').textContent !== '' && !document.querySelector('#admin-body > p.muted')`)
		words(tab + " (English)")
		p.shot("admin-en-" + tab)
	}
	if tabs := p.text(`.tabs`); !strings.Contains(tabs, "Accounts") || !strings.Contains(tabs, "Webhooks") {
		t.Errorf("the English tab labels: %q", tabs)
	}
	p.shot("admin-en-webhooks")
	p.eval(`localStorage.removeItem('lang'); 'ok'`)

	// A dispatcher sees the dispatch table, the catalog and the
	// notification rules, in words, and no admin-only tab or form.
	p.login("dispatcher1")
	p.eval(`location.hash = '#/admin'; 'ok'`)
	p.do("dispatcher's admin", chromedp.WaitVisible(chromedp.CSS(`#dry-result`)))
	if n := p.eval(`String(document.querySelectorAll('.tabs button').length)`); n != "3" || p.eval(`String(!!document.querySelector('#rule-form'))`) != "false" {
		t.Errorf("a dispatcher's admin page: %s tabs, the rule form %s", n, p.eval(`String(!!document.querySelector('#rule-form'))`))
	}
	words("dispatch (dispatcher)")
	p.do("dispatcher's catalog", chromedp.Click(chromedp.CSS(`[data-section="catalog"]`)))
	p.wait("catalog shown", `document.querySelector('#admin-body').textContent !== '' && !document.querySelector('#admin-body > p.muted')`)
	words("catalog (dispatcher)")
	if p.eval(`String(!!document.querySelector('#limits'))`) != "false" {
		t.Error("a dispatcher is shown the time-limit editor")
	}
}

// The admin pages on a 390 px phone: every tab fits the screen (wide
// tables scroll inside their panel) and a confirmation fits too.
func TestBrowserAdminPhone(t *testing.T) {
	bctx := browser(t)
	s, _ := server(t)
	p := &page{t: t, ctx: bctx, base: s.URL, dir: shots(t)}
	p.do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	p.login("admin")
	p.eval(`location.hash = '#/admin'; 'ok'`)
	p.do("admin", chromedp.WaitVisible(chromedp.CSS(`#dry-result`)))
	for _, tab := range []string{"dispatch", "users", "grids", "catalog", "calendar", "webhooks", "notify", "robots", "sends"} {
		p.do("tab "+tab, chromedp.Click(chromedp.CSS(`[data-section="`+tab+`"]`)))
		p.wait(tab+" shown", `document.querySelector('#admin-body').textContent !== '' && !document.querySelector('#admin-body > p.muted')`)
		if w := p.eval(`String(Math.max(document.documentElement.scrollWidth, document.querySelector('main').scrollWidth))`); w != "390" {
			if n, err := strconv.Atoi(w); err != nil || n > 390 {
				t.Errorf("the %s tab is %s px wide on a 390 px screen", tab, w)
			}
		}
		p.shot("admin-phone-" + tab)
	}
	p.do("users", chromedp.Click(chromedp.CSS(`[data-section="users"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-toggle-user="dispatcher2"]`)),
		chromedp.Click(chromedp.CSS(`[data-toggle-user="dispatcher2"]`)), chromedp.WaitVisible(chromedp.CSS(`#confirm-ok`)))
	if r := p.eval(`String(document.querySelector('#confirm').getBoundingClientRect().right <= innerWidth)`); r != "true" {
		t.Error("the confirmation is wider than the phone")
	}
	p.shot("admin-phone-confirm")
	p.do("cancel", chromedp.Click(chromedp.CSS(`#confirm-cancel`)))
}
