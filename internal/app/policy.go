package app

import (
	"sync/atomic"
	"time"

	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/deadline"
)

// Policy is the time-limit policy in force. It is a caseflow.Clock and a
// store.Alerting that reads the current deadline.Policy on every call, so
// the watcher and the handlers see a calendar or time-limit change made
// through the admin API without a restart.
type Policy struct {
	p atomic.Pointer[deadline.Policy]
}

// NewPolicy wraps a fixed policy.
func NewPolicy(p *deadline.Policy) *Policy {
	l := &Policy{}
	l.Set(p)
	return l
}

// Set makes p the policy in force.
func (l *Policy) Set(p *deadline.Policy) { l.p.Store(p) }

// Load is the policy in force.
func (l *Policy) Load() *deadline.Policy { return l.p.Load() }

// Due implements caseflow.Clock.
func (l *Policy) Due(step caseflow.Step, categoryID string, u caseflow.Urgency, start time.Time) time.Time {
	return l.Load().Due(step, categoryID, u, start)
}

// Resume implements caseflow.Clock.
func (l *Policy) Resume(deadline, pausedAt, resumedAt time.Time) time.Time {
	return l.Load().Resume(deadline, pausedAt, resumedAt)
}

// WarnAt implements store.Alerting.
func (l *Policy) WarnAt(start, due time.Time) time.Time { return l.Load().WarnAt(start, due) }

// EscalateAt implements store.Alerting.
func (l *Policy) EscalateAt(due time.Time) time.Time { return l.Load().EscalateAt(due) }

// Calendar is the working calendar in force.
func (l *Policy) Calendar() *calendar.Calendar { return l.Load().Calendar() }
