package channel

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeCMAS is 云MAS's norsubmit endpoint: it decodes the base64 body,
// recomputes the mac with the test secret key and answers each check as
// the interface document does.
type fakeCMAS struct {
	ecName, apID, secretKey, sign string
	mu                            sync.Mutex
	got                           []map[string]string
	status                        int
	stall                         chan struct{}
}

func (f *fakeCMAS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/sms/norsubmit" {
		http.NotFound(w, r)
		return
	}
	reply := func(code string) {
		fmt.Fprintf(w, `{"msgGroup":"","rspcod":%q,"success":false}`, code)
	}
	raw, _ := io.ReadAll(r.Body)
	j, err := base64.StdEncoding.DecodeString(string(raw))
	var s map[string]string
	if err != nil || json.Unmarshal(j, &s) != nil {
		reply("InvalidMessage")
		return
	}
	if _, leaked := s["secretKey"]; leaked {
		reply("InvalidMessage")
		return
	}
	mac := fmt.Sprintf("%x", md5.Sum([]byte(s["ecName"]+s["apId"]+f.secretKey+s["mobiles"]+s["content"]+s["sign"]+s["addSerial"])))
	switch {
	case s["ecName"] != f.ecName || s["apId"] != f.apID:
		reply("InvalidUsrOrPwd")
	case s["mac"] != mac:
		reply("IllegalMac")
	case s["sign"] == "":
		reply("NoSignId")
	case s["sign"] != f.sign:
		reply("IllegalSignId")
	case strings.Count(s["mobiles"], ",") >= 5000:
		reply("TooManyMobiles")
	default:
		f.mu.Lock()
		f.got = append(f.got, s)
		n, status, stall := len(f.got), f.status, f.stall
		f.mu.Unlock()
		if stall != nil {
			select {
			case <-stall:
			case <-r.Context().Done():
			}
			return
		}
		if status != 0 {
			w.WriteHeader(status)
			fmt.Fprint(w, "<html>gateway error</html>")
			return
		}
		fmt.Fprintf(w, `{"msgGroup":"0906163415000000332%03d","rspcod":"success","success":true}`, n)
	}
}

func TestCMASSubmitsWithTheDocumentedMac(t *testing.T) {
	secretKey := "cmas-secret-asd2018-" + t.Name()
	f := &fakeCMAS{ecName: "大同市平城区城市管理局", apID: "pcqcg", secretKey: secretKey, sign: "XtXYO12LyQJ"}
	srv := httptest.NewServer(f)
	defer srv.Close()
	log, logs := newLog()
	cfg := CMASConfig{BaseURL: srv.URL, EcName: f.ecName, ApID: f.apID, SecretKey: secretKey, Sign: f.sign, Logger: log, Timeout: 300 * time.Millisecond}
	c, err := NewCMAS(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	m := Message{ID: "dl-9", To: []string{"13800138000", "13900139000"}, Text: "【平城城管】案件#42已派至南关街道，请于12月8日前处置。"}
	rc, err := c.Send(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	if rc.ProviderID != "0906163415000000332001" {
		t.Fatalf("receipt %+v", rc)
	}
	if s := f.got[0]; s["mobiles"] != "13800138000,13900139000" || s["content"] != m.Text || s["addSerial"] != "" {
		t.Fatalf("submitted %v", s)
	}
	// The same delivery again sends nothing.
	if rc2, err := c.Send(ctx, m); err != nil || rc2 != rc || len(f.got) != 1 {
		t.Fatalf("resend %+v %v, %d submitted", rc2, err, len(f.got))
	}

	var errs []string
	for _, tc := range []struct {
		change func(*CMASConfig)
		code   string
	}{
		{func(c *CMASConfig) { c.SecretKey = "wrong-secret-key" }, "IllegalMac"},
		{func(c *CMASConfig) { c.ApID = "nobody" }, "InvalidUsrOrPwd"},
		{func(c *CMASConfig) { c.Sign = "BadSign" }, "IllegalSignId"},
	} {
		bad := cfg
		tc.change(&bad)
		b, _ := NewCMAS(bad)
		_, err := b.Send(ctx, Message{ID: "x", To: []string{"13800138000"}, Text: "测试"})
		classified(t, err, tc.code, false, false)
		errs = append(errs, err.Error())
	}
	// Over 5000 numbers is refused before any call, as the gateway would.
	many := make([]string, 5001)
	for i := range many {
		many[i] = fmt.Sprintf("138%08d", i)
	}
	_, err = c.Send(ctx, Message{ID: "y", To: many, Text: "x"})
	classified(t, err, CodeInput, false, false)

	// A gateway error page or no answer: worth retrying.
	f.mu.Lock()
	f.status = 502
	f.mu.Unlock()
	_, err = c.Send(ctx, Message{ID: "z1", To: []string{"13800138000"}, Text: "x"})
	classified(t, err, CodeHTTP, true, false)
	f.mu.Lock()
	f.status, f.stall = 0, make(chan struct{})
	f.mu.Unlock()
	_, err = c.Send(ctx, Message{ID: "z2", To: []string{"13800138000"}, Text: "x"})
	classified(t, err, CodeTimeout, true, false)
	close(f.stall)
	errs = append(errs, err.Error())

	for _, s := range append(errs, logs.String(), c.Redacted()) {
		noSecret(t, "cmas", s, secretKey, "wrong-secret-key")
	}
	for _, field := range []string{"EcName", "ApID", "SecretKey", "Sign"} {
		bad := cfg
		switch field {
		case "EcName":
			bad.EcName = ""
		case "ApID":
			bad.ApID = ""
		case "SecretKey":
			bad.SecretKey = ""
		case "Sign":
			bad.Sign = ""
		}
		_, err := NewCMAS(bad)
		configError(t, err, field)
	}
	if d, _ := NewCMAS(CMASConfig{EcName: "e", ApID: "a", SecretKey: "s", Sign: "g"}); d.Redacted() != "sms cmas 112.35.1.155:1992" {
		t.Error(d.Redacted())
	}
}
