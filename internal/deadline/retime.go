package deadline

import (
	"time"

	"github.com/xiuhua/xiuhua/internal/caseflow"
)

// caseSteps are the steps whose deadline is the case's own (while
// departments work, the case follows its lead task's).
var caseSteps = map[caseflow.State]caseflow.Step{
	caseflow.Reported:     caseflow.StepRegister,
	caseflow.Registered:   caseflow.StepDispatch,
	caseflow.PendingCheck: caseflow.StepCheck,
	caseflow.PendingClose: caseflow.StepClose,
}

// Retime says which running deadlines of c move when the policy in force
// changes from old to nw at now (a holiday file for a new year, say): each
// keeps the working time it had left at now, counted on the old calendar
// and spent on the new one. Left alone: deadlines already past, limits in
// natural time (the calendar does not touch them), a suspended case's
// (paused), and a task's deadline a person set by date (an approved
// extension). A disputed return's arbitration moves like a task's deadline.
func Retime(old, nw *Policy, c *caseflow.Case, now time.Time) []caseflow.Retime {
	var out []caseflow.Retime
	move := func(step caseflow.Step, d time.Time) (time.Time, bool) {
		if d.IsZero() || !d.After(now) {
			return d, false
		}
		if l, ok := nw.Lookup(step, c.CategoryID, c.Urgency); ok && (l.Unit == Minutes || l.Unit == Hours) {
			return d, false
		}
		left := old.cal.Between(now, d)
		if left == nw.cal.Between(now, d) {
			return d, false
		}
		to := nw.cal.Add(now, left).UTC()
		return to, !to.Equal(d)
	}
	switch c.State {
	case caseflow.Dispatched, caseflow.InProgress:
		step := caseflow.StepHandle
		if c.Reworks > 0 {
			step = caseflow.StepRework
		}
		for _, t := range c.Tasks {
			// A disputed return's arbitration keeps its working time too.
			if t.State.Active() && t.Request == caseflow.RequestDispute {
				if to, ok := move(caseflow.StepArbitrate, t.RequestedDue); ok {
					out = append(out, caseflow.Retime{TaskID: t.ID, Step: caseflow.StepArbitrate, From: t.RequestedDue, To: to})
				}
			}
			if !t.State.Active() || t.State == caseflow.TaskDone || t.Extensions > 0 {
				continue
			}
			if to, ok := move(step, t.Deadline); ok {
				out = append(out, caseflow.Retime{TaskID: t.ID, From: t.Deadline, To: to})
			}
		}
	default:
		if step, ok := caseSteps[c.State]; ok {
			if to, ok := move(step, c.Deadline); ok {
				out = append(out, caseflow.Retime{From: c.Deadline, To: to})
			}
		}
	}
	return out
}
