package web_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/xiuhua/xiuhua/internal/notify"
	"github.com/xiuhua/xiuhua/internal/watch"
)

// Reaching people, in Chromium at 1366×768 and on a 390 px phone: the
// administrator adds a DingTalk robot for 环卫处 and makes its handler the
// liaison with a phone; the dispatcher opens a case of 环卫处, orders it
// supervised, and the dry run for 超期 shows the robot and the liaison (the
// phone masked) and writes nothing; the delivery record lists the sends;
// the handler chooses their own channels.
func TestBrowserNotifications(t *testing.T) {
	bctx := browser(t)
	s, a := server(t)
	ctx := context.Background()
	p := &page{t: t, ctx: bctx, base: s.URL, dir: shots(t)}
	c := handledCase(t, s.URL, a)
	fits := func(what string, w int) {
		t.Helper()
		if got := p.eval(`String(Math.max(document.documentElement.scrollWidth, document.querySelector('main').scrollWidth))`); got != strconv.Itoa(w) {
			if n, err := strconv.Atoi(got); err != nil || n > w {
				t.Errorf("%s is %s px wide on a %d px screen", what, got, w)
			}
		}
	}
	for _, size := range []struct {
		name  string
		w, h  int
		phone bool
	}{{"desktop", 1366, 768, false}, {"phone", 390, 844, true}} {
		if size.phone {
			p.do("phone viewport", chromedp.EmulateViewport(int64(size.w), int64(size.h), chromedp.EmulateMobile, chromedp.EmulateScale(2)))
		} else {
			p.do("desktop viewport", chromedp.EmulateViewport(int64(size.w), int64(size.h)))
		}
		// What the screen shows (a full-page shot lays the page out again
		// and loses the case panel's scroll).
		shot := func(name string) {
			if b, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot()); err == nil {
				os.WriteFile(filepath.Join(p.dir, "notify-"+size.name+"-"+name+".png"), b, 0o644)
			}
		}

		// The administrator: a robot for 环卫处, and its handler as liaison.
		p.login("admin")
		p.eval(`location.hash = '#/admin'; 'ok'`)
		p.do("robots tab", chromedp.WaitVisible(chromedp.CSS(`[data-section="robots"]`)), chromedp.Click(chromedp.CSS(`[data-section="robots"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#robot-form`)))
		name := "环卫处值班群" + size.name
		p.do("add a robot", chromedp.SetValue(chromedp.CSS(`#robot-form [data-robot="unit"]`), "hwc"), chromedp.SetValue(chromedp.CSS(`#robot-form [data-robot="kind"]`), "dingtalk"),
			chromedp.SendKeys(chromedp.CSS(`#robot-form [data-robot="name"]`), name), chromedp.SendKeys(chromedp.CSS(`#robot-form [data-robot="token"]`), "tok"+size.name+"9f3e"),
			chromedp.SendKeys(chromedp.CSS(`#robot-form [data-robot="secret"]`), "SECdeadbeef"+size.name),
			chromedp.Click(chromedp.CSS(`#robot-form [data-robot-save="new"]`)))
		p.wait("the robot listed", `[...document.querySelectorAll('#robots tr[data-robot-row]')].some(tr => tr.textContent.includes('`+name+`') && tr.querySelector('[data-token-set="true"]'))`)
		if strings.Contains(p.eval(`document.body.innerHTML`), "SECdeadbeef") {
			t.Error("the robot's secret is on the page after saving")
		}
		fits("the robots tab", size.w)
		shot("robots")
		p.do("users tab", chromedp.Click(chromedp.CSS(`[data-section="users"]`)), chromedp.WaitVisible(chromedp.CSS(`#user-q`)),
			chromedp.SendKeys(chromedp.CSS(`#user-q`), "h-hwc"), chromedp.Click(chromedp.CSS(`#users-go`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-contacts-user="h-hwc"]`)), chromedp.Click(chromedp.CSS(`[data-contacts-user="h-hwc"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#contact-phone`)))
		p.eval(`(document.querySelector('#contact-phone').value = '', document.querySelector('#contact-liaison').checked = false, document.querySelector('#contact-sms').checked = false, 'ok')`)
		// A liaison without a phone is refused, in words.
		p.do("liaison without a phone", chromedp.Click(chromedp.CSS(`#contact-liaison`)), chromedp.Click(chromedp.CSS(`#contacts-save`)))
		p.wait("refused", `document.querySelector('#contacts-err').textContent.includes('手机号')`)
		p.do("liaison with a phone", chromedp.SendKeys(chromedp.CSS(`#contact-phone`), "13903520001"), chromedp.Click(chromedp.CSS(`#contact-sms`)))
		fits("the account editor", size.w)
		shot("liaison")
		p.do("save the liaison", chromedp.Click(chromedp.CSS(`#contacts-save`)))
		p.wait("saved", `!document.querySelector('#contacts-form') && document.querySelector('#toast').textContent.includes('已保存')`)
		acc, _ := a.Store.AccountByUsername(ctx, "h-hwc")
		if got, _ := a.Store.AccountContacts(ctx, acc.ID); !got.Liaison || got.Phone != "13903520001" {
			t.Fatalf("the liaison as stored: %+v", got)
		}

		// The rules table and the record of sends, as the admin pages say them.
		p.do("rules tab", chromedp.Click(chromedp.CSS(`[data-section="notify"]`)), chromedp.WaitVisible(chromedp.CSS(`#notify-rules`)))
		if n := p.eval(`String(document.querySelectorAll('#notify-rules tbody tr').length)`); n != strconv.Itoa(len(notify.Rules)) {
			t.Errorf("the rules page lists %s rules, the table has %d", n, len(notify.Rules))
		}
		if txt := p.text(`#notify-channels`); !strings.Contains(txt, "短信 — 未配置") || !strings.Contains(txt, "电子邮件 — 未配置") {
			t.Errorf("the channels read %q", txt)
		}
		if txt := p.text(`#ladder`); !strings.Contains(txt, "联络员短信") || !strings.Contains(txt, "1 小时") {
			t.Errorf("the ladder reads %q", txt)
		}
		fits("the rules tab", size.w)
		shot("rules")
		p.do("sends tab", chromedp.Click(chromedp.CSS(`[data-section="sends"]`)), chromedp.WaitVisible(chromedp.CSS(`#sends-counts`)))
		fits("the sends tab", size.w)
		shot("sends")

		// The dispatcher: the case file, a supervision order, the dry run.
		p.login("dispatcher1")
		p.do("open the case", chromedp.WaitVisible(chromedp.CSS("#q")), chromedp.SendKeys(chromedp.CSS("#q"), c.Number), chromedp.KeyEvent("\r"),
			chromedp.WaitVisible(chromedp.CSS(`tr[data-number="`+c.Number+`"]`)), chromedp.Click(chromedp.CSS(`tr[data-number="`+c.Number+`"]`)),
			chromedp.WaitVisible(chromedp.CSS(`#dryrun-go`)))
		if size.name == "desktop" {
			p.act("supervise", chromedp.SendKeys(chromedp.CSS(`textarea[data-field="reason"]`), "群众多次反映，请今日处置"))
			p.do("the file again", chromedp.WaitVisible(chromedp.CSS(`#dryrun-go`)))
		}
		notes, sends := rowCount(t, a, "notifications"), rowCount(t, a, "sends")
		p.do("dry run for overdue", chromedp.SetValue(chromedp.CSS(`#dryrun-stage`), "overdue"), chromedp.Click(chromedp.CSS(`#dryrun-go`)))
		p.wait("the dry run's answer", `document.querySelector('#dryrun-result [data-dry-people]')`)
		out := p.text(`#dryrun-result`)
		for _, want := range []string{name, "联络员", "139****0001", "短信"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: the dry run does not show %q: %s", size.name, want, out)
			}
		}
		if strings.Contains(out, "13903520001") {
			t.Errorf("the dry run shows the liaison's phone in full: %s", out)
		}
		if n, m := rowCount(t, a, "notifications"), rowCount(t, a, "sends"); n != notes || m != sends {
			t.Errorf("the dry run wrote: notifications %d → %d, sends %d → %d", notes, n, sends, m)
		}
		p.eval(`document.querySelector('#dryrun-result').scrollIntoView({ block: 'end' }), 'ok'`)
		fits("the case file with the dry run", size.w)
		shot("dryrun")
		if size.name == "desktop" {
			// The messenger plans the supervision order's sends; the case's
			// delivery record lists them.
			m := &watch.Messenger{Store: a.Store, Ladder: notify.DefaultLadder, Now: a.Now}
			if _, err := m.PlanOnce(ctx); err != nil {
				t.Fatal(err)
			}
		}
		p.do("delivery record", chromedp.Click(chromedp.CSS(`#delivery-record summary`)))
		p.wait("sends listed", `document.querySelector('#delivery-record tr[data-send]')`)
		rec := p.text(`#delivery-record`)
		if !strings.Contains(rec, "139****0001") || !strings.Contains(rec, "待发送") || strings.Contains(rec, "13903520001") {
			t.Errorf("the delivery record: %s", rec)
		}
		p.eval(`document.querySelector('#delivery-record').scrollIntoView({ block: 'end' }), 'ok'`)
		fits("the delivery record", size.w)
		shot("record")

		// The handler: their own channels.
		p.login("h-hwc")
		p.do("my contacts", chromedp.Click(chromedp.CSS(`#my-contacts`)), chromedp.WaitVisible(chromedp.CSS(`#contacts-form`)))
		p.eval(`(document.querySelector('#contact-email').value = '', document.querySelector('#contact-mail').checked = false, 'ok')`)
		p.do("mail without an address", chromedp.Click(chromedp.CSS(`#contact-mail`)), chromedp.Click(chromedp.CSS(`#contacts-save`)))
		p.wait("refused", `document.querySelector('#contacts-err').textContent.includes('邮箱')`)
		p.do("mail with an address", chromedp.SendKeys(chromedp.CSS(`#contact-email`), "li@pingcheng.gov.cn"), chromedp.Click(chromedp.CSS(`#contacts-save`)))
		p.wait("saved", `!document.querySelector('#contacts-form')`)
		if got, _ := a.Store.AccountContacts(ctx, acc.ID); !slices.Contains(got.Channels, "mail") || got.Email != "li@pingcheng.gov.cn" || !got.Liaison {
			t.Errorf("the handler's own channels as stored: %+v", got)
		}
		p.do("my contacts again", chromedp.Click(chromedp.CSS(`#my-contacts`)), chromedp.WaitVisible(chromedp.CSS(`#contacts-form`)))
		fits("my contacts", size.w)
		shot("mine")
		// Every member of staff reads the rules there, in their language.
		if size.name == "desktop" {
			p.eval(`localStorage.setItem('lang', 'en'); 'ok'`)
			p.do("in English", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#my-contacts`)),
				chromedp.Click(chromedp.CSS(`#my-contacts`)), chromedp.WaitVisible(chromedp.CSS(`#show-rules`)),
				chromedp.Click(chromedp.CSS(`#show-rules`)), chromedp.WaitVisible(chromedp.CSS(`#notify-rules`)))
			if n := p.eval(`String(document.querySelectorAll('#notify-rules tbody tr').length)`); n != strconv.Itoa(len(notify.Rules)) {
				t.Errorf("the handler reads %s rules, the table has %d", n, len(notify.Rules))
			}
			if txt := p.text(`#my-rules`); !strings.Contains(txt, "SMS to the liaisons") || !strings.Contains(txt, "Warning: case 2026112000001") || regexp.MustCompile(`\p{Han}`).MatchString(txt) {
				t.Errorf("the rules in English: %.400s", txt)
			}
			p.eval(`document.querySelector('#my-rules').scrollIntoView(), 'ok'`)
			shot("rules-en")
			p.eval(`localStorage.removeItem('lang'); 'ok'`)
			p.do("back in Chinese", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#my-contacts`)))
		}
	}
}
