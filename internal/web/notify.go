package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/xiuhua/xiuhua/internal/access"
	"github.com/xiuhua/xiuhua/internal/app"
	"github.com/xiuhua/xiuhua/internal/notify"
	"github.com/xiuhua/xiuhua/internal/store"
)

// Reaching people: the notification rules documented and their dry run,
// the units' group robots, each account's contacts and the record of
// every send. Secrets are written here and never answered, logged or
// audited; phones and e-mail addresses are masked except one's own (and
// an administrator's account editor).

// notifyFail answers the notification settings' refusals naming the
// field, and the rest as fail does.
func notifyFail(w http.ResponseWriter, r *http.Request, err error) {
	var fe *app.FieldError
	switch {
	case errors.As(err, &fe) && fe.Code == "not_found":
		problem(w, http.StatusNotFound, fe.Code, fe.Field, fe.Msg)
	case errors.As(err, &fe):
		problem(w, http.StatusBadRequest, fe.Code, fe.Field, fe.Msg)
	case errors.Is(err, store.ErrNoRobot):
		problem(w, http.StatusNotFound, "not_found", "id", "no such robot")
	default:
		fail(w, r, err)
	}
}

// notificationRules documents the rules table in the reader's language.
func (s *Server) notificationRules(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.app.NotificationRules(readerLang(r)))
}

// notifyDryRun says who would be told what if a case's running deadlines
// reached a stage now; it writes nothing.
func (s *Server) notifyDryRun(w http.ResponseWriter, r *http.Request, p access.Principal) {
	var in struct {
		Case  string       `json:"case"`
		Stage notify.Stage `json:"stage"`
	}
	if !decode(w, r, &in) {
		return
	}
	if in.Case == "" {
		problem(w, http.StatusBadRequest, "required", "case", "name the case by its number")
		return
	}
	res, err := s.app.NotifyDryRun(r.Context(), p, in.Case, in.Stage)
	if err != nil {
		notifyFail(w, r, err)
		return
	}
	lang := readerLang(r)
	res.At = local(res.At)
	for i := range res.Deadlines {
		d := &res.Deadlines[i]
		d.Due = local(d.Due)
		for j := range d.Lines {
			l := &d.Lines[j]
			l.Text = notify.Render(lang, l.Kind, l.Params)
			for k := range l.Sends {
				l.Sends[k].NotBefore = local(l.Sends[k].NotBefore)
			}
		}
	}
	writeJSON(w, http.StatusOK, res)
}

func (s *Server) adminRobots(w http.ResponseWriter, r *http.Request, _ access.Principal) {
	bs, err := s.app.Robots(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"robots": bs, "kinds": app.RobotKinds})
}

// adminSaveRobot adds (POST) or changes (PUT /{id}) a robot; the token and
// secret are written, never answered.
func (s *Server) adminSaveRobot(w http.ResponseWriter, r *http.Request, p access.Principal) {
	var in struct {
		Unit   string `json:"unit"`
		Kind   string `json:"kind"`
		Name   string `json:"name"`
		Lang   string `json:"lang"`
		Active *bool  `json:"active"`
		Token  string `json:"token"`
		Secret string `json:"secret"`
	}
	var id int64
	if v := r.PathValue("id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			problem(w, http.StatusBadRequest, "invalid", "id", "the robot id is a whole number")
			return
		}
		id = n
	}
	if !decode(w, r, &in) {
		return
	}
	b, err := s.app.SaveRobot(r.Context(), app.RobotInput{ID: id, Unit: in.Unit, Kind: in.Kind, Name: in.Name, Lang: in.Lang, Active: in.Active, Token: in.Token, Secret: in.Secret})
	if err != nil {
		notifyFail(w, r, err)
		return
	}
	event, status := "robot_added", http.StatusCreated
	if id != 0 {
		event, status = "robot_changed", http.StatusOK
	}
	_ = s.app.Store.Audit(r.Context(), s.app.Now(), p.Username, p.AccountID, event, client(r),
		fmt.Sprintf("#%d %s %s of %s, %s, active %v, token changed %v, secret changed %v", b.ID, b.Kind, b.Name, b.Unit, b.Lang, b.Active, in.Token != "", in.Secret != ""))
	b.UpdatedAt = local(b.UpdatedAt)
	writeJSON(w, status, b)
}

func (s *Server) adminDeleteRobot(w http.ResponseWriter, r *http.Request, p access.Principal) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		problem(w, http.StatusBadRequest, "invalid", "id", "the robot id is a whole number")
		return
	}
	if err := s.app.DeleteRobot(r.Context(), id); err != nil {
		notifyFail(w, r, err)
		return
	}
	_ = s.app.Store.Audit(r.Context(), s.app.Now(), p.Username, p.AccountID, "robot_deleted", client(r), fmt.Sprintf("#%d", id))
	w.WriteHeader(http.StatusNoContent)
}

// contactsIn is how a person asks to be reached.
type contactsIn struct {
	Phone    string   `json:"phone"`
	Email    string   `json:"email"`
	Lang     string   `json:"lang"`
	Channels []string `json:"channels"`
	Liaison  *bool    `json:"liaison"`
}

// myContacts answers the reader's own contacts.
func (s *Server) myContacts(w http.ResponseWriter, r *http.Request, p access.Principal) {
	c, err := s.app.Contacts(r.Context(), p.AccountID)
	if err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, c)
}

// setMyContacts changes how the reader is reached; whether they are their
// unit's liaison is the administrator's to say.
func (s *Server) setMyContacts(w http.ResponseWriter, r *http.Request, p access.Principal) {
	var in contactsIn
	if !decode(w, r, &in) {
		return
	}
	if in.Liaison != nil {
		problem(w, http.StatusForbidden, "forbidden", "liaison", "an administrator names the liaisons")
		return
	}
	c, err := s.app.SetContacts(r.Context(), p.AccountID, store.Contacts{Phone: in.Phone, Email: in.Email, Lang: in.Lang, Channels: in.Channels}, nil)
	if err != nil {
		notifyFail(w, r, err)
		return
	}
	_ = s.app.Store.Audit(r.Context(), s.app.Now(), p.Username, p.AccountID, "contacts_changed", client(r), fmt.Sprintf("%s: channels %v", p.Username, c.Channels))
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, c)
}

// accountOf is the account a path's username names, or a 404 answered.
func (s *Server) accountOf(w http.ResponseWriter, r *http.Request) (int64, bool) {
	a, err := s.app.Store.AccountByUsername(r.Context(), r.PathValue("username"))
	if errors.Is(err, store.ErrNotFound) {
		problem(w, http.StatusNotFound, "not_found", "username", "no account "+r.PathValue("username"))
		return 0, false
	}
	if err != nil {
		fail(w, r, err)
		return 0, false
	}
	return a.ID, true
}

func (s *Server) adminContacts(w http.ResponseWriter, r *http.Request, _ access.Principal) {
	id, ok := s.accountOf(w, r)
	if !ok {
		return
	}
	c, err := s.app.Contacts(r.Context(), id)
	if err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, c)
}

// adminSetContacts sets an account's contacts and whether it is its
// unit's liaison (联络员).
func (s *Server) adminSetContacts(w http.ResponseWriter, r *http.Request, p access.Principal) {
	id, ok := s.accountOf(w, r)
	if !ok {
		return
	}
	var in contactsIn
	if !decode(w, r, &in) {
		return
	}
	c, err := s.app.SetContacts(r.Context(), id, store.Contacts{Phone: in.Phone, Email: in.Email, Lang: in.Lang, Channels: in.Channels}, in.Liaison)
	if err != nil {
		notifyFail(w, r, err)
		return
	}
	_ = s.app.Store.Audit(r.Context(), s.app.Now(), p.Username, p.AccountID, "contacts_changed", client(r),
		fmt.Sprintf("%s: channels %v, liaison %v", r.PathValue("username"), c.Channels, c.Liaison))
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, c)
}

// sendsOut shows a send's times in Beijing time.
func sendsOut(ds []app.SendView) []app.SendView {
	for i := range ds {
		d := &ds[i]
		d.Since, d.NotBefore, d.CreatedAt, d.SentAt = local(d.Since), local(d.NotBefore), local(d.CreatedAt), local(d.SentAt)
	}
	return ds
}

// caseSends is a case's delivery record (通知记录), the addresses masked.
func (s *Server) caseSends(w http.ResponseWriter, r *http.Request, p access.Principal) {
	ds, err := s.app.CaseSends(r.Context(), p, r.PathValue("number"))
	if errors.Is(err, store.ErrNotFound) {
		s.outOfScope(r, p)
		problem(w, http.StatusNotFound, "not_found", "", "no such case")
		return
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	lang := readerLang(r)
	type row struct {
		app.SendView
		Text string `json:"text"`
	}
	out := make([]row, 0, len(ds))
	for _, d := range sendsOut(ds) {
		out = append(out, row{d, notify.Render(lang, d.Kind, d.Params)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"sends": out})
}

// adminSends is the newest sends, in a state when asked, with the count
// of every send by state.
func (s *Server) adminSends(w http.ResponseWriter, r *http.Request, _ access.Principal) {
	q := r.URL.Query()
	limit, ok := intParam(w, q, "limit", 100, 1, 500)
	if !ok {
		return
	}
	ds, counts, err := s.app.RecentSends(r.Context(), q.Get("state"), limit)
	if err != nil {
		notifyFail(w, r, err)
		return
	}
	lang := readerLang(r)
	type row struct {
		app.SendView
		Text string `json:"text"`
	}
	out := make([]row, 0, len(ds))
	for _, d := range sendsOut(ds) {
		out = append(out, row{d, notify.Render(lang, d.Kind, d.Params)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"sends": out, "counts": counts})
}
