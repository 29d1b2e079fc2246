package caseflow

import (
	"errors"
	"fmt"
	"time"
)

// Code classifies why a transition was refused. It is stable: the HTTP layer
// maps it to a status and shows it to clients.
type Code string

const (
	CodeWrongRole  Code = "wrong_role"  // the actor's role may not do this
	CodeWrongState Code = "wrong_state" // the case (or task) is not in a state that allows it
	CodeStale      Code = "stale"       // the case changed since the actor read it
	CodeRequired   Code = "required"    // a required field is missing
	CodeInvalid    Code = "invalid"     // a field has a bad value
	CodeNotYours   Code = "not_yours"   // the task belongs to another department
)

// Error is a refused transition. Nothing is written when Apply returns one.
type Error struct {
	Code   Code
	Action Action
	State  State  // the case's state when refused
	Field  string // for CodeRequired and CodeInvalid
	Msg    string // for logs and API clients, in English
	// Params are the refusal's particulars for a message in the reader's
	// language (a time stays a time.Time: the edge shows it in Beijing time).
	Params map[string]any
}

func (e *Error) Error() string {
	s := fmt.Sprintf("caseflow: %s refused (%s)", e.Action, e.Code)
	if e.Field != "" {
		s += " field " + e.Field
	}
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	return s
}

// Is lets errors.Is(err, ErrStale) and friends match by code.
func (e *Error) Is(target error) bool {
	var t *Error
	if errors.As(target, &t) {
		return t.Code == e.Code && t.Action == "" && t.Field == ""
	}
	return false
}

// Sentinels for errors.Is.
var (
	ErrWrongRole  = &Error{Code: CodeWrongRole}
	ErrWrongState = &Error{Code: CodeWrongState}
	ErrStale      = &Error{Code: CodeStale}
	ErrRequired   = &Error{Code: CodeRequired}
	ErrInvalid    = &Error{Code: CodeInvalid}
	ErrNotYours   = &Error{Code: CodeNotYours}
)

func refuse(code Code, a Action, s State, field, format string, args ...any) *Error {
	return &Error{Code: code, Action: a, State: s, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// with adds a particular to a refusal.
func (e *Error) with(name string, v any) *Error {
	if e.Params == nil {
		e.Params = map[string]any{}
	}
	e.Params[name] = v
	return e
}

// beijing is the offset a refusal's message writes times in (Asia/Shanghai
// has kept UTC+8 without daylight saving since 1991).
var beijing = time.FixedZone("CST", 8*3600)

// inBeijing is a time as a refusal's message writes it: RFC 3339 at +08:00.
func inBeijing(t time.Time) string { return t.In(beijing).Format(time.RFC3339) }
