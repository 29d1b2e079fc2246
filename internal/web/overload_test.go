package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// With every slot taken, a request waits briefly and is then shed with 503
// and Retry-After; health checks still answer; a freed slot serves again.
func TestOverloadSheds(t *testing.T) {
	s := &Server{}
	WithMaxInFlight(2, 50*time.Millisecond)(s)
	release := make(chan struct{})
	busy := make(chan struct{}, 2)
	h := s.shed(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			busy <- struct{}{}
			<-release
		}
		w.WriteHeader(http.StatusOK)
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	done := make(chan int, 2)
	for range 2 {
		go func() {
			resp, err := http.Get(srv.URL + "/slow")
			if err != nil {
				done <- 0
				return
			}
			resp.Body.Close()
			done <- resp.StatusCode
		}()
	}
	<-busy
	<-busy
	resp, err := http.Get(srv.URL + "/api/v1/cases")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("over the bound: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if resp, err := http.Get(srv.URL + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz under overload: %v %v", err, resp)
	}
	close(release)
	for range 2 {
		if code := <-done; code != 200 {
			t.Fatalf("a request in flight: %d", code)
		}
	}
	if resp, err := http.Get(srv.URL + "/api/v1/cases"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("after the load: %v %v", err, resp)
	}
}

// Behind a trusted proxy the client is the nearest untrusted address in
// X-Forwarded-For; from anyone else the header is ignored.
func TestTrustedProxies(t *testing.T) {
	s := &Server{}
	WithTrustedProxies([]string{"10.0.0.2", " 10.0.0.3", "bogus"})(s)
	for _, tt := range []struct{ peer, xff, want string }{
		{"10.0.0.2:5000", "203.0.113.7", "203.0.113.7"},
		{"10.0.0.2:5000", "198.51.100.1, 203.0.113.7, 10.0.0.3", "203.0.113.7"}, // a spoofed first hop is not believed
		{"192.0.2.9:5000", "203.0.113.7", "192.0.2.9"},                          // not a proxy: header ignored
		{"10.0.0.2:5000", "", "10.0.0.2"},
		{"10.0.0.2:5000", "not-an-ip", "10.0.0.2"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.peer
		if tt.xff != "" {
			r.Header.Set("X-Forwarded-For", tt.xff)
		}
		s.realClient(r)
		if got := client(r); got != tt.want {
			t.Errorf("peer %s, X-Forwarded-For %q: client %s, want %s", tt.peer, tt.xff, got, tt.want)
		}
	}
}
