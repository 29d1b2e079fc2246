package web

import (
	"context"
	"net/http"
	"slices"

	"github.com/xiuhua/xiuhua/internal/access"
	"github.com/xiuhua/xiuhua/internal/caseflow"
	"github.com/xiuhua/xiuhua/internal/org"
	"github.com/xiuhua/xiuhua/internal/store"
)

// Staff reads need a sign-in, and what they return is cut to the reader's
// scope (see package access).

type principalCtx struct{}

// staff wraps a read handler: 401 without a session or token, and the
// principal in the request's context.
func (s *Server) staff(h http.HandlerFunc) http.HandlerFunc {
	return s.authed(func(w http.ResponseWriter, r *http.Request, p access.Principal) {
		h(w, r.WithContext(context.WithValue(r.Context(), principalCtx{}, p)))
	})
}

// wide wraps a read for the centre and leaders only: district-wide
// figures, the dispatch table, maps and reports.
func (s *Server) wide(h http.HandlerFunc) http.HandlerFunc {
	return s.staff(func(w http.ResponseWriter, r *http.Request) {
		p := principal(r)
		if !slices.Contains([]caseflow.Role{caseflow.Admin, caseflow.Dispatcher, caseflow.Operator, caseflow.Leader}, p.Role) {
			s.refused(w, r, p, &caseflow.Error{Code: caseflow.CodeWrongRole, Msg: "district-wide views are for the command centre and leaders"})
			return
		}
		h(w, r)
	})
}

// centre wraps a write kept by the hotline centre and the administrators
// (the knowledge base).
func (s *Server) centre(h http.HandlerFunc) http.HandlerFunc {
	return s.staff(func(w http.ResponseWriter, r *http.Request) {
		p := principal(r)
		if !access.MayKeepKnowledge(p) {
			s.refused(w, r, p, &caseflow.Error{Code: caseflow.CodeWrongRole, Msg: "the knowledge base is kept by the hotline centre"})
			return
		}
		h(w, r)
	})
}

// outOfScope records in the audit log that p asked for something outside
// their scope; the answer they get is the one for something absent.
func (s *Server) outOfScope(r *http.Request, p access.Principal) {
	_ = s.app.Store.Audit(r.Context(), s.app.Now(), p.Username, p.AccountID, "forbidden", client(r), r.Method+" "+r.URL.Path+": out of scope")
}

func principal(r *http.Request) access.Principal {
	p, _ := r.Context().Value(principalCtx{}).(access.Principal)
	return p
}

// scope narrows a case filter to what the reader may see. A filter asking
// for another street or unit than the reader's own asks for nothing they
// may see: it answers empty, not with their own cases under the other's
// name (a ledger file's title names the filter).
func scope(p access.Principal, f *store.CaseFilter) {
	switch p.Role {
	case caseflow.Admin, caseflow.Dispatcher, caseflow.Operator, caseflow.Leader:
	case caseflow.Handler:
		if p.UnitKind == org.KindStreet && p.Street != "" {
			if f.Street != "" && f.Street != p.Street {
				f.Grids = []string{} // nothing
			}
			f.Street = p.Street
		} else {
			if f.UnitID != 0 && f.UnitID != p.UnitID {
				f.Grids = []string{} // nothing
			}
			f.UnitID = p.UnitID
		}
	case caseflow.GridWorker:
		f.Grids = append([]string{}, p.Grids...)
	default:
		f.Grids = []string{} // nothing
	}
}
