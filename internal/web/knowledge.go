package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/xiuhua/xiuhua/internal/access"
	"github.com/xiuhua/xiuhua/internal/calendar"
	"github.com/xiuhua/xiuhua/internal/hotline"
	"github.com/xiuhua/xiuhua/internal/sheet"
	"github.com/xiuhua/xiuhua/internal/store"
)

// The knowledge base (知识库): the desk searches it beside the intake form;
// the centre keeps it (adds, edits, imports and exports the file, sees what
// has expired).

// maxKnowledgeFile is the largest knowledge file accepted.
const maxKnowledgeFile = 16 << 20

// knowledgeOut is a point as the API gives it: with its status today.
type knowledgeOut struct {
	hotline.Point
	Status   hotline.Status `json:"status"`
	KindName string         `json:"kind_name"`
}

func (s *Server) knowledgeOut(ps []hotline.Point) []knowledgeOut {
	today := s.app.Today()
	out := make([]knowledgeOut, 0, len(ps))
	for _, p := range ps {
		out = append(out, knowledgeOut{Point: p, Status: p.StatusOn(today), KindName: hotline.KindNames[p.Kind]})
	}
	return out
}

// knowledge is the desk's search (q: ranked, in force first) or the
// keeper's list (no q: newest first, paged by before; expired=true: only
// those past their end).
func (s *Server) knowledge(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, ok := intParam(w, q, "limit", 20, 1, 200)
	if !ok {
		return
	}
	ctx := r.Context()
	today := s.app.Today()
	all, expired, err := s.app.Store.CountKnowledge(ctx, today)
	if err != nil {
		fail(w, r, err)
		return
	}
	if text, like := strings.TrimSpace(q.Get("q")), strings.TrimSpace(q.Get("like")); text != "" || like != "" {
		if len([]rune(text)) > 100 || len([]rune(like)) > 100 {
			field := "q"
			if like != "" {
				field = "like"
			}
			problemWith(w, http.StatusBadRequest, "invalid", field, map[string]any{"chars": 100}, "a search is at most 100 characters")
			return
		}
		var ps []hotline.Point
		var err error
		if text != "" {
			ps, err = s.app.SearchKnowledge(ctx, text, limit)
		} else {
			ps, err = s.app.KnowledgeLike(ctx, like, limit)
		}
		if err != nil {
			fail(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"points": s.knowledgeOut(ps), "total": all, "expired": expired})
		return
	}
	before, ok := intParam(w, q, "before", 0, 0, 1<<62)
	if !ok {
		return
	}
	f := store.KnowledgeFilter{Expired: q.Get("expired") == "true", Day: today, Before: int64(before), Limit: limit + 1}
	ps, err := s.app.Store.KnowledgePoints(ctx, f)
	if err != nil {
		fail(w, r, err)
		return
	}
	out := map[string]any{"total": all, "expired": expired}
	if len(ps) > limit {
		ps = ps[:limit]
		out["next_before"] = ps[limit-1].ID
	}
	out["points"] = s.knowledgeOut(ps)
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) knowledgePoint(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		problem(w, http.StatusNotFound, "not_found", "id", "no such knowledge point")
		return
	}
	p, err := s.app.Store.KnowledgePoint(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		problem(w, http.StatusNotFound, "not_found", "id", "no such knowledge point")
		return
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.knowledgeOut([]hotline.Point{p})[0])
}

// saveKnowledge adds a point (POST) or replaces one (PUT …/{id}).
func (s *Server) saveKnowledge(w http.ResponseWriter, r *http.Request, p access.Principal) {
	var in hotline.Point
	if !decode(w, r, &in) {
		return
	}
	in.ID = 0
	status := http.StatusCreated
	if v := r.PathValue("id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			problem(w, http.StatusNotFound, "not_found", "id", "no such knowledge point")
			return
		}
		in.ID, status = id, http.StatusOK
	}
	saved, err := s.app.SaveKnowledgePoint(r.Context(), p.Username, in)
	var pe *hotline.PointError
	switch {
	case errors.As(err, &pe):
		problem(w, http.StatusUnprocessableEntity, "invalid", pe.Field, pe.Msg)
		return
	case errors.Is(err, store.ErrNotFound):
		problem(w, http.StatusNotFound, "not_found", "id", "no such knowledge point")
		return
	case err != nil:
		fail(w, r, err)
		return
	}
	_ = s.app.Store.Audit(r.Context(), s.app.Now(), p.Username, p.AccountID, "knowledge_saved", client(r),
		fmt.Sprintf("%d %s", saved.ID, saved.Title))
	writeJSON(w, status, s.knowledgeOut([]hotline.Point{saved})[0])
}

func (s *Server) deleteKnowledge(w http.ResponseWriter, r *http.Request, p access.Principal) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err == nil {
		err = s.app.Store.DeleteKnowledge(r.Context(), id)
	}
	if err != nil {
		if errors.Is(err, store.ErrNotFound) || id == 0 {
			problem(w, http.StatusNotFound, "not_found", "id", "no such knowledge point")
			return
		}
		fail(w, r, err)
		return
	}
	_ = s.app.Store.Audit(r.Context(), s.app.Now(), p.Username, p.AccountID, "knowledge_deleted", client(r), strconv.FormatInt(id, 10))
	w.WriteHeader(http.StatusNoContent)
}

// importKnowledge reads a knowledge file (the body; name=FILE.xlsx or
// .csv says which); dry_run=true only checks it and shows the first rows.
func (s *Server) importKnowledge(w http.ResponseWriter, r *http.Request, p access.Principal) {
	name := r.URL.Query().Get("name")
	if ext := strings.ToLower(filepath.Ext(name)); ext != ".xlsx" && ext != ".csv" {
		problem(w, http.StatusBadRequest, "invalid", "name", "name the file: a .xlsx or .csv file")
		return
	}
	// The file is received whole before it is read: a slow upload holds no
	// transaction, and an oversized one is refused before any of it is.
	tmp, err := os.CreateTemp("", "knowledge-*"+filepath.Ext(name))
	if err != nil {
		fail(w, r, err)
		return
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if _, err := io.Copy(tmp, http.MaxBytesReader(w, r.Body, maxKnowledgeFile)); err != nil {
		problem(w, http.StatusRequestEntityTooLarge, "too_large", "file", fmt.Sprintf("a knowledge file is at most %d MB", maxKnowledgeFile>>20))
		return
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		fail(w, r, err)
		return
	}
	commit := r.URL.Query().Get("dry_run") != "true"
	res, err := s.app.ImportKnowledge(r.Context(), p.Username, name, tmp, commit)
	var fe hotline.FileErrors
	switch {
	case errors.As(err, &fe):
		list := make([]FieldProblem, 0, len(fe))
		for _, e := range fe {
			list = append(list, FieldProblem{Code: "invalid", Field: e.Field, Line: e.Line, Column: e.Column, Detail: e.Error()})
		}
		problems(w, http.StatusUnprocessableEntity, list)
		return
	case err != nil && !errors.Is(err, r.Context().Err()):
		// Not a readable table (not .xlsx, merged cells, too many rows).
		problem(w, http.StatusUnprocessableEntity, "invalid", "file", err.Error())
		return
	case err != nil:
		fail(w, r, err)
		return
	}
	if commit {
		_ = s.app.Store.Audit(r.Context(), s.app.Now(), p.Username, p.AccountID, "knowledge_imported", client(r),
			fmt.Sprintf("%s: %d added, %d replaced", filepath.Base(name), res.Added, res.Replaced))
	}
	writeJSON(w, http.StatusOK, res)
}

var knowledgeColumns = func() []sheet.Column {
	widths := map[string]float64{"id": 7, "category": 22, "title": 28, "content": 60, "issuer": 18, "keywords": 20, "scope": 14}
	var cols []sheet.Column
	for _, c := range hotline.Columns {
		col := sheet.Column{Header: c.Header, Width: widths[c.Field]}
		if c.Field == "id" {
			col.Kind = sheet.Int
		}
		cols = append(cols, col)
	}
	return append(cols, sheet.Column{Header: "状态", Width: 8}, sheet.Column{Header: "更新时间", Width: 17, Kind: sheet.Time})
}()

var statusNames = map[hotline.Status]string{hotline.InForce: "有效", hotline.NotYet: "未生效", hotline.Expired: "已过期", hotline.ExpiresOut: "即将过期"}

// exportKnowledge writes the whole knowledge base as the file the import
// reads (format=xlsx or csv; expired=true: only the expired points), with
// each point's status and last change after its columns.
func (s *Server) exportKnowledge(w http.ResponseWriter, r *http.Request) {
	fm := r.URL.Query().Get("format")
	if fm == "" {
		fm = "xlsx"
	}
	if fm != "xlsx" && fm != "csv" {
		problem(w, http.StatusBadRequest, "invalid", "format", "format must be csv or xlsx")
		return
	}
	ctx := r.Context()
	today := s.app.Today()
	expired := r.URL.Query().Get("expired") == "true"
	title := "知识库 " + today
	if expired {
		title = "知识库 已过期 " + today
	}
	download(w, sheet.Format(fm), "knowledge")
	sw, err := sheet.New(sheet.Format(fm), w, title, knowledgeColumns, calendar.Shanghai)
	if err != nil {
		fail(w, r, err)
		return
	}
	var before int64
	for rows := 0; rows < hotline.MaxFileRows; {
		ps, err := s.app.Store.KnowledgePoints(ctx, store.KnowledgeFilter{Expired: expired, Day: today, Before: before, Limit: 500})
		if err != nil {
			return // the file is cut short; the client sees a broken download
		}
		for _, p := range ps {
			if err := sw.Row(append(p.FileRow(), statusNames[p.StatusOn(today)], p.UpdatedAt)...); err != nil {
				return
			}
			before = p.ID
		}
		rows += len(ps)
		if len(ps) < 500 {
			break
		}
	}
	_ = sw.Close()
}
