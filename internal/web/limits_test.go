package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/xiuhua/xiuhua/internal/access"
	"github.com/xiuhua/xiuhua/internal/lockout"
)

// A bucket allows its burst, then one more every period, and says how long
// to wait.
func TestLimiterRefillsAndSaysWhenToComeBack(t *testing.T) {
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	l := newLimiter(10)
	l.now = func() time.Time { return now }
	for i := range 10 {
		if ok, _ := l.allow("a"); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := l.allow("a")
	if ok || wait <= 0 || wait > 6*time.Second {
		t.Fatalf("over the burst: %v, wait %s", ok, wait)
	}
	if ok, _ := l.allow("b"); !ok {
		t.Fatal("another client refused")
	}
	now = now.Add(wait)
	if ok, _ := l.allow("a"); !ok {
		t.Fatal("refused after waiting as told")
	}
	if ok, _ := l.allow("a"); ok {
		t.Fatal("two tokens after one period")
	}
	if newLimiter(0) != nil {
		t.Fatal("a limit of 0 is not off")
	}
}

// Many clients do not make the limiter forget anyone: a client that spent
// its budget stays limited after 200,000 others came by (the old limiter
// forgot everyone past 100,000), and clients that each spend their own
// budget — an attacker with many addresses — leave the others' alone.
func TestLimiterForgetsNobody(t *testing.T) {
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	l := newLimiter(10)
	l.now = func() time.Time { return now }
	for range 10 {
		l.allow("victim-of-own-making")
	}
	for i := range 200_000 {
		l.allow(fmt.Sprintf("passer-by-%d", i))
	}
	if ok, _ := l.allow("victim-of-own-making"); ok {
		t.Fatal("a spent budget was forgotten")
	}
	for i := range 300 {
		for range 10 {
			l.allow(fmt.Sprintf("attacker-%d", i))
		}
	}
	refused := 0
	for i := range 1000 {
		if ok, _ := l.allow(fmt.Sprintf("resident-%d", i)); !ok {
			refused++
		}
	}
	if refused > 10 {
		t.Fatalf("%d of 1,000 new clients refused after 300 attackers spent their budgets", refused)
	}
}

// Limits are per network: addresses of one /24 or /64 share a budget.
func TestLimitsArePerNetwork(t *testing.T) {
	s := &Server{}
	WithTrustedProxies([]string{"127.0.0.1"})(s)
	l := newLimiter(2)
	h := limited(l, func(w http.ResponseWriter, r *http.Request) {})
	for _, tt := range []struct {
		addr string
		want int
	}{
		{"203.0.113.1", 200}, {"203.0.113.200", 200}, {"203.0.113.77", 429}, {"203.0.114.1", 200},
		{"2001:db8:1:2::1", 200}, {"2001:db8:1:2:ffff:ffff:ffff:ffff", 200}, {"2001:db8:1:2:abcd::5", 429}, {"2001:db8:1:3::1", 200},
	} {
		r := httptest.NewRequest("POST", "/api/v1/public/reports", nil)
		r.RemoteAddr, r.Header["X-Forwarded-For"] = "127.0.0.1:4000", []string{tt.addr}
		s.realClient(r)
		w := httptest.NewRecorder()
		h(w, r)
		if w.Code != tt.want || (w.Code == 429 && w.Header().Get("Retry-After") == "") {
			t.Errorf("%s (network %s): %d, want %d", tt.addr, lockout.Network(tt.addr), w.Code, tt.want)
		}
	}
}

// One grid layer is parsed at a time in a process; another meanwhile is
// told to come back.
func TestOneLayerImportAtATime(t *testing.T) {
	layerImports <- struct{}{} // a layer being imported
	defer func() { <-layerImports }()
	w := httptest.NewRecorder()
	(&Server{}).adminGrids(w, httptest.NewRequest("POST", "/api/v1/admin/grids", nil), access.Principal{})
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
		t.Fatalf("a second layer meanwhile: %d %s", w.Code, w.Body)
	}
}
