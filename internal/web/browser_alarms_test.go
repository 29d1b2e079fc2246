package web_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/xiuhua/xiuhua/internal/alarm"
	"github.com/xiuhua/xiuhua/internal/store"
)

// snapshotJPEG is a camera's picture: a grey street with a dark box
// where the car stands.
func snapshotJPEG(n int) string {
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for y := range 240 {
		for x := range 320 {
			c := color.RGBA{150, 150, 150, 255}
			if x > 100+n%50 && x < 220 && y > 120 && y < 200 {
				c = color.RGBA{40, 40, 60, 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	jpeg.Encode(&b, img, nil)
	return base64.StdEncoding.EncodeToString(b.Bytes())
}

// TestBrowserSuspectedAlarms: the dispatcher opens the 疑似 tab at
// 1366×768, sees each alarm with its snapshot and repeats, accepts one
// into a case, marks one false with a reason (a missing reason is
// refused in Chinese), and works the last one on a phone (390×844).
func TestBrowserSuspectedAlarms(t *testing.T) {
	bctx := browser(t)
	s, a := server(t)
	ctx := context.Background()
	cs, _ := a.Store.Cases(ctx, store.CaseFilter{Limit: 1})
	pt := cs[0].Point
	for i := range 3 {
		d := &alarm.Device{Source: "aibox-gulou", Code: fmt.Sprintf("GL-%03d", i+1), Name: []string{"鼓楼东街口", "华严寺街", "九龙壁南"}[i], Kind: alarm.Video,
			Point: alarm.Point{Lon: pt.Lon, Lat: pt.Lat}, Threshold: 0.5, Active: true,
			Raises: []alarm.Raise{{Category: "M09006", Events: []string{"street_vending"}}}}
		if err := a.SaveDevice(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	token, _, err := a.CreateScopedToken(ctx, "admin", "鼓楼 AI 盒子", "alarms")
	if err != nil {
		t.Fatal(err)
	}
	var list []map[string]any
	for i := range 4 {
		list = append(list, map[string]any{"source": "aibox-gulou", "device": fmt.Sprintf("GL-%03d", i%3+1), "event_id": fmt.Sprint("b", i),
			"event_type": "street_vending", "model": "vend-v2", "confidence": 0.7 + float64(i)/20, "at": a.Now().Add(time.Duration(i) * time.Minute).Format(time.RFC3339),
			"snapshots": []map[string]string{{"data": snapshotJPEG(i)}}})
	}
	b, _ := json.Marshal(map[string]any{"alarms": list})
	if code, body, _ := send(t, "POST", s.URL+"/api/v1/alarms", token, strings.NewReader(string(b)), map[string]string{"Content-Type": "application/json"}); code != 200 {
		t.Fatalf("push: %d %s", code, body)
	}
	p := &page{t: t, ctx: bctx, base: s.URL, dir: shots(t)}
	p.do("desk size", chromedp.EmulateViewport(1366, 768))
	p.login("dispatcher1")
	p.do("open 疑似", chromedp.Navigate(s.URL+"/app#/centre/suspected"), chromedp.WaitVisible(chromedp.CSS(`li.alarm img`)))
	p.wait("three suspected with snapshots", `document.querySelectorAll('li.alarm').length === 3 && [...document.querySelectorAll('li.alarm img')].every(i => i.complete && i.naturalWidth > 0)`)
	if n := p.text(`[data-tab="suspected"] .count`); n != "3" {
		t.Fatalf("the tab counts %q, want 3", n)
	}
	if r := p.text(`[data-repeats]`); !strings.Contains(r, "重复告警 1 次") {
		t.Fatalf("the repeat reads %q", r)
	}
	p.shot("alarms-1366")
	first := p.eval(`document.querySelector('li.alarm').dataset.alarm`)
	p.do("false without a reason", chromedp.Click(chromedp.CSS(`button[data-false="`+first+`"]`)))
	p.wait("refused in Chinese", `document.querySelector('li.alarm [role=alert]').textContent.includes('理由')`)
	p.do("false with a reason", chromedp.SendKeys(chromedp.CSS(`input[data-reason="`+first+`"]`), "行人驻足，并非占道经营"),
		chromedp.Click(chromedp.CSS(`button[data-false="`+first+`"]`)))
	p.wait("two left", `document.querySelectorAll('li.alarm').length === 2`)
	second := p.eval(`document.querySelector('li.alarm').dataset.alarm`)
	p.do("accept", chromedp.Click(chromedp.CSS(`button[data-accept="`+second+`"]`)))
	p.wait("one left", `document.querySelectorAll('li.alarm').length === 1 && document.querySelector('[data-tab="suspected"] .count').textContent === '1'`)
	p.do("phone size", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	p.do("reload on the phone", chromedp.Navigate(s.URL+"/app#/centre/suspected"), chromedp.WaitVisible(chromedp.CSS(`li.alarm img`)))
	p.shot("alarms-390")
	if w := p.eval(`String(document.documentElement.scrollWidth)`); w != "390" {
		t.Errorf("the phone page is %s px wide, want 390 (no sideways scrolling)", w)
	}
	all, _ := a.Store.Alarms(ctx, store.AlarmFilter{Limit: 10})
	statuses := map[alarm.Status]int{}
	var accepted store.AlarmRecord
	for _, r := range all {
		statuses[r.Status]++
		if r.Status == alarm.StatusAccepted {
			accepted = r
		}
	}
	if statuses[alarm.StatusFalse] != 1 || statuses[alarm.StatusAccepted] != 1 || statuses[alarm.StatusSuspected] != 1 || statuses[alarm.StatusRepeat] != 1 {
		t.Fatalf("after the review: %v", statuses)
	}
	c, err := a.Store.Case(ctx, accepted.CaseID)
	if err != nil || c.Channel != "video" {
		t.Fatalf("the accepted alarm's case: %+v %v", c, err)
	}
	if evs, _ := a.Store.Events(ctx, c.ID); len(evs) == 0 || len(evs[0].Data.Photos) != 1 {
		t.Fatalf("the accepted case lacks the alarm's snapshot: %+v", evs)
	}
}

// TestBrowserDeviceRegistry: the administrator registers a camera by
// clicking its place on the map (a bad threshold is refused in Chinese,
// naming the field, and writes nothing), sees it with its grid, and turns
// it off; at 1366×768 and 390×844.
func TestBrowserDeviceRegistry(t *testing.T) {
	bctx := browser(t)
	s, a := server(t)
	ctx := context.Background()
	p := &page{t: t, ctx: bctx, base: s.URL, dir: shots(t)}
	p.do("desk size", chromedp.EmulateViewport(1366, 768))
	p.login("admin")
	p.do("open devices", chromedp.Navigate(s.URL+"/app#/admin"), chromedp.WaitVisible(chromedp.CSS(`[data-section="devices"]`)),
		chromedp.Click(chromedp.CSS(`[data-section="devices"]`)), chromedp.WaitVisible(chromedp.CSS(`#device-form canvas`)))
	p.wait("map drawn", `document.querySelector('#device-form canvas').width > 10`)
	p.do("place on the map", chromedp.SendKeys(chromedp.CSS(`#device-form [name=code]`), "GL-101"),
		chromedp.SendKeys(chromedp.CSS(`#device-form [name=name]`), "鼓楼西街口"))
	p.eval(`(document.querySelector('#device-form canvas').scrollIntoView({block: 'center'}), 'ok')`)
	x := atoi(p.eval(`String(Math.round(document.querySelector('#device-form canvas').getBoundingClientRect().left + document.querySelector('#device-form canvas').getBoundingClientRect().width / 2))`))
	y := atoi(p.eval(`String(Math.round(document.querySelector('#device-form canvas').getBoundingClientRect().top + document.querySelector('#device-form canvas').getBoundingClientRect().height / 2))`))
	// The map takes its point once its layer is drawn: tap until it does.
	for range 40 {
		p.do("tap the map", chromedp.MouseClickXY(float64(x), float64(y)))
		if p.eval(`document.querySelector('#device-form [name=lon]').value`) != "" {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	p.wait("point taken", `document.querySelector('#device-form [name=lon]').value !== ''`)
	p.eval(`(() => { const x = document.querySelector('#device-form [name=threshold]'); x.value = '3'; return 'ok' })()`)
	p.do("bad threshold", chromedp.Click(chromedp.CSS(`[data-device-save="new"]`)))
	p.wait("refused in Chinese", `document.querySelector('#device-form [role=alert]').textContent.includes('置信度阈值')`)
	if ds, _ := a.Store.Devices(ctx); len(ds) != 0 {
		t.Fatalf("a refused camera was written: %+v", ds)
	}
	p.eval(`(() => { const x = document.querySelector('#device-form [name=threshold]'); x.value = '0.6'; return 'ok' })()`)
	p.do("register", chromedp.Click(chromedp.CSS(`[data-device-save="new"]`)))
	p.wait("listed", `!!document.querySelector('tr[data-device="GL-101"]')`)
	p.shot("devices-1366")
	ds, _ := a.Store.Devices(ctx)
	if len(ds) != 1 || ds[0].Grid == "" || ds[0].Name != "鼓楼西街口" || len(ds[0].Raises) != 1 || !ds[0].Raises[0].Auto {
		t.Fatalf("registered: %+v", ds)
	}
	p.do("turn off", chromedp.Click(chromedp.CSS(`[data-toggle-device="GL-101"]`)), chromedp.WaitVisible(chromedp.CSS(`#confirm-ok`)),
		chromedp.Click(chromedp.CSS(`#confirm-ok`)))
	p.wait("off", `document.querySelector('tr[data-device="GL-101"]') && document.querySelector('tr[data-device="GL-101"]').textContent.includes('已停用')`)
	if ds, _ := a.Store.Devices(ctx); ds[0].Active {
		t.Fatal("the camera is still active")
	}
	p.do("phone size", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
	p.do("reload on the phone", chromedp.Navigate(s.URL+"/app#/admin"), chromedp.WaitVisible(chromedp.CSS(`[data-section="devices"]`)),
		chromedp.Click(chromedp.CSS(`[data-section="devices"]`)), chromedp.WaitVisible(chromedp.CSS(`tr[data-device="GL-101"]`)))
	p.shot("devices-390")
}
