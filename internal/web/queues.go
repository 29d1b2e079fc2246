package web

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/xiuhua/xiuhua/internal/access"
	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/store"
)

// A queue is one of the waiting lists people work through. One filter per
// queue lists its cases (GET /api/v1/cases?queue=ID) and counts them (GET
// /api/v1/queues), both cut to the reader's scope, so a tab's count and
// its rows are the same set.
type queue struct {
	id    string
	apply func(f *store.CaseFilter)
	// workers are the roles whose work the list is: the bell counts only
	// these for its reader (a department's bell does not count the
	// operators' callbacks).
	workers []caseflow.Role
}

func inState(s caseflow.State) func(*store.CaseFilter) {
	return func(f *store.CaseFilter) { f.State = s }
}

// queues in the order the centre shows them: each step's waiting list,
// then what needs a decision or is late.
var queues = []queue{
	{"reported", inState(caseflow.Reported), []caseflow.Role{caseflow.Operator, caseflow.Dispatcher}},
	{"registered", inState(caseflow.Registered), []caseflow.Role{caseflow.Dispatcher}},
	{"requests", func(f *store.CaseFilter) { f.Requested = true }, []caseflow.Role{caseflow.Dispatcher}},
	{"disputes", func(f *store.CaseFilter) { f.Disputed = true }, []caseflow.Role{caseflow.Leader}},
	{"supervised", func(f *store.CaseFilter) { f.Supervised = true }, []caseflow.Role{caseflow.Dispatcher, caseflow.Handler, caseflow.Leader}},
	{"dispatched", inState(caseflow.Dispatched), []caseflow.Role{caseflow.Handler}},
	{"in_progress", inState(caseflow.InProgress), []caseflow.Role{caseflow.Handler}},
	{"pending_check", inState(caseflow.PendingCheck), []caseflow.Role{caseflow.GridWorker}},
	{"pending_close", inState(caseflow.PendingClose), []caseflow.Role{caseflow.Dispatcher}},
	{"suspended", inState(caseflow.Suspended), []caseflow.Role{caseflow.Handler}},
	{"overdue", func(f *store.CaseFilter) { f.Overdue = true }, []caseflow.Role{caseflow.Dispatcher, caseflow.Handler, caseflow.Leader}},
	{"callback", func(f *store.CaseFilter) { f.CallBack = true }, []caseflow.Role{caseflow.Operator}},
	{"review", func(f *store.CaseFilter) { f.Review = true }, []caseflow.Role{caseflow.Dispatcher, caseflow.Operator}},
}

// queueByID finds a queue.
func queueByID(id string) (queue, bool) {
	for _, q := range queues {
		if q.id == id {
			return q, true
		}
	}
	return queue{}, false
}

// QueueCount is one queue's size for the reader.
type QueueCount struct {
	ID    string `json:"id"`
	Count int64  `json:"count"`
	// List is where a queue of other things than cases is listed (the
	// alarms waiting for review); empty: GET /api/v1/cases?queue=ID.
	List string `json:"list,omitempty"`
}

// listQueues counts every queue in the reader's scope.
func (s *Server) listQueues(w http.ResponseWriter, r *http.Request) {
	now := s.app.Now()
	out, err := s.queueCounts(r.Context(), principal(r), now, false)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"queues": out, "at": now.In(calendar.Shanghai)})
}

// queueCounts counts every queue in p's scope at now; with mine, only the
// queues that are p's work.
func (s *Server) queueCounts(ctx context.Context, p access.Principal, now time.Time, mine bool) ([]QueueCount, error) {
	out := make([]QueueCount, 0, len(queues))
	for _, q := range queues {
		if mine && !slices.Contains(q.workers, p.Role) {
			continue
		}
		f := store.CaseFilter{Now: now}
		q.apply(&f)
		scope(p, &f)
		n, err := s.app.Store.CountMatching(ctx, f)
		if err != nil {
			return nil, err
		}
		out = append(out, QueueCount{ID: q.id, Count: n})
	}
	// The alarms waiting for review (疑似) are the centre's work.
	if slices.Contains([]caseflow.Role{caseflow.Dispatcher, caseflow.Operator, caseflow.Admin}, p.Role) && (!mine || p.Role == caseflow.Dispatcher) {
		n, err := s.app.Store.SuspectedCount(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, QueueCount{ID: "suspected", Count: int64(n), List: "/api/v1/alarms"})
	}
	return out, nil
}

// inboxCounts is what the bell asks every minute: the unread lines of the
// inbox and the counts of the waiting lists that are the reader's work,
// without listing either. The counts are those of GET /api/v1/inbox
// (unread) and GET /api/v1/queues.
func (s *Server) inboxCounts(w http.ResponseWriter, r *http.Request) {
	p, now := principal(r), s.app.Now()
	unread, err := s.app.Store.Unread(r.Context(), recipient(p))
	if err != nil {
		fail(w, r, err)
		return
	}
	qs, err := s.queueCounts(r.Context(), p, now, true)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"unread": unread, "queues": qs, "at": now.In(calendar.Shanghai)})
}
