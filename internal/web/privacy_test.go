package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/store"
	"github.com/xiuhua/xiuhua/internal/web"
)

// The privacy crawl: a demo seeded with known names, phone numbers, e-mail,
// ID and flat numbers — in descriptions, addresses, reporter fields and a
// photo's EXIF — through every channel (resident, Open311, grid worker,
// hotline operator), in every kind of state the public rule treats apart
// (unverified, registered, verified, voided, a non-public category). An
// anonymous visitor then reads every public page and endpoint, follows
// every link, case number and photo id found, asks for every seeded case by
// its number, and finds none of them; nor any reporter's name or phone of
// the demo itself, recounted from the raw rows.
func TestPublicPagesKeepPersonalDataPrivate(t *testing.T) {
	s, a := server(t)
	ctx := context.Background()
	secrets := []string{
		"欧阳秀英", "司马建国", "诸葛明亮", // names
		"13911112222", "13822223333", "13733334444", "1391111", "7654321", // phones, and their digits in part
		"ouyang.xy@example.cn", "sima.jg@example.cn", "ouyang.xy", // e-mail
		"140202198001011234", "19800101", // an ID number
		"501室", "302室", "8号楼", "2单元", "3-2-501", // flat numbers
		"SECRET-EXIF", // a photo's EXIF
	}
	text := "欧阳秀英家楼下垃圾，电话13911112222，ouyang.xy@example.cn，身份证140202198001011234，永泰南路8号楼2单元501室，3-2-501"
	addr := "永泰南路8号楼2单元501室 欧阳秀英家"
	var bodies []answer // every public answer, the seeding's own included
	anon := &user{t: t, base: s.URL, c: &http.Client{}}
	seen := func(what, body string) { bodies = append(bodies, answer{what, body}) }

	// A resident's photo with EXIF, and their report: it stays unverified.
	var j bytes.Buffer
	jpeg.Encode(&j, image.NewRGBA(image.Rect(0, 0, 64, 48)), nil)
	seg := []byte("Exif\x00\x00GPS 40.08N 113.29E SECRET-EXIF")
	orig := append(append(append([]byte{}, j.Bytes()[:2]...), append([]byte{0xFF, 0xE1, 0, byte(len(seg) + 2)}, seg...)...), j.Bytes()[2:]...)
	code, body, _ := send(t, "POST", s.URL+"/api/v1/public/photos", "", bytes.NewReader(orig), nil)
	var up struct{ ID string }
	if code != 201 || json.Unmarshal([]byte(body), &up) != nil {
		t.Fatalf("resident photo: %d %s", code, body)
	}
	seen("POST /api/v1/public/photos", body)
	cs, _ := a.Store.Cases(ctx, store.CaseFilter{State: caseflow.Dispatched, Limit: 1})
	grid := cs[0].Place.Grid
	lon, lat := pointIn(t, a, grid)
	var numbers []string
	report := func(u *user, path string, in map[string]any) string {
		t.Helper()
		code, body := u.do("POST", path, in)
		var v struct{ Number string }
		if code != 201 || json.Unmarshal([]byte(body), &v) != nil || v.Number == "" {
			t.Fatalf("%s: %d %s", path, code, body)
		}
		if u == anon {
			seen("POST "+path, body)
		}
		numbers = append(numbers, v.Number)
		return v.Number
	}
	report(anon, "/api/v1/public/reports", map[string]any{"category": "M06011", "description": text, "address": addr,
		"lon": lon, "lat": lat, "name": "欧阳秀英", "phone": "13911112222", "photos": []string{up.ID}})
	registered := report(anon, "/api/v1/public/reports", map[string]any{"category": "M06011", "description": text, "address": addr,
		"lon": lon, "lat": lat, "name": "司马建国", "phone": "13822223333"})

	// Open311: a client's request with the reporter's name, e-mail and phone.
	key := tokenOf(t, a, "operator1")
	form := url.Values{"api_key": {key}, "service_code": {"M06011"}, "lat": {f6(lat)}, "long": {f6(lon)}, "description": {text},
		"first_name": {"建国"}, "last_name": {"司马"}, "email": {"sima.jg@example.cn"}, "phone": {"13822223333"}, "address_string": {addr}}
	code, body, _ = send(t, "POST", s.URL+"/open311/v2/requests.json", "", strings.NewReader(form.Encode()),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	var created []struct {
		ID string `json:"service_request_id"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &created) != nil || len(created) != 1 {
		t.Fatalf("open311 POST: %d %s", code, body)
	}
	seen("POST /open311/v2/requests.json", body)
	numbers = append(numbers, created[0].ID)

	// A grid worker's own report is verified: its text is shown, masked.
	worker := signIn(t, s.URL, "gw"+grid)
	verified := report(worker, "/api/v1/cases", map[string]any{"category": "M06011", "description": "垃圾满溢，住户电话13733334444，sima.jg@example.cn，8号楼2单元302室门口",
		"address": addr, "lon": lon, "lat": lat})
	voided := report(worker, "/api/v1/cases", map[string]any{"category": "M06011", "description": text, "address": addr, "lon": lon, "lat": lat})
	// The hotline: an operator takes a call with the caller's name and phone.
	operator := signIn(t, s.URL, "operator1")
	hotline := report(operator, "/api/v1/cases", map[string]any{"category": "M06011", "channel": "hotline", "description": "诸葛明亮来电：" + text,
		"address": addr, "lon": lon, "lat": lat})
	// A district's 12345 export imported: the callers, their numbers and
	// the five elements stay with staff.
	ledgerFile := "工单编号,问题类别,问题描述,地址,经度,纬度,上报时间,结案时间,诉求类型,来电人,来电号码,是否同意回访,事发时间,涉及人员,事由,答复内容,是否解决,满意度\n" +
		"PV-1," + "M06011," + text + "," + addr + "," + f6(lon) + "," + f6(lat) + ",2026-11-02 09:00,,投诉,欧阳秀英,13911112222,是,每晚,欧阳秀英家邻居 司马建国,8号楼2单元垃圾,,,\n" +
		"PV-2," + "M06011," + text + "," + addr + "," + f6(lon) + "," + f6(lat) + ",2026-11-03 09:00,2026-11-05 10:00,求助,司马建国,13822223333,是,,,,已清理,是,满意\n"
	if res, err := a.ImportLedger(ctx, "12345.csv", strings.NewReader(ledgerFile), nil, true); err != nil || res.Imported != 2 {
		t.Fatalf("import: %+v %v", res, err)
	}
	numbers = append(numbers, "PV-1", "PV-2")
	if code, _, _ := getAs(t, s.URL+"/api/v1/public/cases/PV-2", ""); code != 200 {
		t.Fatalf("the imported closed order is not on the public side (%d): the crawl would not read it", code)
	}
	// A category kept off the public side, verified.
	a.Store.DB().Exec(`UPDATE categories SET public = FALSE WHERE id = 'M06045'`)
	report(worker, "/api/v1/cases", map[string]any{"category": "M06045", "description": "垃圾满溢，欧阳秀英说", "address": addr, "lon": lon, "lat": lat})

	dispatcher := signIn(t, s.URL, "dispatcher1")
	act := func(number, action string, in map[string]any) {
		t.Helper()
		in["version"] = version(t, a, number)
		if code, body := dispatcher.do("POST", "/api/v1/cases/"+number+"/actions/"+action, in); code != 200 {
			t.Fatalf("%s %s: %d %s", action, number, code, body)
		}
	}
	act(registered, "register", map[string]any{})
	act(hotline, "register", map[string]any{})
	act(hotline, "dispatch", map[string]any{"auto": true})
	act(verified, "register", map[string]any{})
	act(voided, "void", map[string]any{"reason": "重复反映"})

	// A resident meets the registered report too.
	code, body = anon.do("POST", "/api/v1/public/cases/"+registered+"/me-too", map[string]any{"lon": lon, "lat": lat})
	if code != 200 {
		t.Fatalf("me too: %d %s", code, body)
	}
	seen("POST /api/v1/public/cases/{number}/me-too", body)

	// A resident subscribes to alerts of the street: the address is shown nowhere.
	code, body = anon.do("POST", "/api/v1/public/alerts", map[string]any{"email": "ouyang.xy@example.cn", "street": cs[0].Place.Street})
	if code != 202 {
		t.Fatalf("subscribe: %d %s", code, body)
	}
	seen("POST /api/v1/public/alerts", body)

	// The wall: visitors read the command display, so its figures, read
	// with a screen token, are under the same rule.
	wall, _, err := a.CreateScopedToken(ctx, "admin", "wall", "screen")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"", "?compare=mom&top=50", "?compare=yoy&workdays=true&top=50&sort=overdue"} {
		code, body, _ := getAs(t, s.URL+"/api/v1/dashboard"+q, wall)
		if code != 200 {
			t.Fatalf("the wall's figures: %d %.200s", code, body)
		}
		seen("GET /api/v1/dashboard"+q+" (a screen token)", body)
	}

	// The crawl. Every public GET route of the route table must be reached.
	mux := http.NewServeMux()
	var publicGets []string
	for pattern, level := range web.Routes() {
		if level == "public" && strings.HasPrefix(pattern, "GET ") {
			publicGets = append(publicGets, pattern)
			mux.HandleFunc(pattern, func(http.ResponseWriter, *http.Request) {})
		}
	}
	sort.Strings(publicGets)
	reached := map[string]bool{}
	queue := []string{"/", "/board", "/login", "/app", "/screen", "/healthz", "/readyz", "/api/v1/openapi.json", "/api/v1/stats",
		"/api/v1/evaluations/definitions", "/api/v1/catalog?public=true", "/api/v1/places/map",
		"/api/v1/public/board", "/api/v1/public/board?status=closed", "/api/v1/public/board?street=" + cs[0].Place.Street,
		"/open311/v2/discovery.json", "/open311/v2/discovery.xml", "/open311/v2/services.json", "/open311/v2/services.xml",
		"/open311/v2/services/M06011.json", "/open311/v2/services/M06045.xml",
		"/open311/v2/requests.json?extensions=true", "/open311/v2/requests.xml?extensions=true",
		"/open311/v2/requests.json?status=open&service_code=M06011,M06045", "/open311/v2/requests.json?service_request_id=" + strings.Join(numbers, ","),
		"/open311/v2/requests.xml?service_request_id=" + strings.Join(numbers, ",") + "&extensions=true",
		"/open311/v2/servicerequestupdates.json", "/open311/v2/servicerequestupdates.xml",
		"/api/v1/photos/" + up.ID, "/api/v1/photos/" + up.ID + "?thumb=1", "/api/v1/public/map",
		fmt.Sprintf("/api/v1/public/nearby?lon=%f&lat=%f", lon, lat), fmt.Sprintf("/api/v1/public/nearby?lon=%f&lat=%f&category=M06011", lon, lat),
		// The Atom feeds: the board's, an area's (street, community, circle), in both languages.
		"/feeds/board.atom", "/feeds/board.atom?lang=en", "/feeds/board.atom?street=" + cs[0].Place.Street, "/feeds/board.atom?community=" + cs[0].Place.Community,
		"/alerts/confirm/not-a-token", "/alerts/unsubscribe/not-a-token",
		fmt.Sprintf("/feeds/board.atom?lat=%f&lon=%f&r=1000", lat, lon), fmt.Sprintf("/feeds/board.atom?lat=%f&lon=%f&r=1000&category=M06&lang=en", lat, lon)}
	number := regexp.MustCompile(`\b20\d{11}\b`)
	photoID := regexp.MustCompile(`\b[0-9a-f]{64}\b`)
	link := regexp.MustCompile(`(?:href|src)="(/[^"#]*)`)
	byNumber := func(n string) []string {
		return []string{"/api/v1/public/cases/" + n, "/open311/v2/requests/" + n + ".json", "/open311/v2/requests/" + n + ".xml?extensions=true",
			"/open311/v2/tokens/" + n + ".json", "/feeds/cases/" + n + ".atom", "/feeds/cases/" + n + ".atom?lang=en"}
	}
	for _, n := range numbers {
		queue = append(queue, byNumber(n)...) // the numbers are guessable: ask for each
	}
	// The crawler comes from many addresses, as a scraper would, so the
	// rate limits do not hide pages from it.
	crawler := httptest.NewServer(web.New(a, web.WithTrustedProxies([]string{"127.0.0.1"})))
	defer crawler.Close()
	fetched := map[string]bool{}
	for len(queue) > 0 && len(fetched) < 2500 {
		u := queue[0]
		queue = queue[1:]
		if fetched[u] {
			continue
		}
		fetched[u] = true
		req, _ := http.NewRequest("GET", s.URL+u, nil)
		if _, pattern := mux.Handler(req); pattern != "" {
			reached[pattern] = true
		}
		code, body, _ := send(t, "GET", crawler.URL+u, "", nil, map[string]string{"X-Forwarded-For": fmt.Sprintf("10.%d.%d.7", len(fetched)/256%256, len(fetched)%256)})
		if code == 401 || code == 429 || code >= 500 {
			t.Errorf("GET %s anonymously: %d", u, code)
		}
		seen("GET "+u, body)
		for _, n := range number.FindAllString(body, -1) {
			queue = append(queue, byNumber(n)[:2]...)
			queue = append(queue, "/feeds/cases/"+n+".atom")
		}
		for _, id := range photoID.FindAllString(body, -1) {
			queue = append(queue, "/api/v1/photos/"+id, "/api/v1/photos/"+id+"?thumb=1")
		}
		if strings.HasPrefix(body, "<!doctype html>") {
			for _, m := range link.FindAllStringSubmatch(body, -1) {
				queue = append(queue, m[1])
			}
		}
	}
	for _, p := range publicGets {
		if !reached[p] {
			t.Errorf("the crawl never reached the public route %s: add a way in", p)
		}
	}

	// What must never show: the seeded secrets, and every reporter's name
	// and phone and every typed address with a number in it, from the raw
	// rows.
	rows, err := a.Store.DB().Query(`SELECT reporter_name, reporter_phone, address FROM cases`)
	if err != nil {
		t.Fatal(err)
	}
	never := map[string]bool{}
	for _, s := range secrets {
		never[s] = true
	}
	for rows.Next() {
		var name, ph, ad string
		rows.Scan(&name, &ph, &ad)
		for _, v := range []string{name, ph} {
			if len([]rune(v)) >= 3 {
				never[v] = true
			}
		}
		if strings.ContainsAny(ad, "0123456789") { // finer than a street or community: a house or flat number
			never[ad] = true
		}
	}
	rows.Close()
	if len(never) < len(secrets)+50 {
		t.Fatalf("only %d private strings to look for: the demo has no reporters?", len(never))
	}
	found := 0
	for _, b := range bodies {
		for v := range never {
			if strings.Contains(b.body, v) {
				found++
				if found < 20 {
					t.Errorf("%s shows %q: %.300s", b.what, v, b.body[max(0, strings.Index(b.body, v)-150):])
				}
			}
		}
		if phone.MatchString(b.body) {
			t.Errorf("%s shows a phone number: %s", b.what, phone.FindString(b.body))
		}
	}
	t.Logf("%d public answers read (%d pages crawled, %d public routes), %d private strings looked for", len(bodies), len(fetched), len(publicGets), len(never))

	// The rule let through what it should: the verified text, masked, on
	// Open311; the registered and dispatched reports listed without their
	// text; the unverified ones by number only, without a place.
	_, body, _ = getAs(t, s.URL+"/open311/v2/requests/"+verified+".json", "")
	if !strings.Contains(body, "垃圾满溢，住户电话***********") || !strings.Contains(body, `"lat":`) {
		t.Errorf("the verified request: %s", body)
	}
	_, body, _ = getAs(t, s.URL+"/open311/v2/requests.json?service_request_id="+registered+","+hotline+","+voided+","+numbers[0], "")
	if !strings.Contains(body, registered) || !strings.Contains(body, hotline) || strings.Contains(body, voided) || strings.Contains(body, "垃圾，") {
		t.Errorf("registered and dispatched listed without their text, the voided one absent: %s", body)
	}
	code, body, _ = getAs(t, s.URL+"/api/v1/public/cases/"+numbers[0], "")
	if code != 200 || strings.Contains(body, `"lon"`) || strings.Contains(body, `"street"`) {
		t.Errorf("an unverified report by its number: %d %s", code, body)
	}
	code404, absent, _ := getAs(t, s.URL+"/api/v1/public/cases/20990101000001", "")
	if code, body, _ := getAs(t, s.URL+"/api/v1/public/cases/"+voided, ""); code != 404 || code404 != 404 || body != absent {
		t.Errorf("a voided case must look absent: %d %s, absent: %d %s", code, body, code404, absent)
	}
	_, home, _ := getAs(t, s.URL+"/", "")
	if !strings.Contains(home, verified) || strings.Contains(home, numbers[0]) || strings.Contains(home, voided) {
		t.Errorf("the home page lists the verified case and neither the unverified nor the voided one")
	}
}

type answer struct{ what, body string }
