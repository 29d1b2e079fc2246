package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/demo"
	"github.com/xiuhua/xiuhua/internal/lockout"
	"github.com/xiuhua/xiuhua/internal/web"
)

// loginFrom signs in as username from a client address (told by the
// trusted proxy at 127.0.0.1) and returns the status.
func loginFrom(t *testing.T, base, from, username, password string) (int, http.Header) {
	t.Helper()
	body := fmt.Sprintf(`{"username":%q,"password":%q}`, username, password)
	req, _ := http.NewRequest("POST", base+"/api/v1/session", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if from != "" {
		req.Header.Set("X-Forwarded-For", from)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, nil
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header
}

// checks counts the passwords checked for username: the audit log's
// failures and successes.
func checks(t *testing.T, a *app.App, username string) int {
	t.Helper()
	entries, err := a.Store.AuditEntries(context.Background(), 10000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e["username"] == username && (e["event"] == "login_failed" || e["event"] == "login") {
			n++
		}
	}
	return n
}

// Forty parallel guesses over real HTTP get the pair's budget of password
// checks and no more; the right password sent after them is refused too,
// and a burst mixing it in checks no more than the budget either.
func TestParallelLoginBurstGetsTheBudget(t *testing.T) {
	s, a := server(t)
	burst := func(username string, right int) map[int]int {
		statuses := map[int]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := range 40 + right {
			wg.Add(1)
			go func() {
				defer wg.Done()
				pw := fmt.Sprintf("guess-%02d-%s", i, username)
				if i >= 40 {
					pw = demo.Password
				}
				code, _ := loginFrom(t, s.URL, "", username, pw)
				mu.Lock()
				statuses[code]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		return statuses
	}
	got := burst("leader", 0)
	if got[401] != lockout.PairBudget.Max || got[429] != 40-lockout.PairBudget.Max || len(got) != 2 {
		t.Fatalf("40 parallel guesses answered %v, want %d × 401 and the rest 429", got, lockout.PairBudget.Max)
	}
	if n := checks(t, a, "leader"); n != lockout.PairBudget.Max {
		t.Fatalf("%d passwords checked, want %d", n, lockout.PairBudget.Max)
	}
	code, h := loginFrom(t, s.URL, "", "leader", demo.Password)
	if code != 429 || h.Get("Retry-After") == "" {
		t.Fatalf("the right password after the burst: %d (Retry-After %q), want 429", code, h.Get("Retry-After"))
	}
	// The right password ten times inside a burst: still at most the
	// budget of checks, however the race goes.
	got = burst("dispatcher1", 10)
	if n := checks(t, a, "dispatcher1"); n > lockout.PairBudget.Max || got[401]+got[200] != n || got[429] != 50-n {
		t.Fatalf("a burst with the right password: %v, %d checked, want at most %d", got, n, lockout.PairBudget.Max)
	}
}

// Guessing spread over many networks closes the account to new networks
// but not to the one its user signs in from; a network guessing many
// usernames is closed to them, not to a user who signs in there.
func TestLockoutSparesTheUsualNetwork(t *testing.T) {
	_, a := server(t)
	s := httptest.NewServer(web.New(a, web.WithTrustedProxies([]string{"127.0.0.1"})))
	defer s.Close()
	if code, _ := loginFrom(t, s.URL, "10.20.30.40", "leader", demo.Password); code != 200 {
		t.Fatalf("the user's first login: %d", code)
	}
	// An attacker spends each network's budget until the account's is spent.
	for n := 0; n*lockout.PairBudget.Max < lockout.AccountBudget.Max; n++ {
		for i := range lockout.PairBudget.Max {
			if code, _ := loginFrom(t, s.URL, fmt.Sprintf("203.0.%d.%d", 113+n, 10+i), "leader", fmt.Sprint("guess", n, i)); code != 401 {
				t.Fatalf("guess %d from network %d: %d", i, n, code)
			}
		}
		if code, _ := loginFrom(t, s.URL, fmt.Sprintf("203.0.%d.99", 113+n), "leader", demo.Password); code != 429 {
			t.Fatalf("the right password from a network that spent its budget: %d", code)
		}
	}
	if code, _ := loginFrom(t, s.URL, "198.51.100.7", "leader", demo.Password); code != 429 {
		t.Fatalf("the right password from a new network once the account's budget is spent: %d, want 429", code)
	}
	if code, _ := loginFrom(t, s.URL, "10.20.30.41", "leader", demo.Password); code != 200 {
		t.Fatalf("the real user from their usual network: %d, want 200", code)
	}
	if code, _ := loginFrom(t, s.URL, "2001:db8:1:2::5", "dispatcher1", demo.Password); code != 200 {
		t.Fatalf("dispatcher1's first login: %d", code)
	}
	// One network guessing a password for many usernames.
	for i := range lockout.NetworkBudget.Max {
		if code, _ := loginFrom(t, s.URL, "2001:db8:1:2::"+fmt.Sprint(100+i), fmt.Sprint("user", i), "Password1!"); code != 401 {
			t.Fatalf("spray %d: %d", i, code)
		}
	}
	if code, _ := loginFrom(t, s.URL, "2001:db8:1:2:ffff::1", "operator1", demo.Password); code != 429 {
		t.Fatalf("a new account from a network that spent its budget: %d, want 429", code)
	}
	if code, _ := loginFrom(t, s.URL, "2001:db8:1:2::6", "dispatcher1", demo.Password); code != 200 {
		t.Fatalf("a user who signed in from that network before: %d, want 200", code)
	}
}
