package web

import (
	"net/http"

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
}

func inState(s caseflow.State) func(*store.CaseFilter) {
	return func(f *store.CaseFilter) { f.State = s }
}

// queues in the order the centre shows them: each step's waiting list,
// then what needs a decision or is late.
var queues = []queue{
	{"reported", inState(caseflow.Reported)},
	{"registered", inState(caseflow.Registered)},
	{"requests", func(f *store.CaseFilter) { f.Requested = true }},
	{"supervised", func(f *store.CaseFilter) { f.Supervised = true }},
	{"dispatched", inState(caseflow.Dispatched)},
	{"in_progress", inState(caseflow.InProgress)},
	{"pending_check", inState(caseflow.PendingCheck)},
	{"pending_close", inState(caseflow.PendingClose)},
	{"suspended", inState(caseflow.Suspended)},
	{"overdue", func(f *store.CaseFilter) { f.Overdue = true }},
	{"callback", func(f *store.CaseFilter) { f.CallBack = true }},
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
}

// listQueues counts every queue in the reader's scope.
func (s *Server) listQueues(w http.ResponseWriter, r *http.Request) {
	out := make([]QueueCount, 0, len(queues))
	now := s.app.Now()
	for _, q := range queues {
		f := store.CaseFilter{Now: now}
		q.apply(&f)
		scope(principal(r), &f)
		n, err := s.app.Store.CountMatching(r.Context(), f)
		if err != nil {
			fail(w, r, err)
			return
		}
		out = append(out, QueueCount{ID: q.id, Count: n})
	}
	writeJSON(w, http.StatusOK, map[string]any{"queues": out, "at": now.In(calendar.Shanghai)})
}
