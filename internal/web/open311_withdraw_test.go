package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/store"
)

// Open311's status=CLOSED update is the requester's withdrawal (撤单) when
// the client that filed the request sends it before dispatch: the order is
// withdrawn with the description as its reason, and the answer says
// closed. From another client, or once dispatched, it is a note for the
// centre and the answer says so; the order runs on.
func TestOpen311Withdrawal(t *testing.T) {
	s, a := server(t)
	base := s.URL + "/open311/v2/"
	cs, _ := a.Store.Cases(t.Context(), store.CaseFilter{State: caseflow.Dispatched, Limit: 1})
	mine, other := tokenOf(t, a, "operator1"), tokenOf(t, a, "operator2")
	file := func() string {
		t.Helper()
		resp, err := http.PostForm(base+"requests.json", url.Values{"api_key": {mine}, "service_code": {"M06011"},
			"lat": {f6(cs[0].Point.Lat)}, "long": {f6(cs[0].Point.Lon)}, "description": {"路边垃圾"}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var created []struct {
			ID string `json:"service_request_id"`
		}
		if json.NewDecoder(resp.Body).Decode(&created); resp.StatusCode != 200 || len(created) != 1 {
			t.Fatalf("POST requests: %d", resp.StatusCode)
		}
		return created[0].ID
	}
	update := func(key, id, desc string) (status, description string) {
		t.Helper()
		resp, err := http.PostForm(base+"servicerequestupdates.json", url.Values{"api_key": {key}, "service_request_id": {id},
			"status": {"CLOSED"}, "description": {desc}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var ups []struct{ Status, Description string }
		b, _ := io.ReadAll(resp.Body)
		if json.Unmarshal(b, &ups); resp.StatusCode != 200 || len(ups) != 1 {
			t.Fatalf("POST update: %d %s", resp.StatusCode, b)
		}
		return ups[0].Status, ups[0].Description
	}
	last := func(id string) (*caseflow.Case, caseflow.Event) {
		c, _ := a.Store.CaseByNumber(t.Context(), id)
		evs, _ := a.Store.Events(t.Context(), c.ID)
		return c, evs[len(evs)-1]
	}

	id := file()
	if st, _ := update(other, id, "我替他撤"); st != "open" {
		t.Errorf("another client's CLOSED: %s", st)
	}
	if c, ev := last(id); c.State != caseflow.Reported || ev.Action != caseflow.ActComment || ev.Data.Note != "[closed] 我替他撤" {
		t.Fatalf("another client's CLOSED is a note: %s %s %q", c.State, ev.Action, ev.Data.Note)
	}
	if st, _ := update(mine, id, "已经自己解决了，不用来了"); st != "closed" {
		t.Errorf("the filer's CLOSED: %s", st)
	}
	if c, ev := last(id); c.State != caseflow.Voided || ev.Action != caseflow.ActWithdraw || ev.Reason != "撤单（Open311）：已经自己解决了，不用来了" {
		t.Fatalf("the filer's CLOSED before dispatch is a withdrawal: %s %s %q", c.State, ev.Action, ev.Reason)
	}

	// Once dispatched, CLOSED from the filer is a note too.
	id = file()
	c, _ := last(id)
	for _, step := range []struct {
		action caseflow.Action
		token  string
		body   string
	}{{"register", tokenOf(t, a, "dispatcher1"), `{"version":1}`}, {"dispatch", tokenOf(t, a, "dispatcher1"), `{"version":2,"auto":true}`}} {
		if code, out, _ := send(t, "POST", s.URL+"/api/v1/cases/"+id+"/actions/"+string(step.action), step.token, strings.NewReader(step.body), map[string]string{"Content-Type": "application/json"}); code != 200 {
			t.Fatalf("%s: %d %s", step.action, code, out)
		}
	}
	if st, _ := update(mine, id, "不用来了"); st != "open" {
		t.Errorf("CLOSED after dispatch: %s", st)
	}
	if c2, ev := last(id); c2.State != caseflow.Dispatched || ev.Action != caseflow.ActComment || c2.Version != c.Version+3 {
		t.Fatalf("CLOSED after dispatch is a note: %s %s v%d", c2.State, ev.Action, c2.Version)
	}
}
