package web_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/demo"
	"github.com/xiuhua/xiuhua/internal/web"
)

// A flood of sign-ins from one network is cut off before any of them is
// counted or checked: past the network's rate it answers 429
// (rate_limited) with Retry-After and reaches neither the lockout's
// counters nor a password check, while another network still signs in.
func TestSignInFloodIsLimitedPerNetwork(t *testing.T) {
	_, a := server(t)
	s := httptest.NewServer(web.New(a, web.WithTrustedProxies([]string{"127.0.0.1"}), web.WithLimits(web.Limits{SignIns: 20})))
	defer s.Close()
	signIn := func(from, username, password string) (int, string, string) {
		req, _ := http.NewRequest("POST", s.URL+"/api/v1/session", strings.NewReader(fmt.Sprintf(`{"username":%q,"password":%q}`, username, password)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", from)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header.Get("Retry-After")
	}
	limited, reached := 0, 0
	for i := range 30 {
		code, body, retry := signIn(fmt.Sprintf("198.51.100.%d", i), fmt.Sprintf("nobody-%d", i), "wrong-password-1")
		switch {
		case code == 429 && strings.Contains(body, `"code":"rate_limited"`) && retry != "":
			limited++
		case code == 401:
			reached++
		default:
			t.Errorf("sign-in %d: %d %s", i, code, body)
		}
	}
	if limited != 10 || reached != 20 {
		t.Fatalf("30 sign-ins from one /24 at 20 a minute: %d refused by the rate, %d reached the check; want 10 and 20", limited, reached)
	}
	if code, _, _ := signIn("192.0.2.7", "leader", demo.Password); code != 200 {
		t.Fatalf("a sign-in from another network: %d", code)
	}
}
